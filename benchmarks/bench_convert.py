"""Convert the installed transformers `models/` tree; print lines/s next to libcst's parse-only
time and PaConvert's time for the same files in the same run, and the whole-tree proof.

    python benchmarks/bench_convert.py [--step N] [--jobs J] [--json FILE] [--paconvert CMD]
                                       [--baseline DIR]

Each file is parsed alone (parse-only) and converted (parse + name resolution + rules +
imports + code generation) in the same worker, so both figures see the same load. The
conversion pauses Python's cyclic garbage collector; the parse-only figure does not, so the
same parse with it paused, and the standard library's `ast.parse`, are printed beside it.
The proof per file (torch2ms.convert.proof): the output parses, a second conversion changes
nothing, no comment or statement is lost, every torch reference left carries a TODO marker.

PaConvert (`paconvert`, PyTorch to Paddle, itself an AST converter) converts a copy of the
same files after that, in one process, `--no_format`: its wall time and its own convert rate.
It is not a dependency of this project: install it into an environment of its own
(`python -m venv /tmp/pac && /tmp/pac/bin/pip install paconvert`) and pass
`--paconvert /tmp/pac/bin/paconvert`, or have `paconvert` on PATH; without it the line says so.

`--baseline DIR` times the conversion of the torch2ms package in DIR (an older commit's
`scripts/`) and this checkout's, one worker each running side by side on the same files, so a
speed-up is measured under one load (the outputs' equality is `convert_outputs.py compare`'s).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path


def measure(path: str):
    """The proof of one file, and in the same worker the references the conversion is held to:
    libcst's parse and the standard library's `ast.parse`, with the cyclic garbage collector
    paused (as the conversion runs it; the proof's parse-only time includes its collections)."""
    import ast
    import gc
    import warnings

    import libcst as cst

    from torch2ms.convert.proof import prove

    proof = prove(path)
    code = Path(path).read_text(encoding="utf-8")
    paused = parsed = 0.0
    gc.collect()  # what the proof left is not collected inside either figure
    gc.disable()
    try:
        start = time.perf_counter()
        cst.parse_module(code)
        paused = time.perf_counter() - start
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            ast.parse(code)
            parsed = time.perf_counter() - start
    except Exception:  # the proof reports a file that does not parse
        pass
    finally:
        gc.enable()
    return proof, paused, parsed


def _use_package(folder: str) -> None:
    """A worker's initializer: torch2ms imported from `folder` (an older version's scripts/)."""
    sys.path.insert(0, os.path.abspath(folder))
    for name in [m for m in sys.modules if m == "torch2ms" or m.startswith("torch2ms.")]:
        del sys.modules[name]


def convert_time(path: str) -> tuple[str, float]:
    """The time of one conversion of `path` (the file read before, the garbage of earlier files
    collected before), and which package converted it."""
    import gc

    import torch2ms
    from torch2ms.convert.engine import convert_source

    code = Path(path).read_text(encoding="utf-8")
    gc.collect()
    start = time.perf_counter()
    convert_source(code, path)
    return torch2ms.__file__, time.perf_counter() - start


def against(baseline: str, files: list[str]) -> str:
    """This checkout's conversion and the one of the package in `baseline`, one worker each,
    side by side on the same files in the same order (both see the same load)."""
    with ProcessPoolExecutor(max_workers=1) as ours, \
            ProcessPoolExecutor(max_workers=1, initializer=_use_package, initargs=(baseline,)) as theirs:
        a = ours.map(convert_time, files, chunksize=1)
        b = theirs.map(convert_time, files, chunksize=1)
        mine, old = list(a), list(b)
    here = sum(t for _, t in mine)
    there = sum(t for _, t in old)
    where = os.path.dirname(os.path.dirname(old[0][0])) if old else baseline
    return (f"{here:8.1f} s here, {there:.1f} s with {where} ({here / max(there, 1e-9):.2f}x; "
            "one worker each, side by side)")


def paconvert(command: str, root: Path, files: list[str]) -> str:
    """PaConvert's line: its wall time on a copy of `files` (one process, --no_format)."""
    with tempfile.TemporaryDirectory(prefix="bench_paconvert_") as tmp:
        src, out, log = Path(tmp, "in"), Path(tmp, "out"), Path(tmp, "log.txt")
        for f in files:
            target = src / Path(f).relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, target)
        start = time.perf_counter()
        proc = subprocess.run([command, "--in_dir", str(src), "--out_dir", str(out), "--no_format",
                               "--log_dir", str(log)],  # its log file
                              capture_output=True, text=True)
        wall = time.perf_counter() - start
        text = proc.stdout + proc.stderr
        if log.is_file():
            text += log.read_text(errors="replace")
    if proc.returncode != 0:
        return f"PaConvert failed (exit {proc.returncode}): {' '.join(text.split()[-20:])}"
    rate = re.findall(r"Convert Rate is:\s*([0-9.]+%)", text)
    return f"{wall:8.1f} s  (one process, --no_format; its convert rate {rate[-1] if rate else '?'})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--step", type=int, default=1, help="take every N-th file (default: all)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--json", metavar="FILE", help="also write every file's result as JSON")
    parser.add_argument("--paconvert", metavar="CMD", default=shutil.which("paconvert"),
                        help="PaConvert's command (default: paconvert on PATH)")
    parser.add_argument("--baseline", metavar="DIR",
                        help="also time the torch2ms package in DIR beside this one on the same files "
                             "(an older commit's scripts/: git archive <commit> scripts | tar -x -C D)")
    args = parser.parse_args()

    import transformers

    root = Path(transformers.__file__).parent / "models"
    files = sorted(str(p) for p in root.rglob("*.py"))[:: args.step]
    start = time.perf_counter()
    proofs, paused, ast_parse = [], 0.0, 0.0
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for i, (proof, p, a) in enumerate(pool.map(measure, files, chunksize=4), 1):
            proofs.append(proof)
            paused += p
            ast_parse += a
            if i % 100 == 0 or i == len(files):
                print(f"\r{i}/{len(files)} files", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    wall = time.perf_counter() - start

    lines = sum(p.lines for p in proofs)
    parse = sum(p.parse_seconds for p in proofs)
    convert = sum(p.convert_seconds for p in proofs)
    found = sum(p.found for p in proofs)
    converted = sum(p.converted for p in proofs)
    flagged = sum(p.flagged for p in proofs)
    errors = [p for p in proofs if p.error]
    print(f"transformers {transformers.__version__} models/: {len(files)} files, {lines} lines "
          f"({args.jobs} processes, wall {wall:.0f} s incl. the proof's second conversion)")
    print(f"parse only (libcst): {parse:8.1f} s  {lines / parse:8.0f} lines/s per process")
    print(f"  the same, gc paused: {paused:6.1f} s  (as the conversion runs); ast.parse {ast_parse:.1f} s")
    print(f"conversion:          {convert:8.1f} s  {lines / convert:8.0f} lines/s per process "
          f"= {convert / parse:.2f}x parse-only (target <= 2x), {convert / max(paused, 1e-9):.2f}x "
          "parse with gc paused")
    if args.paconvert:
        pac = paconvert(args.paconvert, root, files)
    else:
        pac = "not installed (no paconvert on PATH; --paconvert CMD to give one)"
    print(f"PaConvert:           {pac}")
    if args.baseline:
        print(f"against a baseline:  {against(args.baseline, files)}")
    print(f"torch call sites: found {found}, converted {converted} ({100 * converted / max(found, 1):.1f}%), "
          f"flagged {flagged} ({100 * flagged / max(found, 1):.1f}%)")
    print("proof: outputs parse {}/{}, idempotent {}/{}, comments kept {}/{}, statements kept "
          "{}/{}, torch references marked {}/{}".format(
              sum(p.parses and not p.error for p in proofs), len(proofs),
              sum(p.idempotent for p in proofs), len(proofs),
              sum(not p.lost_comments for p in proofs), len(proofs),
              sum(not p.lost_statements for p in proofs), len(proofs),
              sum(not p.unmarked for p in proofs), len(proofs)))
    for p in [p for p in proofs if not p.ok or p.error][:10]:
        print(f"  {p.path.split('models/')[-1]}: error={p.error} idempotent={p.idempotent} "
              f"lost={p.lost_comments[:2]} {p.lost_statements} unmarked lines={p.unmarked[:5]}")
    if args.json:
        Path(args.json).write_text(json.dumps([p.to_dict() for p in proofs], indent=1))
    return 0 if not errors and all(p.ok for p in proofs) else 1


if __name__ == "__main__":
    sys.exit(main())
