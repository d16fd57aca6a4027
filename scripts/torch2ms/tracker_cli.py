"""`torch2ms next`, `torch2ms done FILE`, `torch2ms edit FILE -m TEXT`: the tracker helpers.

`torch2ms edit FILE --blocked REASON` marks a file that cannot pass without the user (the reason
is recorded in its entry and as an edit line); `next` then goes on to the next file and lists the
blocked ones (and warns on a file that imports one), `done` refuses them, and the report lists
them with their reasons. `--unblock` takes the mark off (`done --force` ticks the file anyway).

They change files_to_convert.md only through torch2ms.tracker, under its lock, so nobody has to
edit the tracker's structure by hand.

`torch2ms done FILE` ticks a file only when its latest `torch2ms check` verdict is "pass" and the
output has not changed since (compared by content hash with .torch2ms/check.json); a config or
requirement file (category Config) when its output parses and holds no marker and no torch name. Otherwise it
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
    blocked = tracker.blocked()
    blocked_json = [{"path": e.path, "reason": e.blocked} for e in blocked]
    if entry is None:
        ticked = sum(e.done for e in queued)
        if args.json:
            print(json.dumps({"done": not blocked, "files_done": ticked, "next": None,
                              "blocked": blocked_json}, indent=2))
        elif not queued:
            print(f"Nothing to convert: {ws.tracker} lists no file with torch-ecosystem code to convert.")
        elif blocked:
            print(f"No file left to convert but blocked ones: {ticked} of {len(queued)} ticked, "
                  f"{len(blocked)} blocked in {ws.tracker}:")
            _print_blocked(blocked)
        else:
            print(f"All files done: {len(queued)} of {len(queued)} ticked in {ws.tracker}.")
        return 0
    output = ws.outputs / entry.path
    info = entry.to_dict()
    waiting = waiting_on(tracker, entry)
    info.update(source=str(tracker.input_dir / entry.path), output=str(output),
                output_exists=output.exists(), files_left=left, order_notes=tracker.order_notes,
                group=tracker.next_group,
                imports_blocked=[{"path": d.path, "reason": d.blocked} for d in waiting])
    if args.json:
        print(json.dumps({"done": False, "next": info, "blocked": blocked_json}, indent=2))
        return 0
    of_them = f", {len(blocked)} of them blocked" if blocked else ""
    print(f"Next: {entry.path}  ({left} of {len(queued)} files left{of_them})")
    print(f"  category:  {entry.category}")
    print(f"  status:    {entry.status}")
    print(f"  libraries: {', '.join(entry.libraries) or '(none directly)'}")
    for line in entry.evidence:
        print(f"  evidence:  {line}")
    if entry.imports_local:
        print(f"  imports:   {', '.join(entry.imports_local)}")
    for dep in waiting:
        print(f"  warning:   it imports {dep.path}, which is blocked ({dep.blocked}): its import check "
              "fails until that is resolved")
    for line in entry.warnings:
        print(f"  warning:   {line}")
    print(f"  source:    {info['source']}")
    state = "exists: continue from it" if info["output_exists"] else "not written yet"
    print(f"  output:    {output} ({state})")
    for note in tracker.order_notes:
        print(f"  note:      {note}")
    if len(tracker.next_group) > 1:
        print(f"  group:     convert these {len(tracker.next_group)} files together, in this order, before "
              "checking any of them (each one's import runs the others):")
        for path in tracker.next_group:
            print(f"    - {path}" + ("" if (ws.outputs / path).exists() else "  (not converted yet)"))
    if blocked:
        print("Blocked (skipped until unblocked: `torch2ms edit FILE --unblock`):")
        _print_blocked(blocked)
    return 0


def waiting_on(tracker, entry) -> list:
    """The blocked files `entry` imports, directly or through other project files."""
    by_path = {e.path: e for e in tracker.entries}
    seen, stack, out = {entry.path}, list(entry.imports_local), []
    while stack:
        path = stack.pop(0)
        if path in seen or path not in by_path:
            continue
        seen.add(path)
        dep = by_path[path]
        if dep.blocked is not None and not dep.done:
            out.append(dep)
        stack.extend(dep.imports_local)
    return out


def _print_blocked(blocked) -> None:
    for e in blocked:
        print(f"  - {e.path}: {e.blocked}")


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

    from torch2ms.convert.configs import kind, problems

    output = ws.outputs / entry.path
    if not output.is_file():
        return f"there is no output {output} yet"
    if kind(entry.path):  # a config or requirement file: verified here (parses, nothing of torch left)
        left = problems(output.read_text(encoding="utf-8", errors="replace"), entry.path)
        return f"outputs/{entry.path}: {'; '.join(left)}" if left else None
    record = results.load(ws.check_results)["files"].get(entry.path)
    if record is None and entry.check is None:
        return "it was never checked"
    verdict = record["summary"] if record else entry.check
    if not verdict.startswith("pass"):
        return f"its latest check verdict is \"{verdict}\", not pass"
    if record and record.get("sha256") != hashlib.sha256(output.read_bytes()).hexdigest():
        return "the output changed since its check passed"
    for key, suffix in (("parity", ".parity.yaml"), ("run", ".run.yaml")):
        spec = output.with_name(output.stem + suffix)
        if record and spec.is_file() and record.get(key) in (None, "no spec"):
            return (f"its latest check did not run {spec.name} (written after it, or checked without "
                    f"--parity): run `torch2ms check --import --parity outputs/{entry.path}`")
    unrun = [k for k in ("parity", "run") if record and record.get(k) == "torch side unavailable"]
    if unrun:
        note = next((n for n in record.get("notes", []) if n.startswith(f"{unrun[0]}:")), "")
        return (f"its {' and '.join(unrun)} spec could not run ({note.partition(': ')[2] or 'torch side unavailable'}), "
                "so nothing compared it with torch; mark it blocked with that reason: "
                f"`torch2ms edit {entry.path} --blocked \"<what it needs>\"`")
    return None


def run_done(args) -> int:
    ws = Workspace.resolve(args.workspace)
    try:
        with Tracker.locked(ws.tracker) as tracker:
            entry = tracker.entry(args.file) if not args.undo else None
            why = unchecked_reason(ws, entry) if entry is not None and entry.queued else None
            if entry is not None and entry.blocked is not None:
                why = (f"it is marked blocked ({entry.blocked}); once that is resolved, "
                       f"`torch2ms edit {entry.path} --unblock`")
            if why:
                from torch2ms.convert.configs import kind

                hint = ("" if "blocked" in why or kind(entry.path) else
                        f"; run `torch2ms check --import --parity outputs/{entry.path}` until it passes")
                print(f"torch2ms done: warning: {entry.path}: {why}{hint}"
                      + (". Ticked anyway (--force)." if args.force else
                         ". Not ticked (tick anyway with --force)."), file=sys.stderr)
                if not args.force:
                    return 1
            entry = tracker.mark_done(args.file, done=not args.undo)
            if not args.undo and not why:
                _record_config_check(ws, tracker, entry)
            if not entry.queued:
                print(f"torch2ms done: note: {entry.path} has status {entry.status}"
                      f"{' (vanished)' if entry.vanished else ''} and is not queued", file=sys.stderr)
    except TrackerError as exc:
        return _fail("done", str(exc))
    print(f"{'Unticked' if args.undo else 'Ticked'} {entry.path} in {ws.tracker}.")
    return 0


def _record_config_check(ws: Workspace, tracker, entry) -> None:
    """A config or requirement file `done` verified: its verdict goes where check's go
    (.torch2ms/check.json, the tracker), so the report counts it as checked."""
    from torch2ms.check import results
    from torch2ms.convert.configs import kind

    if not kind(entry.path):
        return
    output = ws.outputs / entry.path
    summary = "pass (config: parses, no torch name or package, no marker)"
    record = {"verdict": "pass", "summary": summary, "findings": [], "todos": 0,
              "lines": output.read_bytes().count(b"\n"), "sha256": hashlib.sha256(output.read_bytes()).hexdigest(),
              "import": None, "parity": None}
    results.update(ws.check_results, {entry.path: record}, results.load(ws.check_results)["versions"])
    tracker.set_check(entry.path, summary)


# ---------------------------------------------------------------- edit
def add_edit_arguments(parser) -> None:
    parser.add_argument("file", help="the file, as listed in the tracker (or its path in the input or outputs/)")
    parser.add_argument("-m", "--message", action="append", default=[], metavar="TEXT",
                        help="an edit record; repeat -m for several, a multi-line TEXT gives one bullet per line")
    block = parser.add_mutually_exclusive_group()
    block.add_argument("--blocked", metavar="REASON",
                       help="mark the file blocked: it cannot pass without the user, for REASON; "
                            "`next` goes on to the next file and the report lists it")
    block.add_argument("--unblock", action="store_true", help="take the blocked mark off")
    _workspace_argument(parser)


def _output_key(ws: Workspace, tracker, path: str) -> str | None:
    """The tracker key of a file the tracker does not list but outputs/ holds (a copied file,
    a config): its path relative to outputs/ (given relative to the input folder, outputs/ or
    the current folder), or None when outputs/ has no such file."""
    import os
    from pathlib import Path

    from torch2ms.workspace import WorkspaceError, destination

    key = tracker.normalize(path)
    absolute = Path(os.path.abspath(path))
    for base in (ws.outputs, tracker.input_dir):
        if absolute.is_relative_to(os.path.abspath(base)):
            key = absolute.relative_to(os.path.abspath(base)).as_posix()
            break
    else:
        key = key.removeprefix("outputs/") if not (ws.outputs / key).is_file() else key
    try:
        found = destination(ws.outputs, key).is_file()
    except WorkspaceError:
        return None
    return key if found and not key.startswith("../") else None


def run_edit(args) -> int:
    ws = Workspace.resolve(args.workspace)
    lines = [line for message in args.message for line in message.splitlines() if line.strip()]
    reason = " ".join((args.blocked or "").split())
    if args.blocked is not None and not reason:
        return _fail("edit", "--blocked needs a reason")
    if not lines and args.blocked is None and not args.unblock:
        return _fail("edit", "the edit record is empty" if args.message else
                     "nothing to record: give -m TEXT, --blocked REASON or --unblock")
    try:
        with Tracker.locked(ws.tracker) as tracker:
            try:
                entry = tracker.entry(args.file)
            except TrackerError:
                key = _output_key(ws, tracker, args.file)
                if key is None or args.blocked is not None or args.unblock:
                    raise
                tracker.add_edits(args.file, lines, key=key)
                print(f"Recorded {len(lines)} edit line{'s' if len(lines) != 1 else ''} for {key} "
                      f"(not listed: a file of outputs/) in {ws.tracker}.")
                return 0
            if args.blocked is not None:
                tracker.set_blocked(entry.path, reason)
                lines.append(f"blocked: {reason}")
            elif args.unblock:
                tracker.set_blocked(entry.path, None)
            if lines:
                tracker.add_edits(entry.path, lines)
    except TrackerError as exc:
        return _fail("edit", str(exc))
    if args.blocked is not None:
        print(f"Marked {entry.path} blocked in {ws.tracker}: {entry.blocked}. `torch2ms next` skips it.")
    elif args.unblock:
        print(f"Unblocked {entry.path} in {ws.tracker}.")
    n = len(lines) - (args.blocked is not None)
    if n:
        print(f"Recorded {n} edit line{'s' if n != 1 else ''} for {entry.path} in {ws.tracker}.")
    return 0
