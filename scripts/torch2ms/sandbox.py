"""Running converted (or original) code in a child process that cannot outlive its bound.

Every run of project code (`check --import`, `parity`, `parity-run`, `torch2ms run`) goes
through `run()`:
- the child is `reaper.py` (a tiny `python -S` process) in a new session: it becomes the child
  subreaper, forks the real command and, when the command ends or the time limit passes
  (SIGTERM), kills every process below itself, including those that left the group with
  `setsid`; then the whole group is killed (SIGKILL). Nothing the command started survives the
  run; where the system has no subreaper, `containment()` says what is not guaranteed;
- the command's address space is limited (RLIMIT_AS, set by the reaper between fork and exec, so
  no code runs between fork and exec in this process's threads);
- captured output goes to temporary files, not pipes, so a grandchild holding a pipe open cannot
  make the parent wait.

The limit is `TORCH2MS_MEMORY_LIMIT` (GiB, `0` for none) or, by default, the machine's memory:
address space, not resident memory, so the default only stops runaway allocations.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import tempfile
import time

ENV_MEMORY = "TORCH2MS_MEMORY_LIMIT"
# Set for every child: a command that finds it runs its work in-process, inside the bound it was
# given, instead of starting a second group (which the outer kill would not reach).
ENV_INSIDE = "TORCH2MS_SANDBOXED"
# What the captured output keeps of a chatty child: its end, where the error is.
KEPT_OUTPUT = 1 << 20

# The first process of the child (python -S: no site, about 10 ms): reaps and sweeps the tree.
REAPER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reaper.py")
# Seconds the reaper gets to sweep the tree once asked, before the group is killed outright.
SWEEP_GRACE = 15.0


@dataclasses.dataclass
class Outcome:
    returncode: int | None  # None when the time limit killed it
    stdout: str = ""
    stderr: str = ""
    timed_out: bool = False
    seconds: float = 0.0
    memory_limit: int = 0  # bytes of address space, 0 for none

    @property
    def out_of_memory(self) -> bool:
        """A MemoryError (or an allocator's abort) under the address-space limit."""
        return bool(self.memory_limit) and any(
            sign in self.stderr for sign in ("MemoryError", "std::bad_alloc", "Cannot allocate memory"))


def inside() -> bool:
    """True in a process started by `run()` (directly or further down)."""
    return os.environ.get(ENV_INSIDE) == "1"


def child_env(**extra) -> dict:
    """The environment for a child running project code: MindSpore's C++ log at errors only, no
    bytecode written next to the user's files."""
    env = dict(os.environ)
    env.setdefault("GLOG_v", "3")
    env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    env.update(extra)
    return env


def memory_limit() -> int:
    """The address-space limit for children, in bytes (0: none)."""
    given = os.environ.get(ENV_MEMORY)
    if given is not None:
        try:
            return max(0, int(float(given) * (1 << 30)))
        except ValueError:
            pass
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0
    # measured: mindspore 2.10 + torch 2.13 + mindone.transformers imported and running take about
    # 3 GiB of address space on CPU; half the machine's memory (at least 8 GiB) leaves room for
    # real models and stops a runaway allocation before the machine swaps
    return max(physical // 2, 8 << 30)


def _command(cmd: list[str], limit: int) -> list[str]:
    if os.name != "posix":
        return list(cmd)
    return [sys.executable, "-S", REAPER, str(limit), *cmd]


def containment() -> str | None:
    """None when every process a run starts is stopped with it; else what is not guaranteed."""
    if os.name != "posix":
        return "only the script itself is stopped: processes it started may still run on this system"
    if sys.platform.startswith("linux") and os.path.isdir("/proc/self"):
        try:
            import ctypes

            got = ctypes.c_int()
            if ctypes.CDLL(None, use_errno=True).prctl(37, ctypes.byref(got), 0, 0, 0) == 0:  # GET_CHILD_SUBREAPER
                return None
        except (OSError, AttributeError):
            pass
    return ("its process group is stopped, but a process it started in a session of its own (setsid) "
            "may still run: this system offers no child subreaper")


def _kill_group(pgid: int, sig=signal.SIGKILL) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError, OSError):
        pass


def _kill_one(proc: subprocess.Popen, sig=signal.SIGKILL) -> None:
    if proc.returncode is None:
        try:
            proc.send_signal(sig)
        except (ProcessLookupError, OSError):
            pass


def _wait(proc: subprocess.Popen, deadline: float | None) -> bool:
    """Wait for the child to end without reaping it (its pid, the group's id, stays taken until
    the group is killed). Returns False when the deadline passed first."""
    waitid = getattr(os, "waitid", None)
    if waitid is None:  # no waitid: reap, then kill what is left of the group
        try:
            proc.wait(None if deadline is None else max(0.0, deadline - time.monotonic()))
            return True
        except subprocess.TimeoutExpired:
            return False
    pause = 0.005
    while True:
        try:
            if waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT | os.WNOHANG) is not None:
                return True
        except ChildProcessError:
            return True
        if deadline is not None and time.monotonic() >= deadline:
            return False
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


def _read_tail(fh) -> str:
    fh.flush()
    size = fh.seek(0, os.SEEK_END)
    fh.seek(max(0, size - KEPT_OUTPUT))
    data = fh.read()
    return data.decode("utf-8", errors="replace")


def run(cmd: list[str], *, timeout: float | None = None, cwd=None, env: dict | None = None,
        capture: bool = True, memory: int | None = None, stdin=False) -> Outcome:
    """Run `cmd` in its own process group under a time and address-space limit.

    capture: collect stdout/stderr (as text); otherwise the child writes to this process's own
    streams. stdin: False for none (the default), None to pass this process's own on. A KeyboardInterrupt here is passed on to the group (SIGINT, then SIGKILL after 5 s)
    and raised again.
    """
    limit = memory_limit() if memory is None else memory
    start = time.monotonic()
    deadline = None if timeout is None else start + timeout
    files = [tempfile.TemporaryFile(), tempfile.TemporaryFile()] if capture else [None, None]
    env = dict(os.environ if env is None else env)
    env[ENV_INSIDE] = "1"
    env["TORCH2MS_REAPER_PARENT"] = str(os.getpid())  # the reaper sweeps the tree if this process dies
    # inside another bound: stay in its process group, so that its kill reaches this child too
    own_group = os.name == "posix" and not inside()
    try:
        proc = subprocess.Popen(_command(cmd, limit), cwd=cwd, env=env, stdin=subprocess.DEVNULL if stdin is False else stdin,
                                stdout=files[0], stderr=files[1], start_new_session=own_group)
        try:
            finished = _wait(proc, deadline)
        except KeyboardInterrupt:
            _signal(proc, own_group, signal.SIGINT)
            if not _wait(proc, time.monotonic() + 5):
                _stop(proc, own_group)
            proc.wait()
            _signal(proc, own_group, signal.SIGKILL)
            raise
        if not finished:
            _stop(proc, own_group)
        proc.wait()
        _signal(proc, own_group, signal.SIGKILL)  # whatever is left in the group
        code = proc.returncode if finished else None
        out = Outcome(code, timed_out=not finished, seconds=time.monotonic() - start, memory_limit=limit)
        if capture:
            out.stdout, out.stderr = _read_tail(files[0]), _read_tail(files[1])
        return out
    finally:
        for fh in files:
            if fh is not None:
                fh.close()


def _signal(proc: subprocess.Popen, own_group: bool, sig) -> None:
    """`sig` to the child's process group (its own), or to the child alone (inside another bound)."""
    if own_group:
        _kill_group(proc.pid, sig)
    else:
        _kill_one(proc, sig)


def _stop(proc: subprocess.Popen, own_group: bool) -> None:
    """Ask the reaper to kill the whole tree (SIGTERM), then kill the group outright."""
    if os.name == "posix":
        _kill_one(proc, signal.SIGTERM)
        _wait(proc, time.monotonic() + SWEEP_GRACE)
    _signal(proc, own_group, signal.SIGKILL)


def exit_status(code: int | None) -> int:
    """A shell's view of a child's return code: 128 + N for a child killed by signal N."""
    if code is None:
        return 124
    return 128 - code if code < 0 else code
