"""Scan speed on a large real tree: the `models/` folder of the installed transformers.

    .venv/bin/python benchmarks/bench_scan.py [--path DIR] [--repeat 3] [--jobs N]

Runs the whole `torch2ms scan` (walk, parse, categorise, local imports, tracker and scan.json
written) into a fresh temporary workspace and prints files/s, lines/s, wall and CPU time per
run, then the best and the median; then the same scan again (unchanged files come from the
cache). Beside them, in the same run, the references: the time to read every file, and the
time `ast.parse` alone takes on every file (one process, the scan's floor: it parses each file
once). The target is under 2 s wall on 2 cores, cold. transformers is located without being
imported.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path


def transformers_models() -> Path:
    spec = importlib.util.find_spec("transformers")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("bench_scan: transformers is not installed here; pass --path DIR")
    return Path(list(spec.submodule_search_locations)[0]) / "models"


def _cpu() -> tuple:
    """User + system seconds of this process, and of its finished children (the scan's workers)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime


def _references(target: Path) -> tuple:
    """(seconds to read every .py file, CPU seconds of ast.parse on each), cold for reading only
    in the sense that the scan above already read them: both figures are of this run."""
    import ast
    import gc

    files = sorted(target.rglob("*.py"))
    start = time.perf_counter()
    texts = [f.read_bytes() for f in files]
    read_s = time.perf_counter() - start
    enabled = gc.isenabled()
    gc.disable()  # as the scan's workers do
    start = time.process_time()
    for data in texts:
        try:
            ast.parse(data)
        except (SyntaxError, ValueError):
            pass
    parse_s = time.process_time() - start
    if enabled:
        gc.enable()
    return read_s, parse_s


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--path", type=Path, default=None, help="folder to scan (default: transformers/models)")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--jobs", type=int, default=None, help="worker processes (default: one per core)")
    args = p.parse_args()
    target = args.path or transformers_models()

    from torch2ms.cli import main as torch2ms

    walls, cpus, warms, idle = [], [], [], []
    for i in range(args.repeat):
        with tempfile.TemporaryDirectory() as ws:
            argv = ["scan", str(target), "--workspace", ws] + (["--jobs", str(args.jobs)] if args.jobs else [])
            cpu0 = _cpu()
            start = time.perf_counter()
            with open(os.devnull, "w") as devnull:
                saved, sys.stdout = sys.stdout, devnull
                try:
                    code = torch2ms(argv)
                finally:
                    sys.stdout = saved
            wall = time.perf_counter() - start
            cpu1 = _cpu()
            parent, workers = cpu1[0] - cpu0[0], cpu1[1] - cpu0[1]
            cpu = parent + workers
            # what the wall time would be with every core free: the parent's own work plus the
            # workers' work shared out (an estimate, printed as such)
            idle.append(parent + workers / (args.jobs or os.cpu_count() or 1) if workers else cpu)
            if code != 0:
                print(f"bench_scan: torch2ms scan exited with {code}", file=sys.stderr)
                return code
            data = json.loads((Path(ws) / ".torch2ms" / "scan.json").read_text())
            # the same scan again: unchanged files come from the cache
            warm_start = time.perf_counter()
            with open(os.devnull, "w") as devnull:
                saved, sys.stdout = sys.stdout, devnull
                try:
                    torch2ms(argv)
                finally:
                    sys.stdout = saved
            warms.append(time.perf_counter() - warm_start)
        files, lines = data["stats"]["files_scanned"], data["stats"]["lines"]
        walls.append(wall)
        cpus.append(cpu)
        print(f"run {i + 1}: {files} files, {lines} lines, {data['counts']['listed']} listed, "
              f"{wall:.2f} s wall, {files / wall:,.0f} files/s, {lines / wall:,.0f} lines/s, "
              f"{cpu:.2f} s CPU (all processes), about {idle[-1]:.2f} s wall on idle cores; "
              f"re-scan {warms[-1]:.2f} s")
    read_s, parse_s = _references(target)
    best, median = min(walls), statistics.median(walls)
    print(f"{target}")
    load = os.getloadavg()[0]
    print(f"load average while running: {load:.1f} (other work on the machine inflates wall time; "
          f"CPU time does not depend on it much): median CPU {statistics.median(cpus):.2f} s, "
          f"estimated wall on idle cores {statistics.median(idle):.2f} s")
    print(f"references in this run: reading the files {read_s:.2f} s; ast.parse of every file "
          f"{parse_s:.2f} s CPU in one process ({parse_s / (args.jobs or os.cpu_count() or 1):.2f} s "
          f"shared over the cores)")
    print(f"best {best:.2f} s ({lines / best:,.0f} lines/s), median {median:.2f} s "
          f"({median / read_s:.0f}x reading, {median / parse_s:.2f}x one-process parse) "
          f"on {os.cpu_count()} cores; target < 2 s: {'met' if median < 2 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
