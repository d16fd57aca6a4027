"""Set `status:` of every mapping-table entry from a differential run (edits the YAML in place).

    python tests/convert/differential/update_statuses.py [--check]

An entry becomes `verified` when it has a non-null target, differential cases, and every case
passes without being listed in expected_failures.yaml (a case listed as `flagged` counts as
passing: it shows an unsupported argument being flagged); every other entry `unverified`.
Only `status:` lines change; comments and hand edits stay. `--check` only reports differences.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _harness():
    spec = importlib.util.spec_from_file_location("differential_harness", HERE / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def passing_apis() -> set[str]:
    import yaml

    from torch2ms import cpu_fallback

    harness = _harness()
    failures = yaml.safe_load(harness.EXPECTED_FAILURES.read_text(encoding="utf-8")) or {}
    ok: dict[str, bool] = {}
    with cpu_fallback.enabled():
        batch = harness.Batch(harness.CASES)
        for case in harness.CASES:
            try:
                harness.run_case(case, batch)
                passed = failures.get(case["id"], "flagged") == "flagged"
            except Exception:  # noqa: BLE001 (a failing case only makes its API unverified)
                passed = False
            ok[case["api"]] = ok.get(case["api"], True) and passed
    return {api for api, passed in ok.items() if passed}


def rewrite(path: Path, verified: set[str], table) -> int:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    changed, current = 0, None
    for i, line in enumerate(lines):
        key = re.match(r'^"?([A-Za-z_][\w.]*)"?:', line)
        if key:
            current = key.group(1)
        elif current and re.match(r"^  status: \w+", line):
            entry = table[current]
            status = "verified" if current in verified and entry.to is not None else "unverified"
            new = f"  status: {status}\n"
            if new != line:
                lines[i], changed = new, changed + 1
    path.write_text("".join(lines), encoding="utf-8")
    return changed


def main(argv: list[str]) -> int:
    from torch2ms.convert.mappings import TABLE_DIR, load_tables

    table = load_tables(TABLE_DIR)
    verified = passing_apis()
    if "--check" in argv:
        stale = sorted(n for n, e in table.items()
                       if (e.status == "verified") != (n in verified and e.to is not None))
        print("\n".join(stale) or "statuses match the differential run")
        return 1 if stale else 0
    total = sum(rewrite(path, verified, table) for path in sorted(TABLE_DIR.glob("*.yaml")))
    table = load_tables(TABLE_DIR)
    print(f"{total} statuses changed; {sum(e.status == 'verified' for e in table.values())} verified "
          f"of {sum(e.to is not None for e in table.values())} mapped ({len(table)} entries)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
