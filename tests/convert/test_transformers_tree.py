"""The whole-tree proof on a fixed sample of the installed transformers `models/` tree.

Every 40th file in path order (49 of 1,957 files with transformers 4.57.1, about 26k lines),
converted in two processes: the output parses, converting it again changes nothing, no comment
or statement is lost, and every torch reference left carries a TODO marker (checked with `ast`, independent
of the engine). The full tree runs in benchmarks/bench_convert.py.
"""

import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
import transformers

from torch2ms.convert.proof import prove

STEP = 40
MIN_SHARE = 0.80  # share of torch call sites converted on this sample (0.85 when written)


@pytest.fixture(scope="module")
def proofs():
    root = Path(transformers.__file__).parent / "models"
    files = sorted(str(p) for p in root.rglob("*.py"))[::STEP]
    assert len(files) >= 40
    with ProcessPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        return list(pool.map(prove, files, chunksize=2))


def _fails(proofs, what):
    return [p.path.split("models/")[-1] for p in proofs if what(p)]


def test_outputs_parse(proofs):
    assert not _fails(proofs, lambda p: p.error or not p.parses)


def test_conversion_is_idempotent(proofs):
    assert not _fails(proofs, lambda p: not p.idempotent)


def test_no_comment_is_lost(proofs):
    assert not [(p.path, p.lost_comments) for p in proofs if p.lost_comments]


def test_no_statement_is_lost(proofs):
    assert not [(p.path, p.lost_statements) for p in proofs if p.lost_statements]


def test_every_torch_reference_left_is_marked(proofs):
    assert not [(p.path, p.unmarked[:5]) for p in proofs if p.unmarked]


def test_share_of_call_sites_converted(proofs):
    found = sum(p.found for p in proofs)
    converted = sum(p.converted for p in proofs)
    assert found > 500
    assert converted / found >= MIN_SHARE, f"{converted}/{found}"
