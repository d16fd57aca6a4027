"""`torch2ms scan <input_dir> [--workspace DIR] [--json] [--package NAME]`.

Finds every file of the input folder with torch-ecosystem code, gives it a status and a
category with evidence, and writes (or brings up to date) the workspace's files_to_convert.md
and .torch2ms/scan.json. Re-running is safe: ticks, edit records and check verdicts are kept,
new files are added, vanished ones are marked.

Exit status: 0 done (warnings included), 2 nothing could be scanned (bad input folder, a
tracker made from another folder or that cannot be read, an unreadable ecosystem file).

The scan reads the project without the tracker's lock, then takes the lock and merges into the
tracker as it is at that moment, so an `edit` or `done` made while it ran is kept. The tracker,
scan.json and the cache are written atomically.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from torch2ms.scan.cache import FILE_NAME as CACHE_FILE, ScanCache
from torch2ms.scan.config import USER_FILE, ConfigError, ScanConfig
from torch2ms.scan.run import scan_folder
from torch2ms.tracker import CATEGORIES, Tracker, TrackerError
from torch2ms.workspace import Workspace, WorkspaceError, check_apart

SHOWN_FILES = 40


def add_arguments(parser) -> None:
    parser.add_argument("input_dir", help="the PyTorch project folder to scan")
    parser.add_argument("--workspace", metavar="DIR", default=None,
                        help="where the tracker, outputs/ and reports live (default: $TORCH2MS_WORKSPACE "
                             "or the current folder)")
    parser.add_argument("--json", action="store_true", help="print the scan data as JSON instead of a summary")
    parser.add_argument("--package", action="append", default=[], metavar="NAME",
                        help=f"one more torch-ecosystem package (repeatable; a list can also go in "
                             f"DIR/{USER_FILE})")
    parser.add_argument("--no-cache", action="store_true",
                        help="read and parse every file again (default: reuse the results of unchanged files)")
    parser.add_argument("--jobs", type=int, default=None, metavar="N",
                        help="worker processes for large folders (default: one per core)")


def _fail(message: str) -> int:
    print(f"torch2ms scan: {message}", file=sys.stderr)
    return 2


def _check_input(path: Path) -> str | None:
    if not path.exists():
        return f"no such folder: {path}"
    if not path.is_dir():
        return f"not a folder: {path}"
    try:
        os.listdir(path)
    except PermissionError:
        return f"no permission to read the folder {path}"
    except OSError as exc:
        return f"cannot read the folder {path}: {exc.strerror or exc}"
    return None


def run(args) -> int:
    given = Path(args.input_dir)
    problem = _check_input(given)
    if problem:
        return _fail(problem)
    input_dir = given.resolve()
    ws = Workspace.resolve(args.workspace)
    try:
        check_apart(input_dir, ws.outputs)
    except WorkspaceError as exc:
        return _fail(str(exc))
    try:
        config = ScanConfig.load(ws.root, extra_torch=args.package)
    except ConfigError as exc:
        return _fail(str(exc))
    problem = _tracker_problem(ws, input_dir, note=True)  # before the work, so it fails fast
    if problem:
        return _fail(problem)

    cache = None if args.no_cache else ScanCache(ws.state_dir / CACHE_FILE, config)
    result = scan_folder(input_dir, ws.outputs, config, skip=(ws.outputs, ws.state_dir), jobs=args.jobs,
                         cache=cache)
    from torch2ms.fsio import write_atomic

    try:
        ws.root.mkdir(parents=True, exist_ok=True)
        with Tracker.locked(ws.tracker, create=input_dir) as tracker:
            problem = _tracker_problem(ws, input_dir, tracker=tracker)
            if problem:
                raise TrackerError(problem)
            tracker.input_dir = input_dir
            tracker.merge_scan(result.entries, other_files=result.other_files, existing_paths=result.existing)
            data = scan_data(tracker, ws, result)
            write_atomic(ws.state_dir / "scan.json", json.dumps(data, indent=2) + "\n")
    except TrackerError as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"cannot write to the workspace {ws.root}: {exc.strerror or exc}"
                     + (f" ({exc.filename})" if exc.filename else ""))

    if args.json:
        print(json.dumps(data, indent=2))
    else:
        print_summary(data, ws)
    return 0


def _tracker_problem(ws: Workspace, input_dir: Path, tracker: Tracker | None = None,
                     note: bool = False) -> str | None:
    """Why the workspace's tracker cannot take this scan (None: it can, or there is none)."""
    if tracker is None:
        if not ws.tracker.exists() and not ws.tracker.is_symlink():
            return None
        try:
            tracker = Tracker.load(ws.tracker)
        except TrackerError as exc:
            return f"{exc}; move it away or choose another --workspace"
    recorded = Path(tracker.input_dir).resolve()
    if recorded != input_dir and not recorded.is_dir():
        # the project (or the whole checkout) moved: follow it, keeping ticks and edits
        if note:
            print(f"torch2ms scan: note: the tracker's input folder {recorded} is gone; "
                  f"it now records {input_dir}", file=sys.stderr)
    elif recorded != input_dir:
        return (f"the tracker {ws.tracker} was made from {tracker.input_dir}, not {input_dir}: "
                "choose another --workspace (or remove that tracker to start over)")
    return None


def scan_data(tracker: Tracker, ws: Workspace, result) -> dict:
    order, notes = tracker.queue()
    files = []
    for e in tracker.entries:
        d = e.to_dict()
        d["output"] = (ws.outputs / e.path).as_posix()
        d["output_exists"] = (ws.outputs / e.path).exists()
        files.append(d)
    live = [e for e in tracker.entries if not e.vanished]
    queued = [e for e in tracker.entries if e.queued]
    statuses: dict = {}
    for e in live:
        statuses[e.status] = statuses.get(e.status, 0) + 1
    return {
        "input_dir": str(tracker.input_dir),
        "workspace": str(ws.root),
        "tracker": str(ws.tracker),
        "outputs": str(ws.outputs),
        "counts": {
            "listed": len(tracker.entries),
            "to_convert": len(queued),
            "done": sum(e.done for e in queued),
            "vanished": sum(e.vanished for e in tracker.entries),
            "without_torch": len(result.other_files),
            "by_status": statuses,
            "by_category": {c: sum(e.category == c for e in queued) for c in CATEGORIES},
        },
        "order": [e.path for e in order],
        "order_notes": notes,
        "files": files,
        "other_files": result.other_files,
        "warnings": result.warnings,
        "stats": {"files_scanned": result.files, "files_analysed": result.analysed, "lines": result.lines,
                  "seconds": round(result.seconds, 3)},
    }


def print_summary(data: dict, ws: Workspace) -> None:
    c, s = data["counts"], data["stats"]
    reused = s["files_scanned"] - s["files_analysed"]
    print(f"Scanned {data['input_dir']}: {s['files_scanned']} files, {s['lines']} lines in {s['seconds']:.2f} s"
          + (f" ({reused} unchanged since the last scan)" if reused else ""))
    statuses = ", ".join(f"{n} {k}" for k, n in sorted(c["by_status"].items()))
    print(f"Listed {c['listed']} files ({statuses or 'none'}); {c['to_convert']} to convert, {c['done']} done"
          + (f"; {c['vanished']} vanished" if c["vanished"] else "")
          + f"; {c['without_torch']} without torch-ecosystem code")
    if c["to_convert"]:
        print("To convert by category: " + ", ".join(f"{k} {n}" for k, n in c["by_category"].items()))
    by_path = {f["path"]: f for f in data["files"]}
    if data["order"]:
        print("\nConversion order (project-local imports first):")
        for i, path in enumerate(data["order"][:SHOWN_FILES], 1):
            f = by_path[path]
            libs = ", ".join(f["libraries"]) or "-"
            print(f"  {i:>3}. {path}  [{f['category']}; libraries: {libs}; status: {f['status']}]  "
                  f"{f['evidence'][0] if f['evidence'] else ''}")
        if len(data["order"]) > SHOWN_FILES:
            print(f"  ... and {len(data['order']) - SHOWN_FILES} more (see the tracker)")
    listed_only = [f for f in data["files"] if not f["queued"] or f["done"]]
    if listed_only:
        print("\nListed, not queued:")
        for f in listed_only[:SHOWN_FILES]:
            why = "done" if f["done"] and f["queued"] else ("vanished" if f["vanished"] else f["status"])
            print(f"  - {f['path']}  [{why}]")
        if len(listed_only) > SHOWN_FILES:
            print(f"  ... and {len(listed_only) - SHOWN_FILES} more")
    for note in data["order_notes"]:
        print(f"note: {note}")
    if data["warnings"]:
        print(f"\nWarnings ({len(data['warnings'])}):")
        for w in data["warnings"][:SHOWN_FILES]:
            print(f"  ! {w}")
        if len(data["warnings"]) > SHOWN_FILES:
            print(f"  ... and {len(data['warnings']) - SHOWN_FILES} more (see {ws.state_dir / 'scan.json'})")
    if not data["files"]:
        print("No file with torch-ecosystem code was found: nothing to convert.")
    print(f"\nTracker: {ws.tracker}")
