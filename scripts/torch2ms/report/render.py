"""conversion_report.md (a row per file) and report.md (the run's summary), as markdown text.

Pure functions of the gathered facts and the versions: the same inputs give the same bytes.
"""

from __future__ import annotations

import html
import re

from torch2ms.tracker import escaped

from torch2ms.report.facts import FileFacts, copied, not_converted, queued, without_counterpart

SHOWN_FINDINGS = 10
DASH = "—"
_MARKUP = re.compile(r"([\\`*_\[\]|~])")


def _code(text: str, cell: bool = False) -> str:
    """`text` as a code span (a fence longer than any backtick run in it); in a table cell its
    `|` is escaped, so it cannot split the row."""
    text = escaped(text)
    if cell:
        text = text.replace("|", "\\|")
    fence = "`" * (max((len(m) for m in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _inert(text) -> str:
    """Text from a person or a project (a blocked reason, a category, a finding) rendered as
    itself: HTML escaped, markdown's link, emphasis and table characters backslash-escaped."""
    return _MARKUP.sub(r"\\\1", html.escape(escaped(str(text)), quote=False))


def _n(count: int, one: str, many: str | None = None) -> str:
    """"1 file", "2 files"."""
    return f"{count} {one if count == 1 else (many or one + 's')}"


def _check_cell(f: FileFacts) -> str:
    if f.check in ("pass", "fail"):
        return f.summary or f.check
    if f.check == "stale":
        return "stale: output changed since checked"
    return f.check


def _runtime(value: str | None, f: FileFacts | None = None, key: str = "") -> str:
    """A runtime result; a match with what it compared (`ok: 12 cases, max abs diff 3.6e-06`)."""
    if value == "ok" and f is not None:
        note = next((n for n in f.notes if n.startswith(f"{key}:") and " matches: " in n), "")
        return f"ok: {note.partition(' matches: ')[2]}" if note else value
    return value if value else "not run"


def _ticked_state(f: FileFacts) -> str:
    if not f.entry.done:
        return "no"
    return "yes" if f.verified else "yes, check not passed"


def _spec_path(f: FileFacts, suffix: str) -> str:
    out = f"outputs/{f.entry.path}"
    return (out[:-len(".py")] if out.endswith(".py") else out) + suffix


def _why_not_run(f: FileFacts, key: str, result: str | None) -> str | None:
    """The check's own reason when a spec exists but could not run (torch side, spec error)."""
    if result == "torch side unavailable":
        note = next((n for n in f.notes if n.startswith(f"{key}:")), "")
        why = note.partition(" cannot run: ")[2] or "the torch original cannot be imported here"
        return f"cannot run: {_inert(why)}"
    if result in ("failed", "spec error", "timeout"):
        return f"{key} {result} (see `torch2ms check --parity outputs/{f.entry.path}`)"
    return None


def _parity_todo(f: FileFacts) -> str:
    """What a file defining models that passes the checks still needs to be compared."""
    out, spec = f"outputs/{f.entry.path}", _spec_path(f, ".parity.yaml")
    why = _why_not_run(f, "parity", f.parity_result)
    if f.has_spec and why:
        return f"parity spec `{spec}` {why}"
    if f.has_spec:
        return f"parity spec `{spec}` not run: `torch2ms check --parity {out}`"
    return (f"no parity run: needs a parity spec `{spec}`, then `torch2ms check --import --parity {out}`")


def _run_todo(f: FileFacts) -> str:
    """What a training or inference script that passes the checks still needs to be compared."""
    out, spec = f"outputs/{f.entry.path}", _spec_path(f, ".run.yaml")
    why = _why_not_run(f, "run", f.run_result)
    if f.has_run_spec and why:
        return f"run spec `{spec}` {why}"
    if f.has_run_spec:
        return f"run spec `{spec}` not run: `torch2ms check --parity {out}`"
    return (f"its run was never compared: needs a run spec `{spec}` (the arguments for `torch2ms parity-run`), "
            f"then `torch2ms check --parity {out}`")


def _todos(f: FileFacts) -> list[str]:
    return ([_parity_todo(f)] if f.needs_parity else []) + ([_run_todo(f)] if f.needs_run else [])


def blocked_section(facts: list[FileFacts]) -> list[str]:
    """The files marked blocked (`torch2ms edit FILE --blocked REASON`), with their reasons."""
    blocked = [f for f in queued(facts) if f.entry.blocked is not None and not f.entry.done]
    if not blocked:
        return []
    out = ["## Blocked", "", "Marked with `torch2ms edit FILE --blocked REASON`: they cannot pass without "
           "the user, and `/convert-next` goes past them.", ""]
    out += [f"- {_code(f.entry.path)} ({_inert(f.entry.category)}): {_inert(f.entry.blocked)}" for f in blocked]
    return out + [""]


# a spec that exists but did not run: nothing was compared, so it is not counted as run
NOT_RUN = ("torch side unavailable", "spec error")


def _not_run(n: int) -> str:
    return f", {n} could not run" if n else ""


def totals(facts: list[FileFacts]) -> dict:
    q = queued(facts)
    c = copied(facts)
    return {
        "checked": len(q) + len(c),
        "checked_pass": sum(f.verified for f in q + c),
        "copied": len(c),
        "copied_pass": sum(f.verified for f in c),
        "to_convert": len(q),
        "outputs": sum(f.has_output for f in q),
        "ticked": sum(f.entry.done for f in q),
        "verified": sum(f.verified for f in q),
        "failing": sum(f.check == "fail" for f in q),
        "stale": sum(f.check == "stale" for f in q),
        "not_checked": sum(f.check == "not checked" for f in q),
        "no_output": sum(not f.has_output for f in q),
        "ticked_unverified": sum(f.entry.done and not f.verified for f in q),
        "todos": sum(f.todos or 0 for f in q),
        "import_ok": sum((f.import_result or "").startswith("ok") for f in q + c),
        "import_run": sum(f.import_result is not None for f in q + c),
        "parity_ok": sum(f.parity_result == "ok" for f in q),
        "parity_run": sum(f.parity_result not in (None, "no spec") + NOT_RUN for f in q),
        "parity_not_run": sum(f.parity_result in NOT_RUN for f in q),
        "run_ok": sum(f.run_result == "ok" for f in q),
        "run_run": sum(f.run_result not in (None, "no spec") + NOT_RUN for f in q),
        "run_not_run": sum(f.run_result in NOT_RUN for f in q),
        "verified_parity": sum(f.parity_ok for f in q),
        "needs_parity": sum(f.needs_parity for f in q),
        "needs_run": sum(f.needs_run for f in q),
        "edits": sum(f.edits for f in q),
        "auto_edits": sum(f.auto_edits for f in q),
        "hand_edits": sum(f.hand_edits for f in q),
    }


# a library the project uses -> the distributions the versions table lists for it
_LIBRARY_VERSIONS = {"torchvision": ("torchvision", "mindcv"), "timm": ("timm", "mindcv"),
                     "diffusers": ("diffusers",), "accelerate": ("accelerate",),
                     "pytorch_lightning": ("pytorch-lightning",), "lightning": ("lightning", "pytorch-lightning"),
                     "torchmetrics": ("torchmetrics",), "tiktoken": ("tiktoken",)}


def _used_libraries(facts: list[FileFacts]) -> list[str]:
    """The distributions beside the five always listed that the project's libraries call for."""
    used = {lib.split(".")[0] for f in facts for lib in f.entry.libraries}
    return sorted({d for lib in used for d in _LIBRARY_VERSIONS.get(lib, ())})


def conversion_report(facts: list[FileFacts], input_dir: str) -> str:
    t = totals(facts)
    q = queued(facts)
    out = ["# Conversion report", "",
           f"Input folder: {_code(input_dir)}. Built by `torch2ms report` from `files_to_convert.md` and "
           "`.torch2ms/check.json`. A file passes the checks when `torch2ms check` passes on its "
           "current output; that is not a numeric comparison: only parity (`parity ok` for the models "
           "a file defines, `run ok` for a training or inference script run from the same weights) "
           "compares it with the torch original.", "",
           "| file | category | status | ticked | edits | open TODOs | check | import | parity | run |",
           "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for f in q:
        todos = DASH if f.todos is None else str(f.todos)
        out.append(f"| {_code(f.entry.path, cell=True)} | {_inert(f.entry.category)} | {_inert(f.entry.status)} | "
                   f"{_ticked_state(f)} | {f.edits} | {todos} | {_inert(_check_cell(f))} | "
                   f"{_inert(_runtime(f.import_result))} | {_inert(_runtime(f.parity_result, f, 'parity'))} | "
                   f"{_inert(_runtime(f.run_result, f, 'run'))} |")
    if not q:
        out.append(f"| {DASH} | | | | | | | | | |")
    extra = copied(facts)
    if extra:
        out += ["", "## Copied without torch code (checked by `/verify` too)", "",
                "| file | check | import |", "| --- | --- | --- |"]
        out += [f"| {_code(f.entry.path, cell=True)} | {_inert(_check_cell(f))} | {_inert(_runtime(f.import_result))} |"
                for f in extra]
    failing = [f for f in q + extra if not f.verified]
    out += ["", "## Not passing the check", ""]
    if not failing:
        out += ["Every file to convert passes its check.", ""]
    for f in failing:
        out.append(f"### {_code(f.entry.path)}: {_inert(_check_cell(f))}")
        for item in f.findings[:SHOWN_FINDINGS]:
            where = f"line {item['line']}" if item["line"] else "file"
            out.append(f"- {where}: [{item['code']}] {_inert(item['message'])}")
        if len(f.findings) > SHOWN_FINDINGS:
            out.append(f"- ... and {len(f.findings) - SHOWN_FINDINGS} more (`torch2ms check outputs/{f.entry.path}`)")
        if f.check == "not checked":
            out.append(f"- run `torch2ms check outputs/{f.entry.path}`")
        elif f.check == "no output":
            out.append(f"- not converted yet: no `outputs/{f.entry.path}`")
        elif f.check == "stale":
            out.append(f"- check it again: `torch2ms check outputs/{f.entry.path}`")
        out.append("")
    out += blocked_section(facts)
    unmatched = [f for f in q if f.needs_parity or f.needs_run]
    if unmatched:
        out += ["## Passing the checks, not compared with the torch original (models, training and "
                "inference scripts)", ""]
        out += [f"- {_code(f.entry.path)} ({_inert(f.entry.category)}): {todo}" for f in unmatched for todo in _todos(f)]
        out.append("")
    out += ["## Not converted", ""]
    skipped = not_converted(facts)
    out += [f"- {_code(f.entry.path)} ({_inert(f.entry.status)}): {_inert(why)}" for f, why in skipped] or ["None."]
    out += ["", "## Totals", "",
            f"- Files to convert: {t['to_convert']}",
            f"- Outputs written: {t['outputs']}",
            f"- Ticked in the tracker: {t['ticked']}",
            f"- **Pass the checks (on the current output): {t['verified']} of {t['to_convert']}**",
            f"- Of these, match the torch original numerically (parity ok): {t['verified_parity']}",
            f"- Files defining models that pass the checks without parity: {t['needs_parity']}",
            f"- Training and inference scripts that pass the checks without run parity: {t['needs_run']}",
            f"- Files `/verify` checks: {t['checked']} (the {t['to_convert']} to convert and {t['copied']} copied "
            f"without torch code); passing: {t['checked_pass']}",
            f"- Failing the check: {t['failing']}; not checked: {t['not_checked']}; "
            f"changed since checked: {t['stale']}; no output: {t['no_output']}",
            f"- Ticked but not passing the check: {t['ticked_unverified']}",
            f"- Open TODO(torch2ms) markers: {t['todos']}",
            f"- Edits recorded: {t['edits']} ({t['auto_edits']} by `torch2ms convert`, "
            f"{t['hand_edits']} by hand)",
            f"- Import (`--import`): {t['import_ok']} ok of {t['import_run']} run",
            f"- Parity (`--parity`, models): {t['parity_ok']} ok of {t['parity_run']} run"
            f"{_not_run(t['parity_not_run'])}",
            f"- Run parity (`--parity`, `<stem>.run.yaml`): {t['run_ok']} ok of {t['run_run']} run"
            f"{_not_run(t['run_not_run'])}",
            f"- Not converted: {len(skipped)}"]
    return "\n".join(out) + "\n"


def _serving_engines(facts: list[FileFacts]) -> list[str]:
    """The files that used a serving engine: nothing of it converts, whatever their checks say."""
    found = without_counterpart(facts)
    if not found:
        return []
    out = ["", "## Serving engines without a MindSpore counterpart", ""]
    for f, engines, what in found:
        out.append(f"- {_code(f.entry.path)} uses {', '.join(engines)}: {what}")
    return out


def summary_report(facts: list[FileFacts], input_dir: str, other_files: int, versions: dict) -> str:
    t = totals(facts)
    q = queued(facts)
    listed = [f for f in facts if not f.entry.vanished and f not in copied(facts)]
    statuses: dict[str, int] = {}
    for f in listed:
        statuses[f.entry.status] = statuses.get(f.entry.status, 0) + 1
    categories: dict[str, int] = {}
    for f in q:
        categories[f.entry.category] = categories.get(f.entry.category, 0) + 1
    out = ["# Migration report", "", "## Scanned", "",
           f"Input folder {_code(input_dir)}: {_n(len(listed), 'file')} with torch-ecosystem code listed "
           f"({', '.join(f'{n} {_inert(s)}' for s, n in sorted(statuses.items())) or 'none'}), "
           f"{_n(other_files, 'file')} without torch-ecosystem code.",
           f"To convert: {t['to_convert']} "
           f"({', '.join(f'{n} {_inert(c)}' for c, n in sorted(categories.items())) or 'none'}).",
           "", "## Converted", "",
           f"{t['outputs']} of {_n(t['to_convert'], 'file')} have an output in `outputs/`; "
           f"{t['ticked']} ticked in the tracker; {_n(t['edits'], 'edit')} recorded: "
           f"{t['auto_edits']} by `torch2ms convert`, {t['hand_edits']} by hand.",
           "", "## Checks and parity", "",
           f"**{t['checked_pass']} of {_n(t['checked'], 'file')} pass the checks**"
           + (f" ({t['to_convert']} to convert, {t['copied']} copied without torch code)" if t["copied"] else "")
           + ": `torch2ms check` passes on their current output (it parses, every name is defined, no torch "
           "is left, no open TODO(torch2ms) marker, every MindSpore/mindone name and keyword argument exists "
           "in the installed versions). Passing the checks is not a numeric comparison.",
           f"**{t['verified_parity']} of them also {'matches' if t['verified_parity'] == 1 else 'match'} "
           "the torch original numerically (parity)**; "
           f"{_n(t['needs_parity'], 'file defining models passes', 'files defining models pass')} the checks "
           f"without parity and {_n(t['needs_run'], 'training or inference script', 'training or inference scripts')} "
           "without run parity (listed under Left for a human).",
           f"Imported with the CPU fallback: {t['import_ok']} ok of {t['import_run']} tried. "
           f"Parity runs: {t['parity_ok']} ok of {t['parity_run']} run (models{_not_run(t['parity_not_run'])}), "
           f"{t['run_ok']} ok of {t['run_run']} run (scripts{_not_run(t['run_not_run'])}).",
           ]
    if t["ticked_unverified"]:
        out.append(f"{_n(t['ticked_unverified'], 'ticked file does', 'ticked files do')} not pass the check: "
                   "a tick is not counted as success.")
    out += [""] + blocked_section(facts)
    out += ["## Left for a human", ""]
    left = []
    for f in q + copied(facts):
        left += [f"- {_code(f.entry.path)} ({_inert(f.entry.category)}): passes the checks; {todo}" for todo in _todos(f)]
        if f.verified:
            continue
        what = {"fail": f"check fails ({f.summary.removeprefix('fail: ')})" if f.summary else "check fails",
                "stale": "changed since it was checked", "not checked": "not checked",
                "no output": "not converted yet"}.get(f.check, f.check)
        kind = "copied without torch code" if f in copied(facts) else f.entry.category
        left.append(f"- {_code(f.entry.path)} ({_inert(kind)}): {_inert(what)}")
    left += [f"- {_code(f.entry.path)}: {_inert(why)}" for f, why in not_converted(facts)]
    if t["todos"]:
        left.append(f"- {_n(t['todos'], 'open TODO(torch2ms) marker')} in the outputs")
    out += left or ["Nothing: every file passes the checks, and every model and every training or "
                    "inference script matches the torch original (parity)."]
    out += _serving_engines(facts)
    out += ["", "## Versions", "", "| package | version |", "| --- | --- |"]
    out += [f"| {name} | {versions.get(name) or 'not installed'} |"
            for name in ("mindspore", "mindone", "torch", "transformers", "numpy")]
    out += [f"| {name} | {versions[name]} |" for name in _used_libraries(facts) if versions.get(name)]
    out += ["", "Details per file: `conversion_report.md`."]
    return "\n".join(out) + "\n"
