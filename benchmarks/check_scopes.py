"""Compare the converter's name resolution (torch2ms.convert.scopes) with libcst's ScopeProvider
on real files: every Name and Attribute, every scope (scopes.differences).

    python benchmarks/check_scopes.py [--step N] [--jobs J] [FILE_OR_FOLDER ...]

Without paths: every N-th file (default 1: all) of the installed transformers `models/`, the
examples and the ecosystem corpus (read from the fetched mirror). Prints the files with a
difference (and the first ones), the files the walk leaves to the ScopeProvider (fallback) and
the names compared; exits 1 on any difference.
"""

from __future__ import annotations

import argparse
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def _check(item: tuple[str, str]) -> tuple[str, str, list[str], int]:
    name, code = item
    import libcst as cst

    from torch2ms.convert import scopes

    try:
        module = cst.parse_module(code)
    except cst.ParserSyntaxError:
        return name, "unparsable", [], 0
    names = scopes.resolve(module)
    if type(names) is scopes.LibcstNames:
        return name, "fallback", [], 0
    found = scopes.differences(module, names)
    return name, "differs" if found else "same", found, len(names._scope_of)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*")
    parser.add_argument("--step", type=int, default=1)
    parser.add_argument("--mirror", default="/work/.mirror")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    if args.paths:
        files = {}
        for p in map(Path, args.paths):
            for f in ([p] if p.is_file() else sorted(p.rglob("*.py"))):
                files[str(f)] = f.read_text(encoding="utf-8")
    else:
        from convert_outputs import sources

        files, _ = sources(args.step, Path(args.mirror))
    counts: dict[str, int] = {}
    compared = 0
    bad = []
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for i, (name, verdict, found, n) in enumerate(pool.map(_check, files.items(), chunksize=4), 1):
            counts[verdict] = counts.get(verdict, 0) + 1
            compared += n
            if verdict == "differs":
                bad.append((name, found))
            if verdict == "fallback":
                print(f"fallback: {name}", flush=True)
            if i % 50 == 0 or i == len(files):
                print(f"\r{i}/{len(files)} files", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    for name, found in bad[:20]:
        print(f"{name}:")
        for line in found[:5]:
            print(f"    {line}")
    print(f"{len(files)} files: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
          + f"; {compared} names and attributes compared")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
