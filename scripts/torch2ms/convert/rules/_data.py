"""The YAML lists a rule family keeps next to its module (`rules/<family>.yaml`)."""

from __future__ import annotations

import functools
from pathlib import Path

import yaml


@functools.lru_cache(maxsize=None)
def load(family: str) -> dict:
    path = Path(__file__).with_name(f"{family}.yaml")
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
