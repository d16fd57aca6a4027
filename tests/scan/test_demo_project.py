"""The bundled sample project: what the scan finds in it, and that its torch scripts run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from torch2ms.cli import main

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo_project"


def test_scan_of_the_demo(tmp_path, capsys):
    assert main(["scan", str(DEMO), "--workspace", str(tmp_path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    files = {f["path"]: (f["category"], f["status"]) for f in data["files"]}
    assert files == {
        "model.py": ("Modeling", "torch"), "data.py": ("Data", "torch"), "train.py": ("Training", "torch"),
        "infer.py": ("Inference", "torch"), "evaluate.py": ("Inference", "partial"),
    }
    assert data["other_files"] == ["textutil.py"]
    assert data["order"] == ["data.py", "model.py", "infer.py", "evaluate.py", "train.py"]
    assert data["warnings"] == []


def test_demo_trains_and_generates_with_torch(tmp_path):
    code = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "import train, infer\n"
        "loss = train.main(['--steps', '8', '--out', sys.argv[2]])\n"
        "text = infer.main(['--ckpt', sys.argv[2], '--tokens', '10'])\n"
        "assert loss < 4.2, loss\n"
        "assert text.startswith('the river ') and len(text) == 20, text\n"
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run([sys.executable, "-c", code, str(DEMO), str(tmp_path / "ckpt.pt")],
                          capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "saved" in proc.stdout
