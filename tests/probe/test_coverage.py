"""Coverage of the mint APIs mindone 0.5.0 calls: native, fallback, uncovered, not an API."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def rows():
    from torch2ms.cpu_fallback import coverage

    return coverage.classify_rows()


def test_every_row_is_classified(rows):
    from torch2ms.cpu_fallback import coverage

    assert len(rows) == len(coverage.mindone_rows()) > 250
    assert all(r["category"] in coverage.CATEGORIES for r in rows)
    unexplained = [r["api"] for r in rows if r.get("why") == "does not resolve and has no note"]
    assert not unexplained, f"rows that neither resolve nor have a note: {unexplained}"


def test_only_absent_apis_and_collectives_stay_uncovered(rows):
    """The coverage target: everything real either runs natively or has a tested fallback."""
    left = [r for r in rows if r["category"] == "uncovered"
            and r.get("why") != "absent in this MindSpore version"
            and not r["api"].startswith("mint.distributed.")]
    assert not left, "uncovered: " + ", ".join(f"{r['api']} ({r.get('why')})" for r in left)


def test_counts_are_printed(rows, capsys):
    from torch2ms.cpu_fallback import coverage

    assert coverage.main([]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    c = coverage.counts(rows)
    assert f"native {c['native']}, fallback {c['fallback']}" in line
    assert c["native"] > 100 and c["fallback"] > 100
