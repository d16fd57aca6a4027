"""`torch2ms run [--timeout S] SCRIPT [ARGS...]` (or `-m MODULE [ARGS...]`): run converted code on CPU.

Runs the script the way `python SCRIPT ARGS` does (sys.argv, `__main__`, the script's folder
first on sys.path, its exit status, a normal traceback), after `cpu_fallback.enable()`, so mint
APIs without a CPU kernel run on CPU implementations. Verification only: the fallback is on
because this command was asked for, never implicitly.

The script runs in a child process bounded by `torch2ms.sandbox`: its own process group (killed
as a whole when the script ends, is interrupted or passes `--timeout`), and an address-space
limit (TORCH2MS_MEMORY_LIMIT, GiB). Its output is not captured.

When the script lies in a workspace's outputs/, a project-local module that exists in the input
folder but not in outputs/ (a torch-free helper that was never copied) is reported on stderr and
not imported: the converted tree must stand on its own, and a silent import of the original would
hide that.
"""

from __future__ import annotations

import argparse
import runpy
import sys
from pathlib import Path

PROG = "torch2ms run"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.usage = "torch2ms run [--workspace DIR] [--timeout S] (SCRIPT | -m MODULE) [ARGS...]"
    parser.add_argument("--timeout", type=float, metavar="S",
                        help="stop the script (and every process it started) after S seconds; exit 124")
    parser.add_argument("--workspace", metavar="DIR",
                        help="workspace whose outputs/ holds the script (default: found from the "
                             "script's path); used to report project-local modules missing from outputs/")
    # REMAINDER on both: everything after the script or module goes to it untouched.
    parser.add_argument("-m", dest="module", nargs=argparse.REMAINDER, metavar="MODULE",
                        help="run a module as `python -m MODULE` does (the current folder first on sys.path)")
    parser.add_argument("command_line", nargs=argparse.REMAINDER, metavar="SCRIPT [ARGS...]",
                        help="the script and its arguments")


def run(args: argparse.Namespace) -> int:
    target = _target(args)
    if isinstance(target, str):
        return _bad(target)
    kind, name, script_args = target
    if kind == "script" and not Path(name).exists():
        return _bad(f"no such script: {name}")
    # the folder that comes first on sys.path, as with python (a directory runs its __main__.py)
    if kind == "module":
        home = Path.cwd()
    else:
        home = Path(name).resolve() if Path(name).is_dir() else Path(name).resolve().parent
    try:
        guard = _outputs_guard(args.workspace, home)
    except ValueError as exc:
        return _bad(str(exc))
    if args.timeout is not None and not 0 < args.timeout < float("inf"):  # nan compares false both ways
        return _bad("--timeout must be a positive number of seconds")

    from torch2ms import sandbox

    if not sandbox.inside():
        return _in_child(args, kind, name, script_args)
    try:
        count = _enable_fallback()
    except ImportError as exc:
        return _bad(f"the CPU fallback needs mindspore ({exc}); install the `verify` extra")
    print(f"{PROG}: CPU fallback on: {count} mint APIs without a CPU kernel run on CPU "
          "implementations (for verification)", file=sys.stderr)
    return _execute(kind, name, script_args, home, guard)


def _in_child(args, kind: str, name: str, script_args: list[str]) -> int:
    """Run this command again in a bounded child (which executes the script) and wait for it."""
    from torch2ms import sandbox

    cmd = [sys.executable, "-m", "torch2ms", "run"]
    if args.workspace is not None:
        cmd += ["--workspace", args.workspace]
    cmd += ["-m", name, *script_args] if kind == "module" else ["--", name, *script_args]
    # a terminal cannot be read from another process group (SIGTTIN would stop the script): a
    # piped stdin is passed on, a terminal is not
    stdin = None if not sys.stdin or not sys.stdin.isatty() else False
    outcome = sandbox.run(cmd, timeout=args.timeout, capture=False, env=sandbox.child_env(), stdin=stdin)
    if outcome.timed_out:
        gap = sandbox.containment()
        print(f"{PROG}: {name} did not finish within {args.timeout:g} s: stopped it and "
              + (f"{gap}" if gap else "every process it started"), file=sys.stderr)
    return sandbox.exit_status(outcome.returncode)


def _target(args) -> tuple[str, str, list[str]] | str:
    """("script" | "module", name, arguments) or an error message."""
    line = list(args.command_line or [])
    if args.module is not None:
        if not args.module:
            return "-m needs a module name"
        return "module", args.module[0], args.module[1:] + line
    if line and line[0] == "--":  # separates torch2ms's options from the script
        line = line[1:]
    if not line:
        return "give a script to run (or -m MODULE)"
    return "script", line[0], line[1:]


def _bad(message: str) -> int:
    print(f"{PROG}: {message}", file=sys.stderr)
    return 2


def _enable_fallback() -> int:
    from torch2ms import cpu_fallback

    cpu_fallback.enable()
    return len(cpu_fallback.replacement_table())


# --- the workspace check: torch2ms.loader's, shared with check --import and parity --------------

def _outputs_guard(given: str | None, home: Path):
    from torch2ms import loader

    return loader.outputs_guard(given, home, report=lambda message: print(f"{PROG}: {message}", file=sys.stderr))


# --- running ---------------------------------------------------------------------------------

def _execute(kind: str, name: str, script_args: list[str], home: Path, guard) -> int:
    saved_argv, saved_path = sys.argv[:], sys.path[:]
    sys.argv = [name, *script_args]
    # sys.path[0] is this command's own folder (the venv's bin/, or the current folder): the
    # script's folder (or, for -m, the current folder) takes its place, as with `python`.
    sys.path[0:1] = [str(home)]
    if guard is not None:
        sys.meta_path.insert(0, guard)
    try:
        if kind == "module":
            runpy.run_module(name, run_name="__main__", alter_sys=True)
        else:
            runpy.run_path(str(Path(name).resolve()), run_name="__main__")
        return 0
    except SystemExit as exc:
        return _exit_status(exc.code)
    except BaseException as exc:  # KeyboardInterrupt too: python prints it with a traceback
        tb = _user_frames(exc.__traceback__)
        sys.excepthook(type(exc), exc.with_traceback(tb), tb)
        return 130 if isinstance(exc, KeyboardInterrupt) else 1
    finally:
        sys.stdout.flush()
        if guard is not None and guard in sys.meta_path:
            sys.meta_path.remove(guard)
        sys.argv, sys.path[:] = saved_argv, saved_path


def _exit_status(code) -> int:
    """What python makes of `sys.exit(code)`."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _user_frames(tb):
    """Drop the frames of this module and runpy, so the traceback starts in the script."""
    while tb is not None and tb.tb_frame.f_globals.get("__name__") in (__name__, "runpy"):
        tb = tb.tb_next
    return tb
