"""`torch2ms check [PATHS...]`: a verdict per converted file, written back to the tracker.

    torch2ms check                     every .py file under the workspace's outputs/
    torch2ms check outputs/model.py    just that file (a folder: the .py files below it)
    torch2ms check --import --parity   also import each file (CPU fallback on) and run its
                                       specs against the torch original, those it has: the
                                       module spec outputs/<name>.parity.yaml (`torch2ms parity`)
                                       and the run spec outputs/<name>.run.yaml (`torch2ms
                                       parity-run`)
    torch2ms check --parity --fresh    run every spec again, also those whose verdict would be
                                       reused (by default a spec runs again only when the port,
                                       the torch original, the spec, the files it reads, the
                                       project modules either side imports or the pack changed:
                                       `check.verdicts`)
    torch2ms check --hook              Claude Code PostToolUse hook: reads the hook's JSON on
                                       stdin and checks the edited file when it is in an outputs/
                                       (a <stem>.parity.yaml or <stem>.run.yaml there: read as
                                       parity reads it, no model run)

Each file's static checks run in a worker process under a time and a memory bound (`--timeout`,
`--memory`): a file that breaks them, or crashes its worker, fails with a `check-limit` finding
and the other files are checked and recorded as usual.

Exit status: 0 every file passes, 1 findings, 2 bad input.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
from pathlib import Path

from torch2ms.bounded import DEFAULT_MEMORY_MB, Bounds, run_bounded
from torch2ms.workspace import Workspace

HOOK_SHOWN_FINDINGS = 25
# Claude Code stops a hook after the timeout in .claude/settings.json (60 s): finish before it
HOOK_TIMEOUT = 45.0


def add_arguments(parser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="output files or folders to check (default: the workspace's outputs/)")
    parser.add_argument("--workspace", metavar="DIR", default=None,
                        help="the conversion's workspace (default: $TORCH2MS_WORKSPACE or the current folder)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="one line per file (the verdict), without the findings")
    parser.add_argument("--import", dest="do_import", action="store_true",
                        help="also import each file in a subprocess, with the CPU fallback on")
    parser.add_argument("--parity", action="store_true",
                        help="also run the file's specs against the torch original, those next to it: "
                             "<file stem>.parity.yaml (its models, torch2ms parity) and <file stem>.run.yaml "
                             "(the script's run, torch2ms parity-run)")
    parser.add_argument("--fresh", action="store_true",
                        help="with --parity: run every spec again (by default a verdict whose inputs are all "
                             "unchanged is reused, and the output says which)")
    parser.add_argument("--timeout", type=float, default=120.0, metavar="S",
                        help="time limit per file for the static checks, --import and --parity (default 120)")
    parser.add_argument("--memory", type=int, default=DEFAULT_MEMORY_MB, metavar="MB",
                        help=f"memory limit of the static checks of a file (default {DEFAULT_MEMORY_MB})")
    parser.add_argument("-j", "--jobs", type=int, default=min(os.cpu_count() or 1, 4), metavar="N",
                        help="--import/--parity subprocesses run at once (default: cores, at most 4)")
    parser.add_argument("--hook", action="store_true",
                        help="run as a Claude Code PostToolUse hook (hook JSON on stdin)")


def _fail(message: str) -> int:
    print(f"torch2ms check: {message}", file=sys.stderr)
    return 2


def _collect(paths: list[str], ws: Workspace) -> list[Path] | str:
    """The .py files to check, or an error message."""
    # a relative path that is not there from here is taken from the workspace (outputs/x.py)
    targets = [Path(p) if Path(p).exists() or Path(p).is_absolute() or not (ws.root / p).exists()
               else ws.root / p for p in paths] or [ws.outputs]
    files: list[Path] = []
    for t in targets:
        if not t.exists():
            if not paths:
                return f"no outputs/ folder in {ws.root}: run `torch2ms convert` first"
            return f"no such file or folder: {t}"
        if t.is_dir():
            from torch2ms.fsio import py_files

            files += py_files(t)
        elif t.suffix == ".py":
            files.append(t)
        else:
            return f"not a Python file: {t}"
    return list(dict.fromkeys(files))


def _key(path: Path, ws: Workspace) -> str | None:
    """The tracker key (path relative to outputs/) or None when the file is outside outputs/."""
    try:
        return path.resolve().relative_to(ws.outputs.resolve()).as_posix()
    except ValueError:
        return None


_index = None  # the API index the static checks share (a worker inherits it warm)


def _static_check(item: tuple[str, str]):
    """In a worker: the static checks of one file; new API index entries are saved from here."""
    global _index
    from torch2ms.check import check_file
    from torch2ms.check.api_index import ApiIndex

    if _index is None:
        _index = ApiIndex()
    result = check_file(Path(item[0]), item[1], index=_index)
    _index.save()
    return result


def _static_checks(files: list[Path], ws: Workspace, bounds: Bounds, jobs: int) -> list:
    """[(key or None, FileResult)] in the order of `files`, each checked within `bounds`."""
    global _index
    from torch2ms.check.api_index import ApiIndex
    from torch2ms.check.findings import FileResult, Finding
    from torch2ms.fsio import unreadable

    keys = [_key(path, ws) for path in files]
    results: list = [None] * len(files)
    items = []
    for i, (path, key) in enumerate(zip(files, keys)):
        why = unreadable(path)
        if why:
            results[i] = FileResult(path=key or str(path), findings=[Finding(0, "syntax", f"cannot be read: {why}")])
        else:
            items.append((i, (str(path), key or str(path))))
    # a cold API cache is built once, by the first file alone; the others start from it
    cold = "mindspore" not in ApiIndex().modules
    for batch in ([items[:1], items[1:]] if cold and len(items) > 1 else [items]):
        _index = ApiIndex()
        if batch and "mindspore" in _index.modules:  # warm here, so forked workers start ready
            # (never with a cold cache: that would import mindspore here, before forking)
            from torch2ms.check import check_source
            check_source("x = 1\n", "<warm-up>", index=_index)
        for n, outcome in run_bounded(_static_check, [item for _, item in batch], jobs, bounds):
            i, (path, shown) = batch[n]
            if outcome.ok:
                results[i] = outcome.value
                continue
            result = FileResult(path=shown)
            with contextlib.suppress(OSError):
                result.sha256 = hashlib.sha256(Path(path).read_bytes()).hexdigest()
            result.findings.append(Finding(0, "check-limit",
                                           f"the static checks could not finish: {outcome.error}"))
            results[i] = result
    return list(zip(keys, results))


def check_paths(files: list[Path], ws: Workspace, do_import=False, parity=False, timeout=120.0, jobs=2,
                memory_mb: int = DEFAULT_MEMORY_MB, fresh: bool = False, verdicts=None):
    """Check `files`; record results of those under outputs/. Returns [(key or path, FileResult)].
    With `parity`, a spec whose inputs are unchanged since its last run gets its verdict back
    (`verdicts`, a check.verdicts.VerdictCache, or one made here; `fresh`: none is reused)."""
    from torch2ms.check import results, runtime

    versions = _versions()
    plain = runtime.plain_modules(ws.root) if do_import else {}
    input_dir = _input_dir(ws) if parity else None
    if parity and verdicts is None:
        from torch2ms.check.verdicts import VerdictCache

        verdicts = VerdictCache(ws.state_dir, ws.outputs, input_dir, versions, fresh)
    old = results.load(ws.check_results)["files"]
    done = _static_checks(files, ws, Bounds(timeout, memory_mb), jobs)

    def run_time(item):
        (key, result), path = item
        if do_import:
            runtime.import_check(path, ws.outputs if key else path.parent, result, timeout, plain)
        if parity:
            source = input_dir / key if (input_dir and key) else None
            runtime.parity_check(path, source, ws.root, result, timeout,
                                 around=verdicts.around(key) if key else None)

    if do_import or parity:  # subprocesses: run a few at once, each result stays with its file
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=max(1, min(jobs, len(files)))) as pool:
            list(pool.map(run_time, zip(done, files)))
    for key, result in done:
        if key:
            results.carry_over(result, old.get(key))
    recorded = {k: r.to_dict() for k, r in done if k}
    if recorded:
        results.update(ws.check_results, recorded, versions)
        _write_tracker(ws, {k: r.summary() for k, r in done if k})
    if parity:
        verdicts.save()
    return done


def _versions() -> dict:
    """The installed versions check.json records (and parity verdicts depend on)."""
    from torch2ms.check.api_index import ECOSYSTEM_VERSIONS, installed_versions

    return installed_versions(("mindspore", "torch", "mindone", "transformers", "numpy", *ECOSYSTEM_VERSIONS))


def _input_dir(ws: Workspace) -> Path | None:
    from torch2ms.tracker import Tracker, TrackerError

    try:
        return Tracker.load(ws.tracker).input_dir
    except TrackerError:
        return None


def _write_tracker(ws: Workspace, verdicts: dict[str, str]) -> None:
    from torch2ms.tracker import Tracker, TrackerError

    if not ws.tracker.exists():
        return
    try:
        with Tracker.locked(ws.tracker) as tracker:
            listed = {e.path for e in tracker.entries}
            for key, summary in verdicts.items():
                if key in listed:
                    tracker.set_check(key, summary)
    except TrackerError as exc:
        print(f"torch2ms check: warning: verdicts not written to the tracker: {exc}", file=sys.stderr)


def _print(done, as_json: bool, quiet: bool = False) -> None:
    if as_json:
        print(json.dumps({"files": {(k or r.path): r.to_dict() for k, r in done}}, indent=2))
        return
    for _, r in done:
        print(f"{r.path}: {r.summary()}")
        for f in [] if quiet else sorted(set(r.findings)):
            print(f"  {f.line or '-'}: [{f.code}] {f.message}")
        for note in [] if quiet else r.notes:
            print(f"  note: {note}")
    passed = sum(r.verdict == "pass" for _, r in done)
    print(f"{len(done)} file{'s' if len(done) != 1 else ''} checked: {passed} pass, {len(done) - passed} fail")


def run(args) -> int:
    if args.hook:
        return run_hook(sys.stdin.read())
    ws = Workspace.resolve(args.workspace)
    files = _collect(args.paths, ws)
    if isinstance(files, str):
        return _fail(files)
    if not files:
        return _fail(f"no .py files to check in {', '.join(args.paths) or ws.outputs}")
    if args.timeout <= 0 or args.memory <= 0:
        return _fail("--timeout and --memory must be positive")
    if args.fresh and not args.parity:
        return _fail("--fresh goes with --parity (it runs the specs again)")
    verdicts = None
    if args.parity:
        from torch2ms.check.verdicts import VerdictCache

        verdicts = VerdictCache(ws.state_dir, ws.outputs, _input_dir(ws), _versions(), args.fresh)
    done = check_paths(files, ws, args.do_import, args.parity, args.timeout, args.jobs, args.memory,
                       verdicts=verdicts)
    _print(done, args.json, args.quiet)
    if verdicts is not None and verdicts.summary() and not args.json:
        print(verdicts.summary())
    return 0 if all(r.verdict == "pass" for _, r in done) else 1


# ------------------------------------------------------------------ the PostToolUse hook
def hook_workspace(path: Path) -> Workspace | None:
    """The workspace whose outputs/ holds `path`: the `outputs` folder above it whose parent
    holds a tracker, else the nearest `outputs` folder above it."""
    candidates = [p for p in path.parents if p.name == "outputs"]
    for parent in candidates:
        if Workspace(parent.parent).tracker.is_file():
            return Workspace(parent.parent)
    return Workspace(candidates[0].parent) if candidates else None


SPEC_SUFFIXES = (".parity.yaml", ".run.yaml")


def spec_error(path: Path) -> str | None:
    """Why a parity spec (<stem>.parity.yaml) or run spec (<stem>.run.yaml) cannot be used, read
    by the readers `torch2ms parity` and `parity-run` use (no model is built or run); None when
    it can."""
    from torch2ms.parity.run_cli import validate_run_spec
    from torch2ms.parity.spec import SpecError, read_cases

    try:
        if path.name.endswith(".run.yaml"):
            validate_run_spec(path)
        else:
            read_cases(path)
    except SpecError as exc:
        return str(exc)
    except OSError as exc:
        return f"cannot be read: {exc}"
    return None


def _hook_spec(path: Path, ws: Workspace) -> int:
    """An edited spec: quiet when it reads, else its error shown to the model (exit 2)."""
    why = spec_error(path)
    if why is None:
        return 0
    try:
        shown = "outputs/" + path.resolve().relative_to(ws.outputs.resolve()).as_posix()
    except ValueError:
        shown = str(path)
    print(f"torch2ms check: {shown}: spec error: {why}", file=sys.stderr)
    return 2


def run_hook(payload: str) -> int:
    """Claude Code's PostToolUse contract: exit 0 is silent for the model; exit 2 shows stderr
    to it. Only .py files and parity/run specs under an outputs/ folder are checked; anything
    else passes quietly."""
    try:
        data = json.loads(payload or "{}")
    except (ValueError, RecursionError):
        return 0  # never get in the way of an edit because of a payload we do not understand
    # a payload of another shape (a list, a string where a mapping belongs) passes quietly too
    tool_input = data.get("tool_input") if isinstance(data, dict) else None
    if not isinstance(tool_input, dict):
        return 0
    file_path = tool_input.get("file_path") or tool_input.get("notebook_path")
    if not isinstance(file_path, str) or "\0" in file_path or not file_path.endswith((".py",) + SPEC_SUFFIXES):
        return 0
    cwd = data.get("cwd")
    path = Path(file_path)
    if not path.is_absolute():
        path = Path(cwd if isinstance(cwd, str) and "\0" not in cwd else ".") / path
    # `outputs/../proj/model.py` is the input file, not an output: `..` is resolved first, and
    # the file must really be inside the workspace's outputs/ (not through a symlink out of it)
    path = Path(os.path.abspath(path))
    ws = hook_workspace(path)
    if ws is None or not path.is_file() or not path.resolve().is_relative_to(ws.outputs.resolve()):
        return 0
    if path.name.endswith(SPEC_SUFFIXES):
        return _hook_spec(path, ws)
    (key, result), = check_paths([path], ws, timeout=HOOK_TIMEOUT)
    if result.verdict == "pass":
        print(f"torch2ms check: outputs/{key}: pass")
        return 0
    findings = sorted(set(result.findings))
    lines = [f"torch2ms check: outputs/{key}: {result.summary()}"]
    lines += [f"  {f'line {f.line}' if f.line else 'file'}: [{f.code}] {f.message}"
              for f in findings[:HOOK_SHOWN_FINDINGS]]
    if len(findings) > HOOK_SHOWN_FINDINGS:
        lines.append(f"  ... and {len(findings) - HOOK_SHOWN_FINDINGS} more (run `torch2ms check {path}`)")
    print("\n".join(lines), file=sys.stderr)
    return 2
