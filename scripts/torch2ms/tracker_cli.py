"""`torch2ms next`, `torch2ms done FILE`, `torch2ms edit FILE -m TEXT`: the tracker helpers.

They change files_to_convert.md only through torch2ms.tracker, under its lock, so nobody has to
edit the tracker's structure by hand.

`torch2ms done FILE` ticks a file only when its latest `torch2ms check` verdict is "pass" and the
output has not changed since (compared by content hash with .torch2ms/check.json). Otherwise it
says why on stderr, leaves the box unticked and exits 1; `--force` ticks anyway, with the warning.
"""

from __future__ import annotations

import hashlib
import json
import sys

from torch2ms.tracker import Tracker, TrackerError
from torch2ms.workspace import Workspace


def _workspace_argument(parser) -> None:
    parser.add_argument("--workspace", metavar="DIR", default=None,
                        help="the conversion's workspace (default: $TORCH2MS_WORKSPACE or the current folder)")


def _fail(cmd: str, message: str) -> int:
    print(f"torch2ms {cmd}: {message}", file=sys.stderr)
    return 2


# ---------------------------------------------------------------- next
def add_next_arguments(parser) -> None:
    _workspace_argument(parser)
    parser.add_argument("--json", action="store_true", help="print the next file as JSON")


def run_next(args) -> int:
    ws = Workspace.resolve(args.workspace)
    try:
        tracker = Tracker.load(ws.tracker)
    except TrackerError as exc:
        return _fail("next", str(exc))
    entry = tracker.next_entry()
    queued = [e for e in tracker.entries if e.queued]
    left = sum(not e.done for e in queued)
    if entry is None:
        if args.json:
            print(json.dumps({"done": True, "files_done": len(queued), "next": None}, indent=2))
        elif not queued:
            print(f"Nothing to convert: {ws.tracker} lists no file with torch-ecosystem code to convert.")
        else:
            print(f"All files done: {len(queued)} of {len(queued)} ticked in {ws.tracker}.")
        return 0
    output = ws.outputs / entry.path
    info = entry.to_dict()
    info.update(source=str(tracker.input_dir / entry.path), output=str(output),
                output_exists=output.exists(), files_left=left, order_notes=tracker.order_notes)
    if args.json:
        print(json.dumps({"done": False, "next": info}, indent=2))
        return 0
    print(f"Next: {entry.path}  ({left} of {len(queued)} files left)")
    print(f"  category:  {entry.category}")
    print(f"  status:    {entry.status}")
    print(f"  libraries: {', '.join(entry.libraries) or '(none directly)'}")
    for line in entry.evidence:
        print(f"  evidence:  {line}")
    if entry.imports_local:
        print(f"  imports:   {', '.join(entry.imports_local)}")
    for line in entry.warnings:
        print(f"  warning:   {line}")
    print(f"  source:    {info['source']}")
    state = "exists: continue from it" if info["output_exists"] else "not written yet"
    print(f"  output:    {output} ({state})")
    for note in tracker.order_notes:
        print(f"  note:      {note}")
    return 0


# ---------------------------------------------------------------- done
def add_done_arguments(parser) -> None:
    parser.add_argument("file", help="the file, as listed in the tracker (or its path in the input or outputs/)")
    parser.add_argument("--undo", action="store_true", help="untick it instead")
    parser.add_argument("--force", action="store_true",
                        help="tick it even though its latest check did not pass (a warning is printed)")
    _workspace_argument(parser)


def unchecked_reason(ws: Workspace, entry) -> str | None:
    """Why `entry` may not be ticked yet (None: its latest check passed on the current output)."""
    from torch2ms.check import results

    output = ws.outputs / entry.path
    if not output.is_file():
        return f"there is no output {output} yet"
    record = results.load(ws.check_results)["files"].get(entry.path)
    if record is None and entry.check is None:
        return "it was never checked"
    verdict = record["summary"] if record else entry.check
    if not verdict.startswith("pass"):
        return f"its latest check verdict is \"{verdict}\", not pass"
    if record and record.get("sha256") != hashlib.sha256(output.read_bytes()).hexdigest():
        return "the output changed since its check passed"
    return None


def run_done(args) -> int:
    ws = Workspace.resolve(args.workspace)
    try:
        with Tracker.locked(ws.tracker) as tracker:
            entry = tracker.entry(args.file) if not args.undo else None
            why = unchecked_reason(ws, entry) if entry is not None and entry.queued else None
            if why:
                print(f"torch2ms done: warning: {entry.path}: {why}; run "
                      f"`torch2ms check --import outputs/{entry.path}` until it passes"
                      + (". Ticked anyway (--force)." if args.force else
                         ". Not ticked (tick anyway with --force)."), file=sys.stderr)
                if not args.force:
                    return 1
            entry = tracker.mark_done(args.file, done=not args.undo)
            if not entry.queued:
                print(f"torch2ms done: note: {entry.path} has status {entry.status}"
                      f"{' (vanished)' if entry.vanished else ''} and is not queued", file=sys.stderr)
    except TrackerError as exc:
        return _fail("done", str(exc))
    print(f"{'Unticked' if args.undo else 'Ticked'} {entry.path} in {ws.tracker}.")
    return 0


# ---------------------------------------------------------------- edit
def add_edit_arguments(parser) -> None:
    parser.add_argument("file", help="the file, as listed in the tracker (or its path in the input or outputs/)")
    parser.add_argument("-m", "--message", action="append", required=True, metavar="TEXT",
                        help="an edit record; repeat -m for several, a multi-line TEXT gives one bullet per line")
    _workspace_argument(parser)


def run_edit(args) -> int:
    ws = Workspace.resolve(args.workspace)
    lines = [line for message in args.message for line in message.splitlines() if line.strip()]
    if not lines:
        return _fail("edit", "the edit record is empty")
    try:
        with Tracker.locked(ws.tracker) as tracker:
            entry = tracker.add_edits(args.file, lines)
    except TrackerError as exc:
        return _fail("edit", str(exc))
    print(f"Recorded {len(lines)} edit line{'s' if len(lines) != 1 else ''} for {entry.path} in {ws.tracker}.")
    return 0
