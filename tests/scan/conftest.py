"""Fixture projects are written into tmp_path by the tests themselves."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from torch2ms.cli import main


def write_tree(root: Path, files: dict) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")
    return root


@pytest.fixture
def scan(tmp_path, capsys):
    """Run `torch2ms scan` in-process; returns (exit code, stdout, stderr, scan.json data or None)."""

    def run(input_dir, *extra, workspace=None):
        ws = Path(workspace) if workspace else tmp_path / "ws"
        code = main(["scan", str(input_dir), "--workspace", str(ws), *extra])
        out, err = capsys.readouterr()
        state = ws / ".torch2ms" / "scan.json"
        data = json.loads(state.read_text()) if state.exists() else None
        return code, out, err, data

    return run


@pytest.fixture(name="write_tree")
def write_tree_fixture():
    return write_tree
