"""`torch2ms report`: write conversion_report.md and report.md in the workspace."""

from __future__ import annotations

import sys

from torch2ms.workspace import Workspace


def add_arguments(parser) -> None:
    parser.add_argument("--workspace", metavar="DIR", default=None,
                        help="the conversion's workspace (default: $TORCH2MS_WORKSPACE or the current folder)")
    parser.add_argument("--print", dest="show", action="store_true", help="also print report.md")


def build(ws: Workspace, versions: dict | None = None) -> tuple[str, str]:
    """(conversion_report.md, report.md) texts for the workspace."""
    from torch2ms.check import results
    from torch2ms.check.api_index import installed_versions
    from torch2ms.report.facts import gather
    from torch2ms.report.render import conversion_report, summary_report
    from torch2ms.tracker import Tracker

    tracker = Tracker.load(ws.tracker)
    data = results.load(ws.check_results)
    # the versions the checks ran against; the installed ones when nothing was checked yet
    versions = versions or data.get("versions") or installed_versions()
    facts = gather(ws, tracker, data)
    return (conversion_report(facts, str(tracker.input_dir)),
            summary_report(facts, str(tracker.input_dir), tracker.other_files_total, versions))


def run(args) -> int:
    from torch2ms.tracker import TrackerError

    ws = Workspace.resolve(args.workspace)
    try:
        detail, summary = build(ws)
    except TrackerError as exc:
        print(f"torch2ms report: {exc}", file=sys.stderr)
        return 2
    from torch2ms.cli import describe_os_error
    from torch2ms.fsio import write_atomic

    try:  # each report replaced whole or left as it was
        write_atomic(ws.conversion_report, detail)
        write_atomic(ws.report, summary)
    except OSError as exc:
        print(f"torch2ms report: {describe_os_error(exc)}", file=sys.stderr)
        return 2
    verified, parity = [line for line in summary.splitlines() if line.startswith("**")][:2]
    print(f"Wrote {ws.conversion_report} and {ws.report}.")
    print(verified.replace("**", "").split(":")[0] + ".")
    print(parity.replace("**", ""))
    if args.show:
        print()
        print(summary, end="")
    return 0
