"""Writes that fail or race: a full disk, a read-only folder, a workspace that is a file, the
tracker's mode (issue cases 1, 12 and part of 13). Every write of a user-visible file is atomic:
an error leaves the previous file whole, the command says so in one line and exits 2.

A full disk is simulated with RLIMIT_FSIZE (a write past the limit fails with EFBIG part way,
as ENOSPC would); a read-only folder by patching the write calls (faults.py), since permission
bits do not stop root."""

from __future__ import annotations

import stat

import pytest
from torch2ms.cli import main
from torch2ms.tracker import Tracker

BIG_EDIT = "".join(f"# hand edit {i}: kept by the user, never to be lost\n" for i in range(300))


def _hand_edited_output(ws, project):
    """outputs/model.py as the user left it: converted once, then edited by hand (about 15 kB)."""
    assert main(["convert", str(project / "model.py"), "--workspace", str(ws)]) in (0, 1)
    out = ws / "outputs" / "model.py"
    text = out.read_text() + BIG_EDIT + "import torch\ny = torch.tanh(torch.ones(2))\n"  # left to convert
    out.write_text(text)
    return out, text


def test_full_disk_during_convert_keeps_the_hand_edited_output_whole(run, workspace, project):
    out, text = _hand_edited_output(workspace, project)
    proc = run("convert", project / "model.py", "--workspace", workspace, fsize=4096)
    assert out.read_text() == text  # the old version, whole: not cut off at 4 kB
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "model.py: not written:" in proc.stdout and "File too large" in proc.stdout
    assert not [p.name for p in out.parent.iterdir() if p.name.endswith(".tmp")]
    # with room again, the next run converts the hand-edited file, keeping the edits
    proc = run("convert", project / "model.py", "--workspace", workspace)
    assert proc.returncode in (0, 1), proc.stderr
    assert BIG_EDIT in out.read_text() and "torch.tanh" not in out.read_text()


def _pad_tracker(ws):
    with Tracker.locked(ws / "files_to_convert.md") as t:
        t.add_edits("model.py", [f"an earlier edit record number {i}" for i in range(300)])
    return (ws / "files_to_convert.md").read_bytes()


@pytest.mark.parametrize("argv", [
    ["edit", "model.py", "-m", "one more record"],
    ["done", "model.py", "--undo"],
    ["edit", "model.py", "--blocked", "waits for the user's data"],
], ids=["edit", "done", "edit --blocked"])
def test_full_disk_in_tracker_writers_is_one_line_and_keeps_the_tracker(run, workspace, argv, one_line_error):
    before = _pad_tracker(workspace)
    proc = run(*argv, "--workspace", workspace, fsize=8192)
    line = one_line_error(proc, argv[0])
    assert "File too large" in line and "files_to_convert.md" in line
    assert (workspace / "files_to_convert.md").read_bytes() == before
    assert not [p.name for p in workspace.iterdir() if p.name.endswith(".tmp")]


def test_full_disk_in_report_keeps_both_reports_and_leaves_no_temp_file(run, workspace, one_line_error):
    _pad_tracker(workspace)
    assert main(["report", "--workspace", str(workspace)]) == 0
    reports = {p: p.read_bytes() for p in (workspace / "report.md", workspace / "conversion_report.md")}
    with Tracker.locked(workspace / "files_to_convert.md") as t:  # the next report differs
        t.mark_done("train.py")
    proc = run("report", "--workspace", workspace, fsize=1024)
    assert "File too large" in one_line_error(proc, "report")
    assert {p: p.read_bytes() for p in reports} == reports
    assert not [p.name for p in workspace.iterdir() if p.name.endswith(".tmp")]


def test_full_disk_in_check_is_one_line_and_keeps_check_json(run, workspace, project, one_line_error):
    out = workspace / "outputs" / "a.py"
    out.parent.mkdir()
    out.write_text("x = 1\n" + "".join(f"v{i} = {i}\n" for i in range(2000)))
    assert main(["check", str(out), "--workspace", str(workspace)]) == 0
    state = workspace / ".torch2ms" / "check.json"
    before = state.read_bytes()
    out.write_text(out.read_text() + "y = 2\n")
    proc = run("check", out, "--workspace", workspace, fsize=len(before) // 2)
    assert "File too large" in one_line_error(proc, "check")
    assert state.read_bytes() == before


def test_read_only_outputs_is_reported_per_file_not_a_traceback(run, workspace, project):
    outputs = workspace / "outputs"
    outputs.mkdir()
    proc = run("convert", project, "--workspace", workspace, readonly=[outputs])
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert "model.py: not written:" in proc.stdout and "Permission denied" in proc.stdout
    assert "train.py: not written:" in proc.stdout
    assert list(outputs.iterdir()) == []


@pytest.mark.parametrize("argv", [["next"], ["edit", "model.py", "-m", "x"], ["done", "model.py"],
                                  ["check"], ["report"], ["convert", "PROJECT"], ["scan", "PROJECT"]])
def test_a_workspace_path_that_is_a_file_is_one_line(run, tmp_path, project, argv, one_line_error):
    not_a_folder = tmp_path / "notes.txt"
    not_a_folder.write_text("a file, not a folder\n")
    argv = [str(project) if a == "PROJECT" else a for a in argv]
    proc = run(*argv, "--workspace", not_a_folder)
    assert "is not a folder" in one_line_error(proc, argv[0])
    assert not_a_folder.read_text() == "a file, not a folder\n"


def test_the_tracker_keeps_its_mode_and_a_new_one_gets_the_umask(workspace):
    tracker = workspace / "files_to_convert.md"
    assert stat.S_IMODE(tracker.stat().st_mode) == 0o644  # pytest runs under umask 022
    tracker.chmod(0o664)
    assert main(["edit", "model.py", "-m", "x", "--workspace", str(workspace)]) == 0
    assert stat.S_IMODE(tracker.stat().st_mode) == 0o664
