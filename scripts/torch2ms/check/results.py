"""workspace/.torch2ms/check.json: the latest check result per output file, for the reports.

    {"versions": {"mindspore": "2.10.0", ...},
     "files": {"model.py": {"verdict": "fail", "summary": "...", "findings": [...], "todos": 1,
                            "lines": 120, "sha256": "...", "import": "ok", "parity": null}}}

Keys are paths relative to outputs/ (the tracker's keys). A file checked again replaces its
record; a later static check keeps the import/parity results (see carry_over) only while the
file's content is unchanged (same sha256).
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path


def load(path: Path) -> dict:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"versions": {}, "files": {}}
    data.setdefault("versions", {})
    data.setdefault("files", {})
    return data


@contextlib.contextmanager
def _locked(path: Path):
    """An exclusive lock beside check.json: the hook and a /verify run may write at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name("check.lock"), "a") as lock:
        try:
            import fcntl
        except ImportError:  # not POSIX: the atomic write still holds, without the lock
            yield
            return
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def update(path: Path, records: dict[str, dict], versions: dict) -> dict:
    """Merge `records` into the file at `path` (atomic write, under a lock) and return the data."""
    path = Path(path)
    with _locked(path):
        return _update(path, records, versions)


def _update(path: Path, records: dict[str, dict], versions: dict) -> dict:
    data = load(path)
    for key, rec in records.items():
        data["files"][key] = rec
    data["versions"] = versions
    data["files"] = dict(sorted(data["files"].items()))
    from torch2ms.fsio import write_atomic

    write_atomic(path, json.dumps(data, indent=1, sort_keys=False) + "\n")
    return data


def carry_over(result, old: dict | None) -> None:
    """Keep an earlier --import/--parity result (and its findings and notes) while the file is
    unchanged."""
    from torch2ms.check.findings import Finding

    if not old or old.get("sha256") != result.sha256:
        return
    for key, attr in (("import", "import_result"), ("parity", "parity_result"), ("run", "run_result")):
        if getattr(result, attr) is None and old.get(key) is not None:
            setattr(result, attr, old[key])
            result.findings += [Finding(f["line"], f["code"], f["message"])
                                for f in old.get("findings", []) if f["code"] == key]
            result.notes += [n for n in old.get("notes", []) if n.startswith(f"{key}:")]
