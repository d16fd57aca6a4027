"""The `torch2ms` command: one subcommand per helper module.

Each subcommand lives in a module exposing `add_arguments(parser)` and `run(args) -> int`; a
module serving several subcommands is named as "module:NAME" and exposes `add_NAME_arguments`
and `run_NAME` instead.
Modules are imported only when their subcommand runs, so `torch2ms scan` never pays for
importing mindspore or torch.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "scan": ("torch2ms.scan.cli", "find the files with torch-ecosystem code and write the tracker"),
    "next": ("torch2ms.tracker_cli:next", "print the next unticked file with its category and evidence"),
    "done": ("torch2ms.tracker_cli:done", "tick a file off in the tracker"),
    "edit": ("torch2ms.tracker_cli:edit", "append an edit record to a file's Edits subsection, or mark it blocked"),
    "convert": ("torch2ms.convert.cli", "AST pre-conversion of torch code into outputs/"),
    "check": ("torch2ms.check.cli", "verdict per output file: parses, no torch left, APIs exist"),
    "report": ("torch2ms.report.cli", "write conversion_report.md and report.md"),
    "probe": ("torch2ms.probe", "record which mint APIs run natively on CPU"),
    "parity": ("torch2ms.parity.cli", "compare a torch module with its MindSpore port"),
    "parity-run": ("torch2ms.parity.run_cli", "run a torch script and its port from the same weights, compare losses or outputs"),
    "run": ("torch2ms.run", "run a converted script on CPU with the CPU fallback on"),
    "weights": ("torch2ms.weights.cli", "convert a torch checkpoint for the MindSpore port, or back"),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="torch2ms", description="Helpers for migrating PyTorch projects to MindSpore."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        sp = sub.add_parser(name, help=help_text, description=help_text)
        if name == command:
            module_name, _, part = module.partition(":")
            mod = importlib.import_module(module_name)
            add = getattr(mod, f"add_{part}_arguments" if part else "add_arguments")
            add(sp)
            sp.set_defaults(_run=getattr(mod, f"run_{part}" if part else "run"))
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(command if command in COMMANDS else None)
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 0 if not argv or argv[0] in ("-h", "--help") else 2
    from torch2ms.workspace import WorkspaceError

    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        print("torch2ms: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except WorkspaceError as exc:
        print(f"torch2ms {args.command}: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a read-only folder, a full disk, a path that is a file: one line
        print(f"torch2ms {args.command}: {describe_os_error(exc)}", file=sys.stderr)
        return 2
    except RecursionError:
        print(f"torch2ms {args.command}: nested too deeply to handle (a folder tree or code nested past "
              f"{sys.getrecursionlimit()} levels)", file=sys.stderr)
        return 2
    except UnicodeError as exc:  # a name or text the OS gave that is not UTF-8, where one must be
        print(f"torch2ms {args.command}: a name or text that is not valid UTF-8 "
              f"({ascii(getattr(exc, 'object', b'')[getattr(exc, 'start', 0):getattr(exc, 'end', 0)])}): "
              "rename the file or give the text in UTF-8", file=sys.stderr)
        return 2


def describe_os_error(exc: OSError) -> str:
    """`cannot write /w/report.md: No space left on device` from any OSError."""
    what = exc.strerror or str(exc) or type(exc).__name__
    if exc.filename is None:
        return what
    name = exc.filename if exc.filename2 is None else f"{exc.filename} -> {exc.filename2}"
    return f"{name}: {what}"
