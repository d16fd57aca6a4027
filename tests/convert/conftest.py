"""Shared helpers of the engine's tests: a fixed mapping table and a converter bound to it."""

from __future__ import annotations

import textwrap
from pathlib import Path

import libcst as cst
import pytest

from torch2ms.convert.engine import convert_source
from torch2ms.convert.mappings import load_tables

TEST_TABLE = load_tables(Path(__file__).parent / "data" / "table")


def convert(code: str):
    return convert_source(textwrap.dedent(code), table=TEST_TABLE)


def assert_converts(before: str, after: str) -> None:
    """`before` becomes `after`; converting `after` again changes nothing."""
    result = convert(before)
    expected = textwrap.dedent(after)
    assert result.code == expected, f"\n--- got ---\n{result.code}\n--- expected ---\n{expected}"
    cst.parse_module(result.code)
    assert convert(result.code).code == result.code, "not idempotent"


@pytest.fixture
def converts():
    return assert_converts


@pytest.fixture
def convert_code():
    return convert


@pytest.fixture
def resolve_dotted():
    return _resolve_dotted


def _resolve_dotted(name: str):
    """The object a dotted name stands for (`mindcv.data.mixup.Mixup`): the longest importable
    module prefix, then attributes; ImportError or AttributeError when it does not exist."""
    import importlib

    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
            break
        except ImportError:
            if i == 1:
                raise
    for part in parts[i:]:
        obj = getattr(obj, part)
    return obj
