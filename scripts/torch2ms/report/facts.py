"""The facts the reports are made of, one record per tracked file, gathered deterministically."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from torch2ms.tracker import Entry, Tracker
from torch2ms.workspace import Workspace

REASONS = {
    "mindspore": "already MindSpore: listed, not converted",
    "notebook": "Jupyter notebook: listed, not converted",
}


@dataclass
class FileFacts:
    entry: Entry
    edits: int
    has_output: bool
    todos: int | None              # open TODO(torch2ms) markers in the current output
    check: str                     # pass / fail / stale / not checked / no output
    summary: str = ""              # the check's one-line summary when there is a current result
    findings: list[dict] = field(default_factory=list)
    import_result: str | None = None
    parity_result: str | None = None

    @property
    def verified(self) -> bool:
        return self.check == "pass"


def gather(ws: Workspace, tracker: Tracker, check_data: dict) -> list[FileFacts]:
    from torch2ms.check.torch_left import todo_markers

    records = check_data.get("files", {})
    out = []
    for e in tracker.entries:
        edits = sum(1 for line in tracker.edits.get(e.path, []) if line.lstrip().startswith(("- ", "* ")))
        output = ws.outputs / e.path
        has_output = output.is_file()
        todos = None
        facts = FileFacts(e, edits, has_output, todos, "no output")
        if has_output:
            text = output.read_text(encoding="utf-8", errors="replace")
            facts.todos = len(todo_markers(text))
            rec = records.get(e.path)
            if rec is None:
                facts.check = "not checked"
            elif rec.get("sha256") != hashlib.sha256(text.encode("utf-8")).hexdigest():
                facts.check = "stale"
                facts.summary = "output changed since it was checked"
            else:
                facts.check = rec.get("verdict", "fail")
                facts.summary = rec.get("summary", "")
                facts.findings = rec.get("findings", [])
                facts.import_result = rec.get("import")
                facts.parity_result = rec.get("parity")
        out.append(facts)
    return out


def queued(facts: list[FileFacts]) -> list[FileFacts]:
    return [f for f in facts if f.entry.queued]


def not_converted(facts: list[FileFacts]) -> list[tuple[FileFacts, str]]:
    out = []
    for f in facts:
        if f.entry.vanished:
            out.append((f, "vanished from the input folder since the scan"))
        elif not f.entry.queued:
            out.append((f, REASONS.get(f.entry.status, f"status {f.entry.status}: not queued")))
    return out
