"""`torch2ms convert <file-or-folder> [-o DIR] [--workspace DIR] [--json] [--diff]`

Each Python file is converted into the output folder (default: the workspace's `outputs/`) at
the same relative path: relative to the tracker's input folder when the file lies under it,
else to the folder given. The input is never modified. An existing output file is the starting
point (it may hold later edits): the rules run on it, never on the original over it. Folders
are converted in parallel processes. Edits are appended to the tracker's Edits section when
the workspace has a tracker that lists the file. When the tracker names the input folder, the
project's torch-free Python files and non-Python files (data, configs) are copied into the
output folder too, never over an existing file (`project_files.py`).
"""

from __future__ import annotations

import difflib
import json
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from ..workspace import Workspace
from .project_files import MAX_BYTES, copy_project_files

SKIP_DIRS = {"__pycache__", ".git", ".venv", "venv", "node_modules", ".torch2ms", ".tox"}


EXIT_CODES = """exit status:
  0  every file converted, nothing flagged
  1  lines flagged for review (TODO(torch2ms) markers): not a failure
  2  bad input (missing path, output over its input) or a file that could not be converted"""


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


def _python_files(folder: Path, exclude: Path | None) -> list[Path]:
    files = []
    for root, dirs, names in os.walk(folder):
        root_path = Path(root)
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith(".")
                         and (exclude is None or (root_path / d).resolve() != exclude))
        files += [root_path / n for n in sorted(names) if n.endswith(".py")]
    return files


def _load_tracker(ws: Workspace):
    if not ws.tracker.exists():
        return None
    try:
        from ..tracker import Tracker
    except ImportError:  # the tracker helper ships separately in some checkouts
        print("torch2ms convert: the tracker module is not available; edits are not recorded",
              file=sys.stderr)
        return None
    return Tracker


def _convert_one(job: tuple[str, str, str]) -> dict:
    src, dst, rel = job
    from .engine import convert_source
    start = Path(dst) if Path(dst).exists() else Path(src)
    try:
        code = start.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return _failed(rel, f"cannot read {start}: {exc}", start == Path(dst))
    try:
        result = convert_source(code, rel)
    except Exception as exc:  # a syntax error, or a crash of a rule: reported, exit status 2
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return _failed(rel, f"{type(exc).__name__}: {first}", start == Path(dst))
    out = result.to_dict()
    out.update(lines=code.count("\n"), from_output=start == Path(dst), src=str(start), dst=dst,
               original=code, code=result.code)
    return out


def _failed(rel: str, error: str, from_output: bool) -> dict:
    return {"path": rel, "error": error, "changed": False,
            "call_sites": {"found": 0, "converted": 0, "flagged": 0}, "edits": [],
            "flags": [], "lines": 0, "from_output": from_output}


def _relative(file: Path, folder: Path, tracker_input: Path | None) -> str:
    if tracker_input is not None:
        try:
            return file.resolve().relative_to(tracker_input).as_posix()
        except ValueError:
            pass
    return file.resolve().relative_to(folder).as_posix()


def run(args) -> int:
    ws = Workspace.resolve(args.workspace)
    given = Path(args.path)
    if not given.exists():
        print(f"torch2ms convert: {given} does not exist", file=sys.stderr)
        return 2
    out_dir = Path(args.output).resolve() if args.output else ws.outputs
    tracker_cls = _load_tracker(ws)
    tracker_input = None
    if tracker_cls is not None:
        try:
            tracker_input = tracker_cls.load(ws.tracker).input_dir.resolve()
        except Exception as exc:  # an unreadable tracker must not stop the conversion
            print(f"torch2ms convert: {exc}; edits are not recorded", file=sys.stderr)
            tracker_cls = None
    if given.is_dir():
        folder = given.resolve()
        files = _python_files(folder, out_dir)
    else:
        folder = given.resolve().parent
        files = [given]
    jobs = []
    for f in files:
        rel = _relative(f, folder, tracker_input)
        dst = out_dir / rel
        if dst.resolve() == f.resolve():
            print(f"torch2ms convert: the output {dst} would overwrite its input", file=sys.stderr)
            return 2
        jobs.append((str(f), str(dst), rel))
    results = _run_jobs(jobs, args.jobs, quiet=args.json)

    for r in results:
        if r.get("error") or args.diff:
            continue
        if r["changed"] or not Path(r["dst"]).exists():
            dst = Path(r["dst"])
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_text(r["code"], encoding="utf-8")
    if tracker_cls is not None and not args.diff:
        _record_edits(tracker_cls, ws, results)
    copied = None
    if tracker_input is not None and not args.diff:
        copied = copy_project_files(tracker_input, out_dir, ws.state_dir, _workspace_paths(ws, out_dir))

    totals = {k: sum(r["call_sites"][k] for r in results) for k in ("found", "converted", "flagged")}
    if args.json:
        slim = [{k: v for k, v in r.items() if k not in ("original", "code")} for r in results]
        extra = {} if copied is None else {"copied": copied.copied, "not_copied_too_large": copied.too_large,
                                           "copy_errors": copied.errors}
        print(json.dumps({"files": slim, "total": totals, "output_dir": str(out_dir), **extra}, indent=2))
    elif args.diff:
        for r in results:
            if r.get("changed"):
                sys.stdout.writelines(difflib.unified_diff(
                    r["original"].splitlines(True), r["code"].splitlines(True),
                    fromfile=r["src"], tofile=r["dst"]))
    else:
        for r in results:
            print(_line(r))
        share = f" ({100 * totals['converted'] / totals['found']:.1f}% converted)" if totals["found"] else ""
        print(f"total: {len(results)} files, torch call sites found {totals['found']}, "
              f"converted {totals['converted']}, flagged {totals['flagged']}{share} -> {out_dir}")
        if copied is not None:
            _print_copied(copied, out_dir)
    if any(r.get("error") for r in results):
        return 2
    return 1 if any(r["flags"] for r in results) else 0


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
        return f"{r['path']}: not converted: {r['error']}"
    c = r["call_sites"]
    start = " (from the existing output)" if r.get("from_output") else ""
    return (f"{r['path']}: found {c['found']}, converted {c['converted']}, "
            f"flagged {c['flagged']}{start}")


def _run_jobs(jobs, workers: int, quiet: bool) -> list[dict]:
    workers = workers or os.cpu_count() or 1
    show = not quiet and len(jobs) >= 50
    tty = sys.stderr.isatty()
    if workers <= 1 or len(jobs) < 4:
        return [_convert_one(j) for j in jobs]
    results = []
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
        for i, r in enumerate(pool.map(_convert_one, jobs, chunksize=4), 1):
            results.append(r)
            if show and tty and (i % 25 == 0 or i == len(jobs)):
                print(f"\rconverted {i}/{len(jobs)} files", end="", file=sys.stderr, flush=True)
            elif show and not tty and (i % 200 == 0 or i == len(jobs)):
                print(f"converted {i}/{len(jobs)} files", file=sys.stderr, flush=True)
    if show and tty:
        print(file=sys.stderr)
    return results


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
                tracker.entry(path)
            except TrackerError:
                continue
            tracker.add_edits(path, lines)
