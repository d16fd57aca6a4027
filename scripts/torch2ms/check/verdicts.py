"""workspace/.torch2ms/verdicts.json: the parity and run verdicts of `check --parity`, each kept
with the digest of everything it was computed from, so an unchanged spec is not run again.

    {"entries": {"model.py|parity": {"digest": "...", "result": "ok", "findings": [...],
                                     "notes": [...], "at": "2026-12-08T04:40:00Z"}}}

The digest covers the port, the torch original, the spec, the files the spec reads (a run
spec's `files:`, `port_files:`, its checkpoint's `from:`; a parity spec's dotted builds), the
project modules each side imports (transitively, with the `__init__.py` of their packages), the
pack (its version and its sources) and the installed versions of the frameworks. A verdict is
reused only when every one of them is unchanged; a timeout, an out-of-memory stop and "torch side
unavailable" (a package missing here) are never reused, and `check --fresh` reruns everything.
"""

from __future__ import annotations

import ast
import datetime
import functools
import hashlib
import json
import os
import threading
from pathlib import Path

from torch2ms.check.findings import Finding

KEPT = {"ok", "failed", "spec error", "torch run failed"}  # verdicts that depend on the inputs alone
SKIPPED_FOLDERS = {"__pycache__", "node_modules", "outputs", "site-packages"}


@functools.lru_cache(maxsize=1)
def pack_digest() -> str:
    """The pack's version and the digest of its own sources (a change to the pack invalidates)."""
    import torch2ms

    digest = hashlib.sha256(f"torch2ms {torch2ms.__version__}\n".encode())
    package = Path(torch2ms.__file__).parent
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".yaml") and "__pycache__" not in path.parts:
            digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _python_files(root: Path) -> frozenset:
    """The .py files below `root` (posix, relative), as `parity-run` copies a project."""
    found = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in SKIPPED_FOLDERS
                   and not (Path(folder) / d / "pyvenv.cfg").exists()]
        rel = Path(folder).relative_to(root)
        found += [(rel / n).as_posix() for n in names if n.endswith(".py")]
    return frozenset(found)


def _imports(path: Path) -> list:
    """(module, level, names) of each import in the file, as the scan records them."""
    try:
        tree = ast.parse(path.read_bytes())
    except (OSError, SyntaxError, ValueError):
        return []
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            out.append((node.module or "", node.level or 0, tuple(a.name for a in node.names)))
        elif isinstance(node, ast.Import):
            out.extend((a.name, 0, ()) for a in node.names)
    return out


def _with_packages(rel: str, index: frozenset) -> set:
    """`rel` and the `__init__.py` of each package above it, the root's included (a scanned
    package folder is imported as that package): importing `rel` runs them."""
    parts = rel.split("/")[:-1]
    return {rel} | {"/".join(parts[:i] + ["__init__.py"]) for i in range(len(parts) + 1)} & index


def project_modules(entries: list[Path], root: Path, index: frozenset) -> list[str]:
    """The project files (relative to `root`) that `entries` reach through their imports,
    transitively, the entries included."""
    from torch2ms.scan.project import resolve_local

    seen: set = set()
    todo = []
    for entry in entries:
        try:
            todo += sorted(_with_packages(entry.resolve().relative_to(root.resolve()).as_posix(), index))
        except ValueError:
            continue
    while todo:
        rel = todo.pop()
        if rel in seen or not rel:
            continue
        seen.add(rel)
        for hit in resolve_local(rel, _imports(root / rel), index):
            todo += sorted(_with_packages(hit, index))
    return sorted(seen)


def _dotted_modules(spec_text: str, index: frozenset) -> set:
    """Project modules a parity spec names in dotted builds (`{build: pkg.mod.Class}`)."""
    import re

    found = set()
    for dotted in re.findall(r"\b([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)\b", spec_text):
        parts = dotted.split(".")
        for n in range(len(parts), 0, -1):
            stem = "/".join(parts[:n])
            hit = next((c for c in (stem + ".py", stem + "/__init__.py") if c in index), None)
            if hit:
                found |= _with_packages(hit, index)
                break
    return found


def _spec_files(spec: Path) -> tuple[list[str], list[str], list[str]]:
    """(files relative to the input folder, to outputs/, project modules on both sides) a run
    spec names; nothing for a spec that does not read."""
    if not spec.name.endswith(".run.yaml"):
        return [], [], []
    from torch2ms.parity.run_cli import validate_run_spec
    from torch2ms.parity.spec import SpecError

    try:
        cases = validate_run_spec(spec)
    except (SpecError, OSError):
        return [], [], []
    inputs, ports, modules = set(), set(), set()
    for _, settings in cases:
        inputs.update(settings["files"])
        ports.update(settings["port_files"])
        if settings.get("checkpoint") and settings["checkpoint"].get("from"):
            modules.add(settings["checkpoint"]["from"])
    return sorted(inputs), sorted(ports), sorted(modules)


def _hash_path(digest, label: str, path: Path) -> None:
    """A file's content, a folder's files (names and contents), or that it is missing."""
    if path.is_file():
        digest.update(f"{label}\0".encode() + hashlib.sha256(path.read_bytes()).digest())
    elif path.is_dir():
        for sub in sorted(p for p in path.rglob("*") if p.is_file()):
            digest.update(f"{label}/{sub.relative_to(path).as_posix()}\0".encode()
                          + hashlib.sha256(sub.read_bytes()).digest())
    else:
        digest.update(f"{label}\0missing".encode())


class VerdictCache:
    """The verdicts of one `check --parity` run: those reused and those computed, saved at the end."""

    def __init__(self, state_dir: Path, outputs: Path, input_dir: Path | None, versions: dict,
                 fresh: bool = False):
        self.path = Path(state_dir) / "verdicts.json"
        self.outputs, self.input_dir, self.fresh = Path(outputs), input_dir, fresh
        self.versions = json.dumps(versions, sort_keys=True)
        self.entries = self._load()
        self.reused: list[tuple[str, str]] = []  # (output key, "parity" / "run")
        self.ran: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._indexes: dict = {}

    def _load(self) -> dict:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return dict(data.get("entries") or {})
        except (OSError, ValueError, AttributeError):
            return {}

    def _index(self, root: Path) -> frozenset:
        with self._lock:
            if root not in self._indexes:
                self._indexes[root] = _python_files(root)
            return self._indexes[root]

    def digest(self, spec: Path, port: Path, source: Path | None) -> str:
        """The digest of everything the spec's verdict depends on."""
        digest = hashlib.sha256(f"{pack_digest()}\n{self.versions}\n".encode())
        spec_text = spec.read_text(encoding="utf-8", errors="replace")
        digest.update(b"spec\0" + spec_text.encode())
        inputs, ports, modules = _spec_files(spec)
        sides = [("port", self.outputs, port)]
        if source is not None and self.input_dir is not None:
            sides.append(("torch", self.input_dir, source))
        for label, root, entry in sides:
            index = self._index(root)
            reached = set(project_modules([entry, *(root / m for m in modules)], root, index))
            reached |= _dotted_modules(spec_text, index)
            for rel in sorted(reached):
                _hash_path(digest, f"{label}:{rel}", root / rel)
        for rel in inputs:
            _hash_path(digest, f"files:{rel}", (self.input_dir or self.outputs) / rel)
        for rel in ports:
            _hash_path(digest, f"port_files:{rel}", self.outputs / rel)
        return digest.hexdigest()

    def around(self, key: str):
        """The `around` for runtime.parity_check of the output `key`: a spec whose digest is
        unchanged gets its recorded verdict back, with its findings and notes; any other runs."""

        def spec_run(run, command, spec, path, source, workspace_root, result, timeout):
            kind = "parity" if command == "parity" else "run"
            name = f"{key}|{kind}"
            try:
                digest = self.digest(spec, path, source)
            except OSError:
                digest = None
            entry = self.entries.get(name)
            if not self.fresh and digest and entry and entry.get("digest") == digest:
                result.findings += [Finding(f["line"], f["code"], f["message"]) for f in entry["findings"]]
                result.notes += list(entry["notes"])
                result.notes.append(f"{kind}: {spec.name}: verdict reused (its inputs are unchanged since "
                                    f"{entry['at']}; --fresh runs it again)")
                with self._lock:
                    self.reused.append((key, kind))
                return entry["result"]
            findings, notes = len(result.findings), len(result.notes)
            verdict = run(command, spec, path, source, workspace_root, result, timeout)
            new_findings = result.findings[findings:]
            with self._lock:
                self.ran.append((key, kind))
                if (digest and verdict in KEPT
                        and not any("out of memory" in f.message for f in new_findings)):
                    self.entries[name] = {
                        "digest": digest, "result": verdict,
                        "findings": [{"line": f.line, "code": f.code, "message": f.message} for f in new_findings],
                        "notes": result.notes[notes:],
                        "at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
                else:
                    self.entries.pop(name, None)
            return verdict

        return spec_run

    def save(self) -> None:
        from torch2ms.check.results import _locked
        from torch2ms.fsio import write_atomic

        if not self.ran:
            return
        with _locked(self.path.with_name("check.json")):
            current = self._load()
            for key, kind in self.ran:  # only what this run computed: a parallel check keeps its own
                name = f"{key}|{kind}"
                if name in self.entries:
                    current[name] = self.entries[name]
                else:
                    current.pop(name, None)
            write_atomic(self.path, json.dumps({"entries": dict(sorted(current.items()))}, indent=1) + "\n")

    def summary(self) -> str | None:
        """One line naming the reused verdicts, or None."""
        if not self.reused:
            return None
        shown = ", ".join(f"{key} {kind}" for key, kind in sorted(self.reused))
        return (f"{len(self.reused)} parity/run verdict{'s' if len(self.reused) != 1 else ''} reused, their inputs "
                f"unchanged: {shown} (--fresh runs them again)")
