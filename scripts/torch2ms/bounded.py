"""One function over many files, each in a worker process under a time and a memory bound.

    from torch2ms.bounded import Bounds, run_bounded
    for index, outcome in run_bounded(convert_one, jobs, workers=2, bounds=Bounds(120, 2048)):
        outcome.ok, outcome.value, outcome.error

Outcomes arrive as each item finishes, not in order. An item that runs past the time bound,
grows its worker past the memory bound, raises, or kills its worker (a segfault, an abort) gets
an outcome whose `error` says which, in one line; its worker is replaced and the other items go
on. Workers only compute: the caller writes the files, so a worker killed at any point leaves
nothing half written.

libcst's parallel runner (`parallel_exec_transform_with_prettyprint`) is the model: a result per
file, the parent warmed before forking. It has no time or memory bound, one crashed worker
breaks its whole pool (`BrokenProcessPool`), and it writes from the workers; hence this one.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import signal
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

DEFAULT_TIMEOUT = 120.0
DEFAULT_MEMORY_MB = 4096
_POLL = 0.05  # seconds between looks at the workers' memory


@dataclass(frozen=True)
class Bounds:
    timeout: float = DEFAULT_TIMEOUT      # seconds per item
    memory_mb: int = DEFAULT_MEMORY_MB    # resident memory a worker adds to what it was forked with


@dataclass
class Outcome:
    ok: bool
    value: Any = None
    error: str | None = None


def _context():
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def _statm(pid: int) -> tuple[int, int] | None:
    """(virtual, resident) bytes of a process, from /proc (None where there is none)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            fields = fh.read().split()
    except OSError:
        return None
    page = os.sysconf("SC_PAGE_SIZE")
    return int(fields[0]) * page, int(fields[1]) * page


def _limit_address_space(memory_mb: int) -> None:
    """A hard stop well above the resident bound the parent watches, for growth faster than
    its polling; where /proc is missing it is the only bound."""
    try:
        import resource
    except ImportError:
        return
    now = _statm(os.getpid())
    bound = memory_mb * 1024 * 1024
    limit = now[0] + 2 * bound + (1 << 30) if now else bound
    try:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ValueError, OSError):
        pass


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _die_with(parent: int) -> None:
    """A worker whose parent is killed (kill -9, a crash) stops at once instead of working on
    alone (Linux; elsewhere it stops when it finds its pipe closed)."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the call above
        os._exit(1)


def _worker(conn, func: Callable, memory_mb: int, parent: int) -> None:
    _die_with(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent answers Ctrl-C and stops us
    _limit_address_space(memory_mb)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        index, item = message
        fresh = False
        try:
            reply = (index, True, func(item), False)
        except (MemoryError, RecursionError) as exc:  # the interpreter may be damaged: start anew
            reply, fresh = (index, False, _describe(exc), True), True
        except Exception as exc:  # noqa: BLE001 - any failure belongs to this item alone
            reply = (index, False, _describe(exc), False)
        try:
            conn.send(reply)
        except (OSError, EOFError):
            return
        except Exception as exc:  # noqa: BLE001 - a result that cannot be sent back
            conn.send((index, False, f"result not sent back: {_describe(exc)}", False))
        if fresh:
            return


class _Slot:
    def __init__(self, ctx, func: Callable, bounds: Bounds):
        # a forked worker starts with its parent's resident pages: only its growth counts
        self.base = (_statm(os.getpid()) or (0, 0))[1] if ctx.get_start_method() == "fork" else 0
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker, args=(child, func, bounds.memory_mb, os.getpid()), daemon=True)
        self.proc.start()
        child.close()
        self.index: int | None = None
        self.deadline = 0.0

    def assign(self, index: int, item, timeout: float) -> None:
        self.index = index
        self.deadline = time.monotonic() + timeout
        self.conn.send((index, item))

    def stop(self, kill: bool = False) -> None:
        if not kill:
            try:
                self.conn.send(None)
            except (OSError, ValueError):
                kill = True
        if not kill:
            self.proc.join(1.0)
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join()
        self.conn.close()


def _died(proc) -> str:
    code = proc.exitcode
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        hint = ", perhaps out of memory" if -code in (signal.SIGKILL, signal.SIGABRT) else ""
        return f"its worker process died ({name}{hint})"
    return f"its worker process died (exit status {code})"


def run_bounded(func: Callable, items: Iterable, workers: int = 1, bounds: Bounds = Bounds(),
                on_wait: Callable[[], None] | None = None) -> Iterator[tuple[int, Outcome]]:
    """Yield (index of the item, Outcome) as each item finishes. `func` must be a module-level
    function (workers may be spawned); import what it needs before calling, so forked workers
    start warm. `on_wait` is called between looks at the workers (a few times a second), e.g.
    to write what finished while a long item still runs."""
    pending = deque(enumerate(items))
    if not pending:
        return
    ctx = _context()
    limit = bounds.memory_mb * 1024 * 1024
    size = max(1, min(workers, len(pending)))
    slots: list[_Slot] = []
    try:
        while pending or any(s.index is not None for s in slots):
            for slot in slots:
                if slot.index is None and pending:
                    slot.assign(*pending.popleft(), bounds.timeout)
            while len(slots) < size and pending:
                slot = _Slot(ctx, func, bounds)
                slots.append(slot)
                slot.assign(*pending.popleft(), bounds.timeout)
            busy = [s for s in slots if s.index is not None]
            now = time.monotonic()
            wait = min([_POLL] + [max(0.0, s.deadline - now) for s in busy])
            multiprocessing.connection.wait([s.conn for s in busy] + [s.proc.sentinel for s in busy], wait)
            if on_wait is not None:
                on_wait()
            for slot in busy:
                outcome = _look(slot, limit, bounds)
                if outcome is None:
                    continue
                index, (result, replace) = slot.index, outcome
                slot.index = None
                if replace:  # a new worker takes its place at the top of the loop
                    slot.stop(kill=True)
                    slots.remove(slot)
                yield index, result
    finally:
        for slot in slots:
            slot.stop(kill=slot.index is not None)


def _look(slot: _Slot, limit: int, bounds: Bounds) -> tuple[Outcome, bool] | None:
    """(outcome, replace the worker) once the slot's item is over, else None."""
    if slot.conn.poll():
        try:
            _, ok, value, fresh = slot.conn.recv()
        except (EOFError, OSError):
            slot.proc.join(1.0)
            return Outcome(False, error=_died(slot.proc)), True
        return (Outcome(True, value) if ok else Outcome(False, error=value)), fresh
    if not slot.proc.is_alive():
        slot.proc.join()
        return Outcome(False, error=_died(slot.proc)), True
    if time.monotonic() > slot.deadline:
        return Outcome(False, error=f"stopped after the time limit ({bounds.timeout:g} s)"), True
    usage = _statm(slot.proc.pid)
    if usage and usage[1] - slot.base > limit:
        return Outcome(False, error=f"stopped at the memory limit ({bounds.memory_mb} MB)"), True
    return None
