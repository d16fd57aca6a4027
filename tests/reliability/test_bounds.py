"""Each file is converted and checked under a time and a memory bound, in a worker of its own
(issue cases 8 to 10): a file that breaks a bound, crashes its worker or cannot be read is
reported alone while the rest is converted, and outputs are written as files finish."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from torch2ms.cli import main

GOOD = "import torch\nx = torch.tanh(torch.ones(2))\n"
DEEP = "import torch\nx = " + "(" * 3000 + "torch.ones(1)" + ")" * 3000 + "\n"  # libcst's parser segfaults
SLOW = "import torch\nx = " + " + ".join("torch.ones(1)" for _ in range(20000)) + "\n"  # minutes
BIG = "import torch\n" + "".join(f"x{i} = torch.ones({i}) + torch.zeros({i})\n" for i in range(40000))


def _project(tmp_path, **odd):
    proj = tmp_path / "proj"
    proj.mkdir()
    for name in ("a.py", "b.py", "c.py", "d.py"):
        (proj / name).write_text(GOOD)
    for name, text in odd.items():
        (proj / f"{name}.py").write_text(text)
    return proj


def _good_outputs_written(out_dir):
    return all((out_dir / n).read_text().startswith("from mindspore import mint") for n in ("a.py", "b.py", "c.py", "d.py"))


def test_a_worker_segfault_is_reported_for_that_file_alone(run, tmp_path):
    proj = _project(tmp_path, deep=DEEP)
    proc = run("convert", proj, "-o", tmp_path / "out", "-j", "2")
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert proc.returncode == 2
    assert "deep.py: not converted: its worker process died (SIGSEGV" in proc.stdout
    assert _good_outputs_written(tmp_path / "out") and not (tmp_path / "out" / "deep.py").exists()


def test_a_symlink_loop_and_a_link_out_of_the_project_do_not_stop_the_folder(run, tmp_path):
    proj = _project(tmp_path)
    os.symlink("loop.py", proj / "loop.py")
    outside = tmp_path / "shared" / "layers.py"
    outside.parent.mkdir()
    outside.write_text(GOOD)
    os.symlink(outside, proj / "layers.py")
    proc = run("convert", proj, "-o", tmp_path / "out", "-j", "2")
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert "loop.py: symlink loop: skipped" in proc.stdout
    assert _good_outputs_written(tmp_path / "out")
    assert (tmp_path / "out" / "layers.py").read_text().startswith("from mindspore import mint")
    assert outside.read_text() == GOOD and not (tmp_path / "out" / "layers.py").is_symlink()


def test_a_fifo_named_like_a_source_is_reported_not_waited_for(run, tmp_path):
    proj = _project(tmp_path)
    os.mkfifo(proj / "pipe.py")
    proc = run("convert", proj, "-o", tmp_path / "out", timeout=60)
    assert "pipe.py: not a regular file" in proc.stdout and proc.returncode == 0
    assert _good_outputs_written(tmp_path / "out")
    proc = run("convert", proj / "pipe.py", "-o", tmp_path / "out", timeout=60)
    assert proc.returncode == 2 and "pipe.py: not converted: cannot read" in proc.stdout
    assert "a FIFO, not a regular file" in proc.stdout


def test_a_file_past_the_time_limit_is_stopped_and_the_others_converted(run, tmp_path):
    proj = _project(tmp_path, slow=SLOW)
    start = time.monotonic()
    proc = run("convert", proj, "-o", tmp_path / "out", "-j", "2", "--timeout", "3")
    assert time.monotonic() - start < 60
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "slow.py: not converted: stopped after the time limit (3 s)" in proc.stdout
    assert _good_outputs_written(tmp_path / "out")


def test_a_file_past_the_memory_limit_is_stopped_and_the_others_converted(run, tmp_path):
    proj = _project(tmp_path, big=BIG)
    proc = run("convert", proj, "-o", tmp_path / "out", "-j", "2", "--memory", "300", "--timeout", "600")
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "big.py: not converted: stopped at the memory limit (300 MB)" in proc.stdout
    assert _good_outputs_written(tmp_path / "out")


def test_outputs_are_written_as_files_finish_not_at_the_end(workspace, project, tmp_path):
    (project / "slow.py").write_text(SLOW)  # minutes of work: the others are done long before
    assert main(["scan", str(project), "--workspace", str(workspace)]) == 0
    proc = subprocess.Popen([sys.executable, "-m", "torch2ms", "convert", str(project), "--workspace",
                             str(workspace), "-j", "2"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    out = workspace / "outputs"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not ((out / "model.py").exists() and (out / "train.py").exists()):
            time.sleep(0.2)
        assert proc.poll() is None, "the slow file should still be converting"
        assert (out / "model.py").read_text().startswith("from mindspore import mint, nn")
        assert "class Net(nn.Cell)" in (out / "model.py").read_text()
        # and their edit records went to the tracker before the outputs were written
        assert "convert L5 modules: nn.Module -> nn.Cell" in (workspace / "files_to_convert.md").read_text()
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def test_check_on_a_pathological_output_fails_that_file_and_records_the_others(workspace, capsys):
    out = workspace / "outputs"
    out.mkdir()
    (out / "model.py").write_text("x = 1\n")
    (out / "train.py").write_text("y = " + "-" * 20000 + "1\n")  # MemoryError in ast.parse
    code = main(["check", "--workspace", str(workspace)])
    printed = capsys.readouterr().out
    assert code == 1
    assert "model.py: pass" in printed and "train.py: fail: 1 check-limit" in printed
    assert "MemoryError" in printed
    from torch2ms.tracker import Tracker
    t = Tracker.load(workspace / "files_to_convert.md")
    assert t.entry("model.py").check == "pass" and t.entry("train.py").check.startswith("fail")


def test_the_hook_on_a_pathological_output_reports_it_in_one_finding(run, workspace):
    import json

    out = workspace / "outputs"
    out.mkdir()
    bad = out / "train.py"
    bad.write_text("y = " + "-" * 20000 + "1\n")
    proc = run("check", "--hook", stdin=json.dumps({"tool_input": {"file_path": str(bad)}}))
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert proc.returncode == 2 and "outputs/train.py: fail: 1 check-limit" in proc.stderr


@pytest.mark.parametrize("limit", ["--timeout", "--memory"])
def test_the_limits_must_be_positive(run, tmp_path, limit, one_line_error):
    proj = _project(tmp_path)
    assert "must be positive" in one_line_error(run("convert", proj, "-o", tmp_path / "o", limit, "0"), "convert")
