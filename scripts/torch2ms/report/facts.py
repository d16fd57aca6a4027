"""The facts the reports are made of, one record per tracked file, gathered deterministically."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from torch2ms.tracker import Entry, Tracker
from torch2ms.workspace import Workspace

# files /convert-next writes a parity spec for: passing the checks says nothing about the numbers
NEEDS_PARITY = ("Modeling",)
# the lines `torch2ms convert` records, e.g. "convert L12 mapping: torch.cat -> mint.cat"
CONVERTER_EDIT = re.compile(r"^convert L\d+\b")

REASONS = {
    "mindspore": "already MindSpore: listed, not converted",
    "notebook": "Jupyter notebook: listed, not converted",
}


@dataclass
class FileFacts:
    entry: Entry
    edits: int                     # all edit lines recorded: auto_edits + hand_edits
    has_output: bool
    todos: int | None              # open TODO(torch2ms) markers in the current output
    check: str                     # pass / fail / stale / not checked / no output
    summary: str = ""              # the check's one-line summary when there is a current result
    findings: list[dict] = field(default_factory=list)
    import_result: str | None = None
    parity_result: str | None = None
    auto_edits: int = 0            # recorded by `torch2ms convert`
    hand_edits: int = 0            # recorded by `torch2ms edit`
    has_spec: bool = False         # a <stem>.parity.yaml next to the output

    @property
    def verified(self) -> bool:
        """Passes the checks (static + whatever runtime checks ran): not a numeric comparison."""
        return self.check == "pass"

    @property
    def parity_ok(self) -> bool:
        return self.verified and self.parity_result == "ok"

    @property
    def needs_parity(self) -> bool:
        """Passes the checks, computes tensors, yet was never compared with the torch original."""
        return self.verified and self.entry.category in NEEDS_PARITY and self.parity_result != "ok"


def gather(ws: Workspace, tracker: Tracker, check_data: dict) -> list[FileFacts]:
    from torch2ms.check.torch_left import todo_markers

    records = check_data.get("files", {})
    out = []
    for e in tracker.entries:
        items = [line.lstrip()[2:] for line in tracker.edits.get(e.path, [])
                 if line.lstrip().startswith(("- ", "* "))]
        auto = sum(bool(CONVERTER_EDIT.match(item)) for item in items)
        output = ws.outputs / e.path
        has_output = output.is_file()
        todos = None
        facts = FileFacts(e, len(items), has_output, todos, "no output", auto_edits=auto,
                          hand_edits=len(items) - auto,
                          has_spec=output.with_name(output.stem + ".parity.yaml").is_file())
        if has_output:
            text = output.read_text(encoding="utf-8", errors="replace")
            facts.todos = len(todo_markers(text))
            rec = records.get(e.path)
            if rec is None:
                facts.check = "not checked"
            elif rec.get("sha256") != hashlib.sha256(output.read_bytes()).hexdigest():
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
