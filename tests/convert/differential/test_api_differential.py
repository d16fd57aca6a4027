"""Differential tests of the mapping table, one per call form: torch vs converted MindSpore code.

The cases come from `cases/*.yaml` (parametrized by conftest.py, which also holds the harness):
each is run with torch, converted by the engine, run with MindSpore (the CPU fallback on), and
the results are compared in value, shape and dtype.
"""

from __future__ import annotations


def test_api(case, differential_batch, run_differential):
    run_differential(case, differential_batch)
