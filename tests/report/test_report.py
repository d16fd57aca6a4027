"""`torch2ms report` on a fixture tracker holding every status: golden outputs, and the rule that
only verified facts count as success.

Regenerate the golden files after an intended change with TORCH2MS_UPDATE_GOLDEN=1.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
GOLDEN = HERE / "golden"


@pytest.fixture
def ws(tmp_path):
    dest = tmp_path / "ws"
    shutil.copytree(HERE / "fixture", dest)
    return dest


def report(ws: Path, *extra):
    return subprocess.run([sys.executable, "-m", "torch2ms", "report", "--workspace", str(ws), *extra],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("name", ["conversion_report.md", "report.md"])
def test_golden(ws, name):
    proc = report(ws)
    assert proc.returncode == 0, proc.stderr
    got = (ws / name).read_text(encoding="utf-8")
    if os.environ.get("TORCH2MS_UPDATE_GOLDEN"):
        (GOLDEN / name).write_text(got, encoding="utf-8")
    assert got == (GOLDEN / name).read_text(encoding="utf-8")


def test_deterministic(ws):
    report(ws)
    first = [(ws / n).read_bytes() for n in ("conversion_report.md", "report.md")]
    report(ws)
    assert first == [(ws / n).read_bytes() for n in ("conversion_report.md", "report.md")]


def test_only_verified_files_count(ws):
    proc = report(ws)
    assert "1 of 6 files verified." in proc.stdout
    table = (ws / "conversion_report.md").read_text()
    rows = {line.split("|")[1].strip(): line for line in table.splitlines() if line.startswith("| `")}
    assert "yes, not verified" in rows["`data.py`"] and "fail: 1 torch-idiom" in rows["`data.py`"]
    assert "| yes |" in rows["`model.py`"] and "| pass, import ok, parity ok |" in rows["`model.py`"]
    assert "not checked" in rows["`infer.py`"]
    assert "stale" in rows["`sched.py`"]  # the tracker says pass, the output changed since
    assert "no output" in rows["`train.py`"] and "no output" in rows["`weird.py`"]
    assert "ported.py" not in rows and "explore.ipynb" not in rows


def test_fixing_a_file_changes_the_count(ws, tmp_path):
    """After a real check passes on the fixed file, it counts; nothing else moves."""
    (ws / "outputs" / "data.py").write_text("import numpy as np\n\n\ndef size(x):\n    return x.shape\n")
    env = dict(os.environ, TORCH2MS_CACHE_DIR=str(tmp_path / "cache"))
    proc = subprocess.run([sys.executable, "-m", "torch2ms", "check", "--workspace", str(ws),
                           str(ws / "outputs" / "data.py")], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 of 6 files verified." in report(ws).stdout


def test_no_tracker_is_bad_input(tmp_path):
    proc = report(tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith("torch2ms report: ")
