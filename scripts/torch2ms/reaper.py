"""The first process of every sandboxed run (`sandbox.run` starts it as `python -S reaper.py`).

    python -S reaper.py LIMIT COMMAND [ARG...]

It makes itself the child subreaper (Linux `PR_SET_CHILD_SUBREAPER`): a process the command
starts and orphans, even one that left the process group with `setsid` (a daemon, a
tensorboard, `Popen(start_new_session=True)`), is re-parented to this process, not to init. It
then forks the command (its address space limited to LIMIT bytes, 0 for none) and waits. When
the command ends, or on SIGTERM (the time bound passed, or the torch2ms process that started it
died, even by SIGKILL: `PR_SET_PDEATHSIG`), it kills every process below itself,
again until none is left, and exits as the command did (a signal that killed the command is
raised again). Without a subreaper (not Linux) it kills what it still sees below itself, and
the caller's process-group kill does the rest: a process in a new session may then survive
(`sandbox.containment()` says so).

It imports only the standard library and runs no code between fork and exec but the limit.
"""

import ctypes
import os
import signal
import sys
import time

PR_SET_CHILD_SUBREAPER = 36
PR_SET_PDEATHSIG = 1
ENV_PARENT = "TORCH2MS_REAPER_PARENT"  # the pid of the process that started the reaper


class _Stop(Exception):
    pass


def _stop(signum, frame):
    raise _Stop


def _subreaper() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _tree(root: int) -> tuple[list[int], bool]:
    """(pids below `root`, any of them not a zombie), from /proc."""
    children: dict[int, list[int]] = {}
    states: dict[int, bytes] = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return [], False
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                data = fh.read()
        except OSError:
            continue
        fields = data[data.rfind(b")") + 2:].split()
        if len(fields) < 2:
            continue
        pid = int(name)
        states[pid] = fields[0]
        children.setdefault(int(fields[1]), []).append(pid)
    below, stack = [], [root]
    while stack:
        for pid in children.get(stack.pop(), ()):
            below.append(pid)
            stack.append(pid)
    return below, any(states.get(p) != b"Z" for p in below)


def _reap(status: dict, child: int) -> None:
    while True:
        try:
            pid, code = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        if pid == child:
            status["child"] = code


def _sweep(status: dict, child: int) -> None:
    """SIGKILL everything below this process until nothing is left, reaping as it goes."""
    me = os.getpid()
    pause, deadline = 0.001, time.monotonic() + 10
    while time.monotonic() < deadline:  # a process stuck in the kernel cannot hold this forever
        below, alive = _tree(me)
        for pid in below:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        _reap(status, child)
        if not alive and not below:
            return
        time.sleep(pause)
        pause = min(pause * 2, 0.02)


def _parent_death() -> bool:
    """SIGTERM (a sweep) when the process that started this one dies, even by SIGKILL; False when
    it is already gone."""
    expected = os.environ.pop(ENV_PARENT, "")
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    return not expected.isdigit() or os.getppid() == int(expected)


def main(argv: list[str]) -> None:
    limit, cmd = int(argv[1]), argv[2:]
    _subreaper()
    signal.signal(signal.SIGTERM, _stop)
    if not _parent_death():
        os._exit(128 + signal.SIGTERM)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the command gets the interrupt and decides
    try:
        child = os.fork()
    except _Stop:
        os._exit(128 + signal.SIGTERM)
    if child == 0:
        try:
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            if limit > 0:
                import resource
                try:
                    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
                except (ValueError, OSError):
                    pass
            os.execv(cmd[0], cmd)
        except BaseException as exc:
            os.write(2, f"torch2ms: cannot start {cmd[0]}: {exc}\n".encode("utf-8", "replace"))
        os._exit(127)
    status: dict = {}
    try:
        while "child" not in status:
            pid, code = os.waitpid(-1, 0)
            if pid == child:
                status["child"] = code
    except _Stop:
        pass
    except ChildProcessError:
        status.setdefault("child", 0)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _sweep(status, child)
    code = status.get("child", signal.SIGKILL)  # stopped before it ended: as if killed
    if os.WIFSIGNALED(code):
        sig = os.WTERMSIG(code)
        signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
    os._exit(os.WEXITSTATUS(code) if os.WIFEXITED(code) else 1)


if __name__ == "__main__":
    main(sys.argv)
