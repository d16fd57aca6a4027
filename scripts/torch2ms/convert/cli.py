"""`torch2ms convert <file-or-folder> [-o DIR] [--workspace DIR] [--json] [--diff]`

Each Python file is converted into the output folder (default: the workspace's `outputs/`) at
the same relative path: relative to the tracker's input folder when the file lies under it,
else to the folder given. The input is never modified. An existing output file is the starting
point (it may hold later edits): the rules run on it, never on the original over it. Edits are
appended to the tracker's Edits section when the workspace has a tracker that lists the file.
When the tracker names the input folder, the project's torch-free Python files and non-Python
files (data, configs) are copied into the output folder too, never over an existing file
(`project_files.py`).

Each file is converted in a worker process under a time and a memory bound (`--timeout`,
`--memory`); a file that breaks them, crashes its worker, cannot be read (a FIFO, a device, a
symlink loop) or cannot be written is reported on its own line and the others go on. Outputs
are written as files finish (every write atomic: an error or a kill leaves the previous output
whole), after their edit records are in the tracker. Sources are read per PEP 263 (a coding
declaration, a BOM) and written back in the same encoding, with the same BOM and line endings.
Nothing is written outside the output folder: a symlink in it pointing elsewhere is refused,
and so is an input folder inside it.
"""

from __future__ import annotations

import difflib
import json
import os
import stat
import sys
import time
from pathlib import Path

from ..bounded import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT, Bounds, run_bounded
from ..fsio import unreadable
from ..workspace import Workspace, WorkspaceError, check_apart, destination, inside
from .project_files import MAX_BYTES, copy_project_files

EXIT_CODES = """exit status:
  0  every file converted, nothing flagged
  1  lines flagged for review (TODO(torch2ms) markers): not a failure
  2  bad input (missing path, output over its input) or a file that could not be converted"""

# edit records go to the tracker (then the outputs are written) at least this often
FLUSH_SECONDS = 2.0
FLUSH_FILES = 50


def add_arguments(parser) -> None:
    import argparse
    parser.epilog = EXIT_CODES
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("path", help="a Python file or a folder of them")
    parser.add_argument("-o", "--output", metavar="DIR",
                        help="output folder (default: the workspace's outputs/)")
    parser.add_argument("--workspace", metavar="DIR", help="workspace folder (default: current)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--diff", action="store_true",
                        help="print a unified diff instead of writing the outputs")
    parser.add_argument("-j", "--jobs", type=int, default=0,
                        help="worker processes for folders (default: one per core)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="S",
                        help=f"time limit per file (default {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--memory", type=int, default=DEFAULT_MEMORY_MB, metavar="MB",
                        help=f"memory limit of a worker converting a file (default {DEFAULT_MEMORY_MB})")


def _python_files(folder: Path, exclude: list[Path]) -> tuple[list[str], list[str]]:
    """([path relative to folder], [warning]) for the .py files, configs and requirement files
    the scan would find there."""
    from ..scan.walk import find_sources

    from .configs import kind

    found, warnings = find_sources(folder, skip=exclude)
    return [rel for _, rel in found if rel.endswith(".py") or kind(rel)], warnings


def _load_tracker(ws: Workspace):
    if not ws.tracker.exists():
        return None
    from ..tracker import Tracker
    return Tracker


def _convert_one(job: tuple[str, str, str, bool]) -> dict:
    """In a worker: convert the output when there is one, else the source; nothing written."""
    src, dst, rel, from_output = job
    from ..fsio import SourceError, read_source
    from .engine import convert_source

    start = dst if from_output else src
    try:
        source = read_source(start)
    except SourceError as exc:
        return _failed(rel, f"cannot read {start}: {exc}", from_output)
    except OSError as exc:
        return _failed(rel, f"cannot read {start}: {exc.strerror or exc}", from_output)
    from .configs import kind
    from .star import star_imports

    if kind(rel):
        out = _convert_config(source.text, rel)
    else:
        # the torch names a star import brings, read from the project's original modules
        result = convert_source(source.text, rel, star=star_imports(source.text, src, rel))
        out = result.to_dict()
        out["code"] = result.code
    if out["error"] is None:
        try:
            out["data"] = source.encode(out["code"])
        except UnicodeEncodeError as exc:
            return _failed(rel, f"the converted code has {exc.object[exc.start]!r}, which its encoding "
                                f"{source.encoding} cannot hold", from_output)
    out.update(lines=source.text.count("\n"), from_output=from_output, src=start, dst=dst,
               original=source.text)
    return out


def _convert_config(text: str, rel: str) -> dict:
    """A config or requirement file (convert/configs.py), in the shape of a Python file's result."""
    from .configs import convert_text

    r = convert_text(text, rel)
    flags = [{"line": n, "rule": "config", "message": m if marked else f"{m} (not marked: JSON has no comments)"}
             for n, m, marked in r.flags]
    return {"path": rel, "changed": r.code != text, "error": None, "code": r.code,
            "call_sites": {"found": r.found, "converted": len(r.edits), "flagged": len(r.flags)},
            "edits": [{"line": n, "rule": "config", "before": b, "after": a} for n, b, a in r.edits],
            "flags": flags}


def _binary(path: Path) -> bool:
    from ..scan.detect import binary

    try:
        with open(path, "rb") as fh:
            return binary(fh.read(8192))
    except OSError:
        return False


def _failed(rel: str, error: str, from_output: bool) -> dict:
    return {"path": rel, "error": error, "changed": False,
            "call_sites": {"found": 0, "converted": 0, "flagged": 0}, "edits": [],
            "flags": [], "lines": 0, "from_output": from_output}


def _relative(file: Path, folder: Path, tracker_input: Path | None) -> str:
    """`file`'s path relative to the tracker's input folder (when under it) or to `folder`,
    without following a symlinked file (its link's own path counts, as in the scan)."""
    absolute = Path(os.path.abspath(file))
    if tracker_input is not None:
        for base in (tracker_input, Path(os.path.realpath(tracker_input))):
            for cand in (absolute, Path(os.path.realpath(absolute.parent)) / absolute.name):
                if cand.is_relative_to(base):
                    return cand.relative_to(base).as_posix()
    for cand in (absolute, Path(os.path.realpath(absolute.parent)) / absolute.name):
        if cand.is_relative_to(folder):
            return cand.relative_to(folder).as_posix()
    return absolute.name


def run(args) -> int:
    ws = Workspace.resolve(args.workspace)
    given = Path(args.path)
    if not given.exists() and not given.is_symlink():
        return _fail(f"{given} does not exist")
    from .configs import kind as config_kind
    if given.is_dir() is False and given.suffix != ".py" and not config_kind(given.as_posix()):
        if given.suffix == ".ipynb":
            return _fail(f"{given} is a notebook: convert exports only Python files "
                         "(`jupyter nbconvert --to script` makes one of it)")
        return _fail(f"{given} is not a Python file (.py), a config (YAML, JSON, TOML) or a requirement file")
    if args.timeout <= 0 or args.memory <= 0:
        return _fail("--timeout and --memory must be positive")
    out_dir = Path(args.output).resolve() if args.output else ws.outputs
    if out_dir.exists() and not out_dir.is_dir():
        return _fail(f"the output folder {out_dir} is not a folder")
    tracker_cls = _load_tracker(ws)
    tracker_input = None
    if tracker_cls is not None:
        from ..tracker import TrackerError
        try:
            tracker_input = tracker_cls.load(ws.tracker).input_dir.resolve()
        except TrackerError as exc:  # never convert without recording: the edits would be lost
            return _fail(f"{exc}; nothing converted")
    folder = given.resolve() if given.is_dir() else Path(os.path.realpath(given.parent))
    if inside(given, out_dir) and not given.is_dir():
        return _fail(f"{given} is in the output folder {out_dir}: give its input file (the output "
                     "is the starting point of the conversion anyway)")
    try:
        for top in filter(None, (folder, tracker_input if given.is_dir() else None)):
            check_apart(top, out_dir)
    except WorkspaceError as exc:
        return _fail(str(exc))
    warnings: list[str] = []
    if given.is_dir():
        rels, warnings = _python_files(folder, [out_dir, ws.outputs, ws.state_dir])
        files = [folder / rel for rel in rels]
        if not files:
            return _fail(f"{given} holds no .py file to convert" + (f" ({len(warnings)} skipped, the first: "
                                                                  f"{warnings[0]})" if warnings else ""))
    else:
        files = [given]
    jobs, results = [], []
    for f in files:
        rel = _relative(f, folder, tracker_input)
        why = unreadable(f)
        if given.is_dir() and not why and _binary(f):  # what the scan skips, a folder convert skips
            from ..scan.detect import BINARY
            warnings.append(f"{rel}: {BINARY}")
            continue
        try:
            dst = destination(out_dir, rel)
        except WorkspaceError as exc:
            results.append(_failed(rel, str(exc), False))
            continue
        if why:
            results.append(_failed(rel, f"cannot read {f}: {why}", False))
            continue
        if os.path.realpath(f) == str(dst):
            return _fail(f"the output {out_dir / rel} would overwrite its input")
        from_output = os.path.lexists(dst)
        if from_output:
            why = unreadable(dst)
            if why:
                results.append(_failed(rel, f"the existing output {dst} is {why}: not touched", True))
                continue
        jobs.append((str(f), str(dst), rel, from_output))

    if jobs:  # warm once here (imports, mapping tables), so forked workers start ready
        from .engine import convert_source
        convert_source("import torch\nx = torch.zeros(1)\n")
    writer = _Writer(ws, tracker_cls, write=not args.diff)
    bounds = Bounds(timeout=args.timeout, memory_mb=args.memory)
    progress = _Progress(len(jobs), quiet=args.json)
    try:
        for i, outcome in run_bounded(_convert_one, jobs, args.jobs or os.cpu_count() or 1, bounds,
                                      on_wait=writer.due):
            r = outcome.value if outcome.ok else _failed(jobs[i][2], f"not converted: {outcome.error}",
                                                         jobs[i][3])
            r["order"] = i
            results.append(r)
            writer.add(r)
            progress.step()
        writer.flush()
    except (OSError, _TrackerFailure) as exc:
        progress.done()
        message = str(exc) if isinstance(exc, _TrackerFailure) else _os_message(exc)
        return _fail(f"{message}; stopped, the outputs written so far are kept")
    progress.done()
    results.sort(key=lambda r: (r.get("order", -1), r["path"]))

    copied = None
    if tracker_input is not None and not args.diff:
        copied = copy_project_files(tracker_input, out_dir, ws.state_dir, _workspace_paths(ws, out_dir))

    totals = {k: sum(r["call_sites"][k] for r in results) for k in ("found", "converted", "flagged")}
    if args.json:
        slim = [{k: v for k, v in r.items() if k not in ("original", "code", "data", "order")} for r in results]
        extra = {} if copied is None else {"copied": copied.copied, "not_copied_too_large": copied.too_large,
                                           "copy_errors": copied.errors}
        print(json.dumps({"files": slim, "total": totals, "output_dir": str(out_dir),
                          "warnings": warnings, **extra}, indent=2))
    elif args.diff:
        for r in results:
            if r.get("changed") and not r.get("error"):
                sys.stdout.writelines(difflib.unified_diff(
                    r["original"].splitlines(True), r["code"].splitlines(True),
                    fromfile=r["src"], tofile=r["dst"]))
    else:
        for w in warnings:
            print(f"skipped: {w}")
        for r in results:
            print(_line(r))
            for f in r.get("flags", []):
                if f["rule"] == "config" and "not marked" in f["message"]:
                    print(f"  L{f['line']}: {f['message']}")
        share = f" ({100 * totals['converted'] / totals['found']:.1f}% converted)" if totals["found"] else ""
        print(f"total: {len(results)} files, torch call sites found {totals['found']}, "
              f"converted {totals['converted']}, flagged {totals['flagged']}{share} -> {out_dir}")
        if copied is not None:
            _print_copied(copied, out_dir)
    if any(r.get("error") for r in results):
        return 2
    return 1 if any(r["flags"] for r in results) else 0


def _fail(message: str) -> int:
    print(f"torch2ms convert: {message}", file=sys.stderr)
    return 2


def _os_message(exc: OSError) -> str:
    from ..cli import describe_os_error
    return describe_os_error(exc)


class _TrackerFailure(Exception):
    """The tracker could not take the edit records: no more outputs are written."""


class _Writer:
    """Writes outputs as files finish: each batch's edit records go to the tracker first (one
    locked update), then its outputs, each atomically. A kill in between leaves records whose
    output is not there yet; the next run converts the file again and, its records being the
    same lines already at the end of the file's Edits, does not add them twice."""

    def __init__(self, ws: Workspace, tracker_cls, write: bool):
        self.ws, self.tracker_cls, self.write = ws, tracker_cls, write
        self.batch: list[dict] = []
        self.last = time.monotonic()

    def add(self, r: dict) -> None:
        if not self.write or r.get("error"):
            return
        self.batch.append(r)
        if self.tracker_cls is None or len(self.batch) >= FLUSH_FILES:
            self.flush()
        else:
            self.due()

    def due(self) -> None:
        """Write the batch once it has waited long enough (also while a slow file runs on)."""
        if self.batch and time.monotonic() - self.last >= FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        batch, self.batch, self.last = self.batch, [], time.monotonic()
        if not batch:
            return
        if self.tracker_cls is not None:
            from ..tracker import TrackerError
            try:
                _record_edits(self.tracker_cls, self.ws, batch)
            except TrackerError as exc:
                for r in batch:
                    r["error"] = "not written: its edit records could not go to the tracker"
                raise _TrackerFailure(str(exc)) from None
        from ..fsio import make_folders, write_atomic
        for r in batch:
            if not r["changed"] and r["from_output"]:
                continue
            dst = Path(r["dst"])
            try:
                make_folders(dst.parent)
                mode = None if r["from_output"] else stat.S_IMODE(os.stat(r["src"]).st_mode)
                write_atomic(dst, r["data"], mode=mode)
            except OSError as exc:
                r["error"] = f"not written: {_os_message(exc)}"


class _Progress:
    def __init__(self, total: int, quiet: bool):
        self.total, self.count = total, 0
        self.show = not quiet and total >= 50
        self.tty = sys.stderr.isatty()

    def step(self) -> None:
        self.count += 1
        i, n = self.count, self.total
        if self.show and self.tty and (i % 25 == 0 or i == n):
            print(f"\rconverted {i}/{n} files", end="", file=sys.stderr, flush=True)
        elif self.show and not self.tty and (i % 200 == 0 or i == n):
            print(f"converted {i}/{n} files", file=sys.stderr, flush=True)

    def done(self) -> None:
        if self.show and self.tty and self.count:
            print(file=sys.stderr)
            self.show = False


def _workspace_paths(ws: Workspace, out_dir: Path) -> list[Path]:
    """The workspace's own folders and files, which may lie inside the input folder."""
    return [out_dir, ws.outputs, ws.state_dir, ws.tracker, ws.report, ws.conversion_report,
            ws.check_results]


def _print_copied(copied, out_dir: Path) -> None:
    if copied.copied:
        print(f"copied {len(copied.copied)} project files without torch into {out_dir} "
              f"(existing files are kept): {', '.join(copied.copied)}")
    if copied.too_large:
        print(f"not copied, over {MAX_BYTES // (1024 * 1024)} MB: {', '.join(copied.too_large)}")
    for error in copied.errors:
        print(f"not copied: {error}", file=sys.stderr)


def _line(r: dict) -> str:
    if r.get("error"):
        error = r["error"]
        return f"{r['path']}: {error if error.startswith('not ') else 'not converted: ' + error}"
    c = r["call_sites"]
    start = " (from the existing output)" if r.get("from_output") else ""
    return (f"{r['path']}: found {c['found']}, converted {c['converted']}, "
            f"flagged {c['flagged']}{start}")


def _record_edits(tracker_cls, ws: Workspace, results: list[dict]) -> None:
    from ..tracker import TrackerError
    records = {}
    for r in results:
        if r["changed"]:
            lines = [f"convert L{e['line']} {e['rule']}: {e['before']} -> {e['after']}"
                     for e in r["edits"]]
            lines += [f"convert L{f['line']} {f['rule']}: TODO {f['message']}" for f in r["flags"]]
            records[r["path"]] = lines
    if not records:
        return
    with tracker_cls.locked(ws.tracker) as tracker:
        for path, lines in records.items():
            try:
                entry = tracker.entry(path)
            except TrackerError:
                continue
            body = tracker.edits.get(entry.path, [])
            bullets = [f"- {' '.join(line.split())}" for line in lines]
            if lines and body[-len(bullets):] == bullets:
                continue  # recorded by a run killed before it wrote the output
            tracker.add_edits(path, lines)
