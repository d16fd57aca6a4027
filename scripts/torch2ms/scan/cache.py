"""Per-file scan results kept between scans, so a re-scan only reads what changed.

Stored as JSON in the workspace's state folder. An entry is reused only when the file's size,
modification time and inode are the same and the scan itself (its code and its lists,
including the user's additions) has not changed since.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path

from torch2ms.scan.detect import Facts

HERE = Path(__file__).parent
FILE_NAME = "scan-cache.json"


def fingerprint(config) -> str:
    """Changes whenever the detection code or any list it uses changes."""
    lists = {f.name: sorted(v) if isinstance(v, frozenset) else v
             for f in dataclasses.fields(config) for v in [getattr(config, f.name)]}
    h = hashlib.sha256(json.dumps(lists, sort_keys=True).encode())  # sets sorted: str hashes vary per run
    for name in sorted(os.listdir(HERE)):
        if name.endswith((".py", ".yaml")):
            h.update((HERE / name).read_bytes())
    return h.hexdigest()[:16]


def _stamp(path: str):
    st = os.stat(path)
    return [st.st_size, st.st_mtime_ns, st.st_ino]


class ScanCache:
    def __init__(self, path: Path, config):
        self.path = path
        self.key = fingerprint(config)
        self.old: dict = {}
        self.new: dict = {}
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("fingerprint") == self.key:
                self.old = data.get("files", {})
        except (OSError, ValueError, AttributeError):
            pass  # no cache, or a damaged one: scan everything

    def get(self, abs_path: str, rel: str):
        """(cached Facts or None, the file's stamp)."""
        try:
            stamp = _stamp(abs_path)
        except OSError:
            return None, None
        hit = self.old.get(rel)
        if hit and hit[0] == stamp:
            d = dict(hit[1])
            d["imports"] = [(m, lvl, tuple(names)) for m, lvl, names in d["imports"]]
            return Facts(**d), stamp
        return None, stamp

    def put(self, rel: str, stamp, facts: Facts) -> None:
        if stamp is not None and not facts.skipped:  # an unreadable file may be readable next time
            self.new[rel] = [stamp, dataclasses.asdict(facts)]

    def save(self) -> None:
        """Best effort: a cache that cannot be written only makes the next scan slower."""
        from torch2ms.fsio import write_atomic

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self.path, json.dumps({"fingerprint": self.key, "files": self.new}))
        except OSError:
            pass
