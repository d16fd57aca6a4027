"""How far the CPU fallback covers the mint APIs that mindone 0.5.0 calls.

Each row of mindone_mint_apis.yaml is one of: native (runs on CPU as is, per capability.yaml),
fallback (does not run natively; a tested fallback makes it run), uncovered (neither; absent
APIs are listed apart), not_an_api (typos, dtype names, modules, methods; see
mindone_api_notes.yaml). Run: python -m torch2ms.cpu_fallback.coverage [--list]
"""

from __future__ import annotations

import argparse
import inspect
import types
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
CATEGORIES = ("native", "fallback", "uncovered", "not_an_api")


def _load(name):
    return yaml.safe_load((HERE / name).read_text())


def mindone_rows() -> list[tuple[str, int]]:
    return [(str(name), int(calls)) for name, calls in _load("mindone_mint_apis.yaml").items()]


def _resolve(name: str):
    import mindspore

    obj = mindspore
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def classify_rows() -> list[dict]:
    from torch2ms import probe
    from torch2ms.cpu_fallback import _patcher, replacement_table

    notes = _load("mindone_api_notes.yaml")
    capability = _load("capability.yaml")["apis"]
    table = replacement_table()
    tested_layers = set(notes["layers_through_functions"])
    by_identity: dict[int, str] = {}
    for api in capability:
        try:
            by_identity.setdefault(id(probe.resolve(api)), api)
        except AttributeError:
            pass
    replaced_ids = {id(_patcher.resolve(api)[2]) for api in table}

    rows = []
    for name, calls in mindone_rows():
        row = {"api": name, "calls": calls}
        if name in notes["not_apis"]:
            row.update(category="not_an_api", why=notes["not_apis"][name])
        elif name in notes["absent"]:
            row.update(category="uncovered", why="absent in this MindSpore version")
        else:
            try:
                obj = _resolve(name)
            except AttributeError:
                row.update(category="uncovered", why="does not resolve and has no note")
                rows.append(row)
                continue
            if isinstance(obj, types.ModuleType) or not callable(obj):
                row.update(category="not_an_api", why=f"a {type(obj).__name__}, not an op")
                rows.append(row)
                continue
            entry_name = name if name in capability else by_identity.get(id(obj))
            entry = capability.get(entry_name, {}) if entry_name else {}
            status = entry.get("status")
            if status == "runs":
                row.update(category="native")
            elif entry.get("with_fallback") == "runs" and (
                    id(obj) in replaced_ids or f"{entry_name}.construct" in table or entry_name in tested_layers):
                row.update(category="fallback", why=f"natively: {status}")
            elif entry.get("with_fallback") == "runs":
                row.update(category="uncovered", why="runs with the fallback, but no direct test")
            else:
                row.update(category="uncovered",
                           why=f"natively: {status or 'not probed'}; with fallback: {entry.get('with_fallback', '-')}")
            if entry_name and entry_name != name:
                row["probed_as"] = entry_name
        rows.append(row)
    return rows


def counts(rows) -> dict:
    out = {c: sum(1 for r in rows if r["category"] == c) for c in CATEGORIES}
    out["call_sites"] = {c: sum(r["calls"] for r in rows if r["category"] == c) for c in CATEGORIES}
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m torch2ms.cpu_fallback.coverage", description=__doc__)
    parser.add_argument("--list", action="store_true", help="print every row with its category")
    args = parser.parse_args(argv)
    rows = classify_rows()
    if args.list:
        for r in rows:
            print(f"{r['category']:<11} {r['api']:<52} {r['calls']:>5}  {r.get('why', '')}")
    c = counts(rows)
    total = len(rows)
    print(f"{total} mint names used by mindone 0.5.0: "
          + ", ".join(f"{k} {c[k]}" for k in CATEGORIES)
          + " | call sites: " + ", ".join(f"{k} {v}" for k, v in c["call_sites"].items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
