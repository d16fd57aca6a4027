"""Running converted (or original) code in a child process that cannot outlive its bound.

Every run of project code (`check --import`, `parity`, `parity-run`, `torch2ms run`) goes
through `run()`:
- the child starts a new session, so it and everything it forks form one process group, and the
  whole group is killed (SIGKILL) when the time limit passes and again when the child ends: a
  process forked at import never survives the check;
- the child's address space is limited (RLIMIT_AS, set by a tiny `python -S` wrapper that then
  execs the real command, so no code runs between fork and exec in this process's threads);
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

# Runs in the wrapper process (python -S: no site, about 10 ms): limit, then become the command.
_WRAPPER = (
    "import os, resource, sys\n"
    "limit = int(sys.argv[1])\n"
    "if limit > 0:\n"
    "    try:\n"
    "        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))\n"
    "    except (ValueError, OSError):\n"
    "        pass\n"
    "os.execv(sys.argv[2], sys.argv[2:])\n"
)


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
    if os.name != "posix" or not limit:
        return list(cmd)
    return [sys.executable, "-S", "-c", _WRAPPER, str(limit), *cmd]


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
    # inside another bound: stay in its process group, so that its kill reaches this child too
    own_group = os.name == "posix" and not inside()
    kill = _kill_group if own_group else (lambda pid, sig=signal.SIGKILL: _kill_one(proc, sig))
    try:
        proc = subprocess.Popen(_command(cmd, limit), cwd=cwd, env=env, stdin=subprocess.DEVNULL if stdin is False else stdin,
                                stdout=files[0], stderr=files[1], start_new_session=own_group)
        pgid = proc.pid
        try:
            finished = _wait(proc, deadline)
        except KeyboardInterrupt:
            kill(pgid, signal.SIGINT)
            if not _wait(proc, time.monotonic() + 5):
                kill(pgid)
            proc.wait()
            kill(pgid)
            raise
        kill(pgid)  # the child's leftovers, or (timed out) the child and all it forked
        proc.wait()
        code = proc.returncode if finished else None
        out = Outcome(code, timed_out=not finished, seconds=time.monotonic() - start, memory_limit=limit)
        if capture:
            out.stdout, out.stderr = _read_tail(files[0]), _read_tail(files[1])
        return out
    finally:
        for fh in files:
            if fh is not None:
                fh.close()


def exit_status(code: int | None) -> int:
    """A shell's view of a child's return code: 128 + N for a child killed by signal N."""
    if code is None:
        return 124
    return 128 - code if code < 0 else code
