"""Run `torch2ms ARGS...` under a simulated fault (used by the reliability tests).

    python faults.py [--fsize BYTES] [--readonly DIR]... -- ARGS...

--fsize: no file may grow past BYTES (RLIMIT_FSIZE, SIGXFSZ ignored): a write past it fails
with EFBIG as a full disk fails with ENOSPC, part way through, at the kernel's level.
--readonly DIR: creating, writing, renaming or removing anything in DIR fails with EACCES, as
in a read-only folder (simulated by patching the calls: permission bits do not stop root).
"""

from __future__ import annotations

import builtins
import errno
import io
import os
import signal
import sys


def _readonly(folders: list[str]) -> None:
    roots = [os.path.realpath(f) for f in folders]

    def hit(path) -> bool:
        if isinstance(path, int):
            return False
        real = os.path.realpath(os.fspath(path))
        return any(real == r or real.startswith(r + os.sep) for r in roots)

    def deny(path):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fspath(path))

    real_os_open, real_open = os.open, io.open

    def os_open(path, flags, *a, **k):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND) and hit(path):
            deny(path)
        return real_os_open(path, flags, *a, **k)

    def py_open(file, mode="r", *a, **k):
        if any(c in mode for c in "wax+") and hit(file):
            deny(file)
        return real_open(file, mode, *a, **k)

    def guard(fn, *which):
        def wrapped(*args, **kwargs):
            for i in which:
                if i < len(args) and hit(args[i]):
                    deny(args[i])
            return fn(*args, **kwargs)
        return wrapped

    os.open = os_open
    io.open = builtins.open = py_open
    for name, which in (("mkdir", (0,)), ("replace", (0, 1)), ("rename", (0, 1)), ("unlink", (0,)),
                        ("remove", (0,)), ("rmdir", (0,)), ("symlink", (1,)), ("link", (1,)),
                        ("chmod", (0,)), ("utime", (0,))):
        setattr(os, name, guard(getattr(os, name), *which))


def main(argv: list[str]) -> int:
    split = argv.index("--")
    opts, args = argv[:split], argv[split + 1:]
    readonly = []
    while opts:
        flag, value, opts = opts[0], opts[1], opts[2:]
        if flag == "--fsize":
            import resource
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (int(value), int(value)))
        elif flag == "--readonly":
            readonly.append(value)
    if readonly:
        _readonly(readonly)
    from torch2ms.cli import main as torch2ms
    return torch2ms(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
