"""The main job of setup.sh, as written there, on the bundled sample project: scan -> convert ->
check -> report in a fresh workspace. The report's success count must equal what the checks found."""

import json
import os
import re
import shlex
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def demo_commands() -> list[str]:
    """The helper calls of setup.sh's demo part, in order."""
    text = (REPO / "setup.sh").read_text()
    demo = text[text.index("WS=demo"):]
    return [m.group(1) for m in re.finditer(r'^"\$T2MS" (.*?)(?: \|\| status=\$\?)?$', demo, re.M)]


def test_main_job_counts_what_the_checks_found(tmp_path):
    ws = tmp_path / "demo"
    env = dict(os.environ, TORCH2MS_CACHE_DIR=os.environ.get("TORCH2MS_CACHE_DIR") or str(tmp_path / "cache"))
    commands = demo_commands()
    assert [c.split()[0] for c in commands] == ["scan", "convert", "check", "report"]
    for command in commands:
        args = shlex.split(command.replace('"$WS"', str(ws)))
        proc = subprocess.run([str(REPO / ".venv/bin/torch2ms"), *args], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=300)
        ok = (0, 1) if args[0] in ("convert", "check") else (0,)  # 1: findings
        assert proc.returncode in ok, f"{command}\n{proc.stdout}\n{proc.stderr}"
    from torch2ms.tracker import Tracker

    tracker = Tracker.load(ws / "files_to_convert.md")
    queued = [e.path for e in tracker.entries if e.queued]
    checked = json.loads((ws / ".torch2ms" / "check.json").read_text())["files"]
    assert set(queued) <= set(checked), "every converted file was checked"
    # the report counts every file the check found in outputs/: the copied torch-free ones too
    outputs = sorted(p.relative_to(ws / "outputs").as_posix() for p in (ws / "outputs").rglob("*.py"))
    assert set(outputs) == set(checked) and len(outputs) > len(queued)
    passing = sum(checked[p]["verdict"] == "pass" for p in outputs)
    summary = (ws / "report.md").read_text()
    copied = len(outputs) - len(queued)
    assert (f"**{passing} of {len(outputs)} files pass the checks** ({len(queued)} to convert, {copied} copied "
            "without torch code)") in summary
    for p in queued:  # the tracker's check column holds the same verdicts
        assert tracker.entry(p).check == checked[p]["summary"]
