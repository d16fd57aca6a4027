"""Helpers of the reliability suite: the command run in a subprocess (optionally under a
simulated fault, see faults.py), a small project, a workspace scanned from it, snapshots."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

FAULTS = Path(__file__).with_name("faults.py")

MODEL = ("import torch\nfrom torch import nn\n\n\nclass Net(nn.Module):\n"
         "    def forward(self, x):\n        return torch.tanh(x)\n")
TRAIN = "import torch\nfrom model import Net\n\nnet = Net()\ny = torch.relu(torch.ones(2))\n"


@pytest.fixture
def run(tmp_path):
    """run(*args, fsize=None, readonly=(), timeout=120, stdin=None) -> CompletedProcess of
    `torch2ms ARGS` in a subprocess (sharing the API cache of this process)."""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")

    def _run(*args, fsize=None, readonly=(), timeout=120, stdin=None, cwd=None):
        opts = (["--fsize", str(fsize)] if fsize else []) + [x for d in readonly for x in ("--readonly", str(d))]
        return subprocess.run([sys.executable, str(FAULTS), *opts, "--", *map(str, args)],
                              capture_output=True, text=True, timeout=timeout, env=env, input=stdin,
                              cwd=cwd or tmp_path)
    return _run


def _one_line_error(proc, cmd: str) -> str:
    """What a run that failed as a user error must show: one line `torch2ms CMD: ...`, exit 2."""
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == 2, (proc.returncode, proc.stdout[-1000:], proc.stderr[-1000:])
    assert len(lines) == 1 and lines[0].startswith(f"torch2ms {cmd}: "), proc.stderr
    return lines[0]


@pytest.fixture
def one_line_error():
    return _one_line_error


@pytest.fixture
def project(tmp_path):
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "model.py").write_text(MODEL)
    (proj / "train.py").write_text(TRAIN)
    return proj


@pytest.fixture
def workspace(tmp_path, project):
    """A workspace scanned from `project` (in-process: faster than a subprocess)."""
    from torch2ms.cli import main

    ws = tmp_path / "ws"
    assert main(["scan", str(project), "--workspace", str(ws)]) == 0
    return ws


@pytest.fixture
def snapshot():
    return _snapshot


def _snapshot(root: Path) -> dict:
    """{relative path: sha256 or link target} of everything under root."""
    out = {}
    for dirpath, dirs, files in os.walk(root):
        for name in dirs + files:
            p = Path(dirpath) / name
            rel = p.relative_to(root).as_posix()
            if p.is_symlink():
                out[rel] = "-> " + os.readlink(p)
            elif p.is_file():
                out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out
