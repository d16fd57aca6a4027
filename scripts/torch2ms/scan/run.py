"""One scan of an input folder: find the files, analyse them (in parallel when there are many),
and turn the facts into tracker entries."""

from __future__ import annotations

import gc
import multiprocessing
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from torch2ms.scan.cache import ScanCache
from torch2ms.scan.config import ScanConfig
from torch2ms.scan.detect import analyse_file
from torch2ms.scan.project import build_entries
from torch2ms.scan.walk import find_sources

# Below this many files a worker pool costs more than it saves.
PARALLEL_FROM = 200

_config: ScanConfig | None = None


@dataclass
class ScanResult:
    input_dir: Path
    entries: list
    other_files: list
    warnings: list
    existing: list = field(default_factory=list)  # every source file found, listed or not
    files: int = 0
    analysed: int = 0  # files read and parsed this time (the others came from the cache)
    lines: int = 0
    seconds: float = 0.0


def _init(config: ScanConfig) -> None:
    global _config
    _config = config
    gc.disable()  # short-lived workers: syntax trees hold no cycles, collection only costs time


def _analyse_all(sources: list, config: ScanConfig, jobs: int | None) -> list:
    jobs = jobs or os.cpu_count() or 1
    if jobs > 1 and len(sources) >= PARALLEL_FROM:
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        with multiprocessing.get_context(method).Pool(jobs, _init, (config,)) as pool:
            return pool.map(_analyse, sources, chunksize=max(1, len(sources) // (jobs * 8)))
    enabled = gc.isenabled()
    gc.disable()
    try:
        return [analyse_file(a, r, config) for a, r in sources]
    finally:
        if enabled:
            gc.enable()


def _analyse(item):
    return analyse_file(item[0], item[1], _config)


def scan_folder(input_dir: Path, outputs_dir: Path, config: ScanConfig, skip=(), jobs: int | None = None,
                cache: ScanCache | None = None) -> ScanResult:
    start = time.perf_counter()
    sources, warnings = find_sources(input_dir, skip=skip)
    found: dict = {}
    stamps: dict = {}
    todo = []
    for item in sources:
        hit, stamps[item[1]] = cache.get(*item) if cache else (None, None)
        if hit is not None:
            found[item[1]] = hit
        else:
            todo.append(item)
    for f in _analyse_all(todo, config, jobs):
        found[f.path] = f
    facts = [found[r] for _, r in sources]
    if cache is not None:
        for f in facts:
            cache.put(f.path, stamps[f.path], f)
        cache.save()
    entries, others, file_warnings = build_entries(facts, outputs_dir)
    return ScanResult(
        input_dir=input_dir, entries=entries, other_files=others, warnings=warnings + file_warnings,
        existing=[r for _, r in sources], files=len(sources), analysed=len(todo), lines=sum(f.lines for f in facts),
        seconds=time.perf_counter() - start,
    )
