"""Record what `torch2ms convert` makes of a fixed set of files, or compare with a record.

    python benchmarks/convert_outputs.py record FILE [--step N] [--convert-with DIR]
    python benchmarks/convert_outputs.py compare FILE [--step N] [--convert-with DIR]

The set: every N-th file of the installed transformers `models/` (default 10, the benchmark's
tree; `--step 1` takes all of them), every Python file under `examples/` (the demo project
included), and the ecosystem corpus (`benchmarks/ecosystem_corpus/`, read from the fetched
mirror; files not fetched are skipped and counted). For each file the record holds the
converted code, the edits, the flags, the call-site counts and the error, so that a change
meant to keep the converter's behaviour (a speed-up) can be checked byte for byte: `compare`
prints each file whose result differs, and the first lines of the difference, and exits 1.

`--convert-with DIR` converts with the torch2ms package found in DIR (for example the
`scripts/` folder of an older commit: `git archive <commit> scripts | tar -x -C /tmp/base`).
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import yaml

from bench_ecosystem import _git_show  # the corpus files, read from the fetched mirror

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def sources(step: int, mirror: Path) -> tuple[dict[str, str], list[str]]:
    """name -> source text of every file of the set, and the corpus files not fetched."""
    import transformers

    out: dict[str, str] = {}
    root = Path(transformers.__file__).parent / "models"
    for p in sorted(root.rglob("*.py"))[::step]:
        out[f"transformers/{p.relative_to(root)}"] = p.read_text(encoding="utf-8")
    for p in sorted((REPO / "examples").rglob("*.py")):
        out[f"examples/{p.relative_to(REPO / 'examples')}"] = p.read_text(encoding="utf-8")
    missing = []
    for corpus in sorted((HERE / "ecosystem_corpus").glob("*.yaml")):
        for e in yaml.safe_load(corpus.read_text(encoding="utf-8")) or []:
            name = f"corpus/{e['repo']}/{e['path']}"
            text = _git_show(mirror, e["repo"], e["commit"], e["path"])
            if text is None:
                missing.append(name)
            else:
                out[name] = text
    return out, missing


def _result(item: tuple[str, str]) -> tuple[str, dict]:
    name, code = item
    from torch2ms.convert.engine import convert_source

    r = convert_source(code, name)
    return name, {"code": r.code, "error": r.error, "counts": [r.found, r.converted, r.flagged],
                  "edits": [str(e) for e in r.edits], "flags": [str(f) for f in r.flags]}


def results(files: dict[str, str], jobs: int, convert_with: str | None) -> dict[str, dict]:
    if convert_with:
        # the workers import the package found there, not this checkout's
        os.environ["PYTHONPATH"] = os.path.abspath(convert_with)
        sys.path.insert(0, os.path.abspath(convert_with))
        for mod in [m for m in sys.modules if m == "torch2ms" or m.startswith("torch2ms.")]:
            del sys.modules[mod]
    out = {}
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for i, (name, res) in enumerate(pool.map(_result, files.items(), chunksize=2), 1):
            out[name] = res
            if i % 20 == 0 or i == len(files):
                print(f"\r{i}/{len(files)} files", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return out


def compare(old: dict[str, dict], new: dict[str, dict]) -> list[str]:
    report = []
    for name in sorted(set(old) | set(new)):
        if name not in old or name not in new:
            report.append(f"{name}: only in the {'record' if name in old else 'new run'}")
            continue
        a, b = old[name], new[name]
        for key in ("error", "counts", "edits", "flags", "code"):
            if a[key] == b[key]:
                continue
            if key == "code":
                diff = difflib.unified_diff(a["code"].splitlines(), b["code"].splitlines(),
                                            "record", "now", lineterm="", n=1)
                detail = "\n    ".join(list(diff)[:12])
            elif isinstance(a[key], list) and key != "counts":
                gone = [x for x in a[key] if x not in b[key]][:3]
                added = [x for x in b[key] if x not in a[key]][:3]
                detail = f"-{gone} +{added}" if gone or added else "same items, another order"
            else:
                detail = f"{a[key]} -> {b[key]}"
            report.append(f"{name}: {key} differs: {detail}")
    return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("record", "compare"))
    parser.add_argument("file", help="the record (JSON)")
    parser.add_argument("--step", type=int, default=10, help="every N-th transformers model file")
    parser.add_argument("--mirror", default="/work/.mirror", help="folder of fetched repositories")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--convert-with", metavar="DIR",
                        help="convert with the torch2ms package in DIR (an older version's scripts/)")
    args = parser.parse_args(argv)
    files, missing = sources(args.step, Path(args.mirror))
    print(f"{len(files)} files ({len(missing)} corpus files not fetched, skipped)", file=sys.stderr)
    new = results(files, args.jobs, args.convert_with)
    path = Path(args.file)
    if args.action == "record":
        path.write_text(json.dumps(new, indent=0, sort_keys=True), encoding="utf-8")
        print(f"recorded {len(new)} files in {path}")
        return 0
    old = json.loads(path.read_text(encoding="utf-8"))
    report = compare(old, new)
    for line in report:
        print(line)
    print(f"{len(new)} files compared with {path}: {len(report)} difference(s)")
    return 1 if report else 0


if __name__ == "__main__":
    sys.exit(main())
