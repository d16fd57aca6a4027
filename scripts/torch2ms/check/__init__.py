"""`torch2ms check`: a verdict per converted file, with reasons.

    from torch2ms.check import check_source, check_file
    result = check_file(Path("outputs/model.py"))      # FileResult: .verdict, .findings, .todos

Static checks (always): the file parses; every name it reads is defined; no torch left (imports at any depth and dynamic ones,
names bound to torch, torch idioms, open `# TODO(torch2ms)` markers); every mindspore/mindone
name exists in the installed versions and calls bind to their signatures (the project's own
functions' too: project_calls.py); no method is called
on an object a torch library built (library_objects.py). Optional runtime checks
(`--import`, `--parity`) live in torch2ms.check.runtime.
"""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path

from torch2ms.check.findings import Finding, FileResult


def check_source(source: str, shown_path: str, index=None, folder: Path | None = None) -> FileResult:
    from torch2ms.check.api_index import ApiIndex
    from torch2ms.check.api_usage import ApiUsage
    from torch2ms.check.library_objects import object_findings
    from torch2ms.check.names import import_bindings
    from torch2ms.check.format_specs import format_findings
    from torch2ms.check.project_calls import call_findings, declared_keywords
    from torch2ms.check.project_types import ProjectTypes
    from torch2ms.check.torch_left import todo_markers, torch_findings
    from torch2ms.check.undefined import undefined_names

    result = FileResult(path=shown_path, lines=source.count("\n") + (not source.endswith("\n")),
                        sha256=hashlib.sha256(source.encode("utf-8")).hexdigest())
    todos = todo_markers(source)
    result.todos = len(todos)
    result.findings += [Finding(line, "todo", text or "open TODO(torch2ms) marker") for line, text in todos]
    try:
        tree = ast.parse(source, filename=shown_path)
    except SyntaxError as exc:
        result.findings.append(Finding(exc.lineno or 0, "syntax", f"does not parse: {exc.msg}"))
        return result
    bindings = import_bindings(tree)
    usage = ApiUsage(tree, bindings, index if index is not None else ApiIndex())
    project = ProjectTypes(tree, folder)  # the one reader of the project's modules
    project_params = declared_keywords(tree, folder, project)
    result.findings += torch_findings(tree, bindings,
                                      api_params=lambda call: usage.params(call) or project_params(call),
                                      project=project)
    result.findings += object_findings(tree, bindings)
    result.findings += usage.findings()
    result.findings += call_findings(tree, folder, project)
    result.findings += format_findings(tree, bindings)
    # `torch.x` left without its import is already a torch-name finding on that line
    torch_lines = {(f.line, f.message + ".") for f in result.findings if f.code == "torch-name"}
    result.findings += [f for f in undefined_names(source, tree, shown_path, folder=folder)
                        if not any(line == f.line and f" {f.message.split('`')[1]}." in msg
                                   for line, msg in torch_lines)]
    return result


def check_file(path: Path, shown_path: str | None = None, index=None) -> FileResult:
    """Check a file as Python reads it (PEP 263 encoding, any line endings); its `sha256` is
    that of the file's bytes, which `torch2ms done` and the reports compare."""
    from torch2ms.fsio import SourceError, decode_source

    shown = shown_path or str(path)
    raw = Path(path).read_bytes()
    try:
        source = decode_source(raw)
    except SourceError as exc:
        result = FileResult(path=shown, sha256=hashlib.sha256(raw).hexdigest())
        result.findings.append(Finding(0, "syntax", f"cannot be read as Python source: {exc}"))
        return result
    result = check_source(source.text, shown, index=index, folder=Path(path).resolve().parent)
    result.sha256 = hashlib.sha256(raw).hexdigest()
    return result
