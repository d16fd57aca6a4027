"""Every MindSpore-side API the torchvision / timm / diffusers markers name exists in the installed
mindspore, mindcv and mindone (a marker must not send the reader to an API that is not there)."""

from __future__ import annotations

import re

import pytest
import yaml

from torch2ms.convert.rules import _data

NAME = re.compile(r"\b((?:mindspore|mindcv|mindone)(?:\.[A-Za-z_][A-Za-z0-9_]*)+)")


def _texts(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            if k in ("note", "to") or isinstance(v, (dict, list, str)):
                yield from _texts(v)
    elif isinstance(value, list):
        for v in value:
            yield from _texts(v)


def _names(family: str) -> set[str]:
    data = _data.load(family)
    if family == "diffusers":  # the name lists themselves are checked in test_diffusers.py
        data = {k: v for k, v in data.items() if k in ("notes", "no_counterpart")}
    found = set()
    for text in _texts(data):
        found |= set(NAME.findall(text))
    return {n.rstrip(".") for n in found}


def _resolve(name: str, resolve_dotted) -> None:
    if name.startswith("mindone.diffusers.training_utils"):
        # it imports ml_dtypes, which is not installed (the marker says so): read its source
        import ast
        from importlib.util import find_spec
        from pathlib import Path

        source = Path(find_spec("mindone.diffusers").origin).with_name("training_utils.py")
        defined = {n.name for n in ast.parse(source.read_text()).body if hasattr(n, "name")}
        rest = name.split(".")[3:]
        if rest and rest[0] not in defined:
            raise AttributeError(name)
        return
    resolve_dotted(name)


@pytest.mark.parametrize("family", ["torchvision", "timm", "diffusers"])
def test_every_named_api_exists(family, resolve_dotted):
    from torch2ms import torch_env

    torch_env.prepare()
    names = _names(family)
    assert len(names) >= 5, names
    missing = []
    for name in sorted(names):
        try:
            _resolve(name, resolve_dotted)
        except (ImportError, AttributeError):
            missing.append(name)
    assert not missing, missing
