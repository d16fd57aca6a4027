"""Nothing a run of project code starts outlives it (issue 18, case 3): a grandchild that leaves
the process group with setsid (a daemon, a data server, `Popen(start_new_session=True)`) is
stopped with the run, whether the run ends by itself or at its time bound."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from torch2ms import sandbox

# starts a grandchild in a session of its own, waits until it wrote its pid, then ends or hangs
SCRIPT = '''
import os, subprocess, sys, time
pidfile = sys.argv[1]
subprocess.Popen([sys.executable, "-c",
    "import os, sys, time\\n"
    "open(sys.argv[1] + '.tmp', 'w').write(str(os.getpid()))\\n"
    "os.rename(sys.argv[1] + '.tmp', sys.argv[1])\\n"
    "time.sleep(3600)\\n", pidfile], start_new_session=True)
while not os.path.exists(pidfile):
    time.sleep(0.01)
if sys.argv[2] == "hang":
    time.sleep(3600)
'''


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except FileNotFoundError:
        return False


def _survivor(tmp_path, how: str, **kw):
    script = tmp_path / "daemon.py"
    script.write_text(SCRIPT)
    pidfile = tmp_path / "grandchild.pid"
    outcome = sandbox.run([sys.executable, str(script), str(pidfile), how], **kw)
    pid = int(pidfile.read_text())  # the grandchild was running before the run ended
    alive = _alive(pid)
    if alive:
        os.kill(pid, 9)
    return outcome, alive


def test_a_setsid_grandchild_is_stopped_when_the_script_ends(tmp_path):
    outcome, alive = _survivor(tmp_path, "end", timeout=None)
    assert outcome.returncode == 0 and not outcome.timed_out, outcome.stderr
    assert not alive


def test_a_setsid_grandchild_is_stopped_at_the_time_bound(tmp_path):
    # the script never ends: the bound is met only once the grandchild is running
    outcome, alive = _survivor(tmp_path, "hang", timeout=20)
    assert outcome.timed_out and outcome.returncode is None
    assert not alive


def test_run_timeout_stops_the_setsid_grandchild_and_says_so_plainly(tmp_path):
    script = tmp_path / "daemon.py"
    script.write_text(SCRIPT)
    pidfile = tmp_path / "grandchild.pid"
    proc = subprocess.run([sys.executable, "-m", "torch2ms", "run", "--timeout", "60", "--", str(script),
                           str(pidfile), "end"], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    pid = int(pidfile.read_text())
    alive = _alive(pid)
    if alive:
        os.kill(pid, 9)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert not alive


def test_containment_is_full_on_linux_and_said_plainly_otherwise(monkeypatch):
    assert sandbox.containment() is None  # this machine: Linux with a child subreaper
    monkeypatch.setattr(sys, "platform", "freebsd14")
    gap = sandbox.containment()
    assert "setsid" in gap and "may still run" in gap


def test_a_killed_torch2ms_takes_the_whole_tree_with_it(tmp_path):
    script = tmp_path / "daemon.py"
    script.write_text(SCRIPT)
    pidfile = tmp_path / "grandchild.pid"
    runner = subprocess.Popen([sys.executable, "-c", "import sys\nfrom torch2ms import sandbox\n"
                               "sandbox.run([sys.executable] + sys.argv[1:])\n", str(script), str(pidfile), "hang"])
    while not pidfile.exists():
        assert runner.poll() is None, "the run ended before its grandchild started"
        time.sleep(0.05)
    pid = int(pidfile.read_text())
    runner.kill()  # SIGKILL: no clean-up of its own runs
    runner.wait()
    for _ in range(1200):  # the reaper sweeps at once; the wait only bounds a loaded machine
        if not _alive(pid):
            break
        time.sleep(0.05)
    alive = _alive(pid)
    if alive:
        os.kill(pid, 9)
    assert not alive


def test_run_timeout_nan_is_refused_in_one_line(tmp_path):
    script = tmp_path / "s.py"
    script.write_text("print(1)\n")
    proc = subprocess.run([sys.executable, "-m", "torch2ms", "run", "--timeout", "nan", "--", str(script)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert proc.returncode == 2 and proc.stderr.strip() == "torch2ms run: --timeout must be a positive number of seconds"
