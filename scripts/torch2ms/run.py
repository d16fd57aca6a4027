"""`torch2ms run SCRIPT [ARGS...]` (or `-m MODULE [ARGS...]`): run converted code on CPU.

Runs the script the way `python SCRIPT ARGS` does (sys.argv, `__main__`, the script's folder
first on sys.path, its exit status, a normal traceback), after `cpu_fallback.enable()`, so mint
APIs without a CPU kernel run on CPU implementations. Verification only: the fallback is on
because this command was asked for, never implicitly.

When the script lies in a workspace's outputs/, a project-local module that exists in the input
folder but not in outputs/ (a torch-free helper that was never copied) is reported on stderr and
not imported: the converted tree must stand on its own, and a silent import of the original would
hide that.
"""

from __future__ import annotations

import argparse
import importlib.abc
import importlib.machinery
import json
import runpy
import sys
from pathlib import Path

from torch2ms.workspace import Workspace

PROG = "torch2ms run"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.usage = "torch2ms run [--workspace DIR] (SCRIPT | -m MODULE) [ARGS...]"
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

    try:
        count = _enable_fallback()
    except ImportError as exc:
        return _bad(f"the CPU fallback needs mindspore ({exc}); install the `verify` extra")
    print(f"{PROG}: CPU fallback on: {count} mint APIs without a CPU kernel run on CPU "
          "implementations (for verification)", file=sys.stderr)
    return _execute(kind, name, script_args, home, guard)


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


# --- the workspace check ---------------------------------------------------------------------

def _input_dir(ws: Workspace) -> Path | None:
    """The input folder the workspace was made from: the tracker's header, else the scan record."""
    if ws.tracker.is_file():
        from torch2ms.tracker import Tracker, TrackerError

        try:
            return Tracker.load(ws.tracker).input_dir
        except TrackerError:
            pass
    try:
        return Path(json.loads((ws.state_dir / "scan.json").read_text(encoding="utf-8"))["input_dir"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _find_workspace(home: Path) -> Workspace | None:
    """The workspace whose outputs/ holds `home`: $TORCH2MS_WORKSPACE or the current folder if it
    does, else the nearest parent `X` with `home` under `X/outputs/`."""
    default = Workspace.resolve()
    if _is_within(home, default.outputs):
        return default
    for parent in (home, *home.parents):
        if parent.name == "outputs" and _input_dir(Workspace(parent.parent)) is not None:
            return Workspace(parent.parent)
    return None


def _outputs_guard(given: str | None, home: Path) -> "OutputsOnly | None":
    if given is not None:
        ws = Workspace.resolve(given)
        if not ws.root.is_dir():
            raise ValueError(f"no workspace folder at {given}")
        if _input_dir(ws) is None:
            raise ValueError(f"{given} holds no tracker or scan record: run `torch2ms scan` there first")
    else:
        ws = _find_workspace(home)
    if ws is None or not _is_within(home, ws.outputs):
        return None
    input_dir = _input_dir(ws)
    return OutputsOnly(ws.outputs, input_dir.resolve()) if input_dir else None


def _is_within(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


class OutputsOnly(importlib.abc.MetaPathFinder):
    """Refuses a module that the input folder has but outputs/ lacks, with a message saying so.

    Consulted before the normal finders: a module that exists in outputs/ (or is not
    project-local) is left to them.
    """

    def __init__(self, outputs: Path, input_dir: Path):
        self.outputs = outputs.resolve()
        self.input_dir = input_dir
        self.reported: set[str] = set()

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in getattr(sys, "stdlib_module_names", ()):
            return None
        leaf = name.rpartition(".")[2]
        missing = None
        for entry in (sys.path if path is None else path):
            folder = Path(entry or ".").resolve()
            try:
                rel = folder.relative_to(self.outputs)
            except ValueError:
                continue
            if _module_path(folder, leaf, namespace_ok=False):
                return None
            original = _module_path(self.input_dir / rel, leaf, namespace_ok=True)
            if missing is None and original is not None:
                missing = (original, self.outputs / rel / original.relative_to(self.input_dir / rel))
        if missing is None:
            return None
        original, where = missing
        message = (f"`{name}` is a project-local module that is not in outputs/: the input folder has "
                   f"{_shown(original)} but {_shown(where)} does not exist; copy it there if it needs "
                   "no conversion, or convert it (it is not imported from the input folder)")
        if name not in self.reported:
            self.reported.add(name)
            print(f"{PROG}: {message}", file=sys.stderr)
        raise ModuleNotFoundError(message, name=name)


def _module_path(folder: Path, leaf: str, namespace_ok: bool) -> Path | None:
    """The file or folder that makes `leaf` importable from `folder`, if any."""
    candidates = [folder / leaf / "__init__.py"]
    candidates += [folder / (leaf + suffix) for suffix in importlib.machinery.all_suffixes()]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    # A plain folder is a namespace package only when it holds Python files (data/ is not code).
    if namespace_ok and (folder / leaf).is_dir() and any((folder / leaf).glob("*.py")):
        return folder / leaf
    return None


def _shown(path: Path) -> str:
    """Relative to the current folder when below it, else absolute."""
    cwd = Path.cwd().resolve()
    return str(path.resolve().relative_to(cwd)) if _is_within(path, cwd) else str(path)


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
