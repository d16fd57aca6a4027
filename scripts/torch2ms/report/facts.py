"""The facts the reports are made of, one record per tracked file, gathered deterministically."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from torch2ms.scan.categorize import MODELS_EVIDENCE
from torch2ms.tracker import Entry, Tracker
from torch2ms.workspace import Workspace

# scripts whose numbers are compared by running them (`<stem>.run.yaml`, `torch2ms parity-run`)
SCRIPTS = ("Training", "Inference")
# the lines `torch2ms convert` records, e.g. "convert L12 mapping: torch.cat -> mint.cat"
CONVERTER_EDIT = re.compile(r"^convert L\d+\b")
# the line `torch2ms edit FILE --blocked REASON` records beside the mark
BLOCKED_RECORD = re.compile(r"^blocked: ")
COPIED = "copied"  # status of an output that no tracker entry names: a torch-free file convert copied

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
    has_run_spec: bool = False     # a <stem>.run.yaml next to the output
    run_result: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        """Passes the checks (static + whatever runtime checks ran): not a numeric comparison."""
        return self.check == "pass"

    @property
    def defines_models(self) -> bool:
        """The file defines model classes (whatever its category): they need a parity spec."""
        evidence = self.entry.evidence
        return any(MODELS_EVIDENCE.match(e) for e in evidence) or (
            self.entry.category == "Modeling" and not any("by default" in e for e in evidence))

    @property
    def is_script(self) -> bool:
        """A training or inference script: its numbers are compared by running it."""
        return self.entry.category in SCRIPTS

    @property
    def parity_ok(self) -> bool:
        """Matches the torch original numerically: its models by parity, and (a training or
        inference script) its run by run parity; another file only when a parity spec of its
        (factory functions building models) matched, else it has nothing compared."""
        if not self.verified:
            return False
        if not (self.defines_models or self.is_script):
            return self.parity_result == "ok"  # a factory module (build_model) whose spec matched
        return ((not self.defines_models or self.parity_result == "ok")
                and (not self.is_script or self.run_result == "ok"))

    @property
    def needs_parity(self) -> bool:
        """Passes the checks, defines models, yet they were never compared with the torch original."""
        return self.verified and self.defines_models and self.parity_result != "ok"

    @property
    def needs_run(self) -> bool:
        """A training or inference script passing the checks whose run was never compared."""
        return self.verified and self.is_script and self.run_result != "ok"


def gather(ws: Workspace, tracker: Tracker, check_data: dict) -> list[FileFacts]:
    from torch2ms.check.torch_left import todo_markers

    records = check_data.get("files", {})
    out = []
    listed = {e.path for e in tracker.entries}
    copied = [Entry(path=rel, category="-", status=COPIED) for rel in output_files(ws) if rel not in listed]
    for e in list(tracker.entries) + copied:
        items = [line.lstrip()[2:] for line in tracker.edits.get(e.path, [])
                 if line.lstrip().startswith(("- ", "* "))]
        items = [item for item in items if not BLOCKED_RECORD.match(item)]  # a mark, not an edit
        auto = sum(bool(CONVERTER_EDIT.match(item)) for item in items)
        output = ws.outputs / e.path
        has_output = output.is_file()
        todos = None
        facts = FileFacts(e, len(items), has_output, todos, "no output", auto_edits=auto,
                          hand_edits=len(items) - auto,
                          has_spec=output.with_name(output.stem + ".parity.yaml").is_file(),
                          has_run_spec=output.with_name(output.stem + ".run.yaml").is_file())
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
                facts.run_result = rec.get("run")
                facts.notes = list(rec.get("notes") or [])
        out.append(facts)
    return out


def output_files(ws: Workspace) -> list[str]:
    """Every .py file below outputs/ as `torch2ms check` (and so /verify) finds them."""
    root = ws.outputs
    if not root.is_dir():
        return []
    from torch2ms.fsio import py_files

    return sorted(p.relative_to(root).as_posix() for p in py_files(root))


# libraries with no MindSpore counterpart at all: the reports name the files that use them
SERVING_ENGINES = ("vllm", "sglang")


def without_counterpart(facts: list[FileFacts]) -> list[tuple[FileFacts, list[str], str]]:
    """(file, the serving engines it uses, what to do) for each listed file that uses one."""
    from torch2ms.convert.rules._data import load

    what = " ".join(load("serving")["marker"].split())
    out = []
    for f in facts:
        engines = [lib for lib in f.entry.libraries if lib.split(".", 1)[0] in SERVING_ENGINES]
        if engines and not f.entry.vanished:
            out.append((f, engines, what))
    return out


def queued(facts: list[FileFacts]) -> list[FileFacts]:
    return [f for f in facts if f.entry.queued]


def copied(facts: list[FileFacts]) -> list[FileFacts]:
    """Outputs no tracker entry names (torch-free files convert copied): /verify checks them too."""
    return [f for f in facts if f.entry.status == COPIED]


def not_converted(facts: list[FileFacts]) -> list[tuple[FileFacts, str]]:
    out = []
    for f in facts:
        if f.entry.status == COPIED:
            continue
        if f.entry.vanished:
            out.append((f, "vanished from the input folder since the scan"))
        elif not f.entry.queued:
            out.append((f, REASONS.get(f.entry.status, f"status {f.entry.status}: not queued")))
    return out
