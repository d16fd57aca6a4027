"""Error figures and the per-dtype tolerance verdict."""

import numpy as np
import pytest

from torch2ms.parity.metrics import compare_leaf, default_tolerances, resolve_tolerances
from torch2ms.parity.values import Leaf

TABLE = resolve_tolerances()


def leaf(values, dtype):
    return Leaf(np.asarray(values, dtype=np.float32 if dtype == "bfloat16" else dtype), dtype)


def perturbed(rel, dtype, n=64):
    """A reference of ~unit values and a copy with a relative error `rel` on every element."""
    ref = np.random.default_rng(0).uniform(0.5, 1.5, n)
    return leaf(ref, dtype), leaf(ref * (1 + rel), dtype)


@pytest.mark.parametrize(
    "dtype, rel, ok",
    [
        ("float32", 1e-7, True),
        ("float32", 1e-3, False),
        ("float16", 1e-3, True),  # fp16 rounding error: accepted for fp16 ...
        ("float16", 3e-2, False),
        ("bfloat16", 1e-2, True),  # ... and a bf16-sized one for bf16
        ("bfloat16", 1e-1, False),
        ("float64", 1e-12, True),
        ("float64", 1e-7, False),
    ],
)
def test_tolerance_depends_on_the_reference_dtype(dtype, rel, ok):
    ref, got = perturbed(rel, dtype)
    result = compare_leaf("y", ref, got, TABLE)
    assert result.ok is ok, result.line()
    assert result.rel_fro == pytest.approx(rel, rel=0.2)
    assert result.atol == default_tolerances()[dtype]["atol"]


def test_figures_are_max_abs_and_relative_frobenius():
    ref, got = leaf([3.0, 4.0], "float32"), leaf([3.0, 4.5], "float32")
    result = compare_leaf("y", ref, got, TABLE)
    assert result.max_abs == pytest.approx(0.5)
    assert result.rel_fro == pytest.approx(0.5 / 5.0)
    assert not result.ok and "max abs err 0.5" in result.line()


def test_overrides_per_dtype_and_globally():
    ref, got = perturbed(1e-3, "float32")
    assert compare_leaf("y", ref, got, resolve_tolerances({"float32": {"rtol": 1e-2}})).ok
    assert compare_leaf("y", ref, got, resolve_tolerances(atol=1, rtol=1e-2)).ok
    assert not compare_leaf("y", ref, got, resolve_tolerances({"float16": {"rtol": 1e-2}})).ok


def test_values_that_vanish_up_to_rounding_pass_on_the_absolute_floor():
    # an analytically zero gradient: both sides are rounding noise, the relative error is huge
    ref, got = leaf([1e-9, -2e-9, 0.0], "float32"), leaf([-3e-8, 1e-8, 2e-8], "float32")
    result = compare_leaf("g", ref, got, TABLE)
    assert result.rel_fro > 1 and result.ok


def test_integers_must_be_equal():
    ref = leaf([1, 2, 3], "int64")
    assert compare_leaf("i", ref, leaf([1, 2, 3], "int64"), TABLE).ok
    result = compare_leaf("i", ref, leaf([1, 5, 3], "int64"), TABLE)
    assert not result.ok and "1 elements differ" in result.line()


@pytest.mark.parametrize(
    "got, problem",
    [
        (leaf([1.0, 2.0, 3.0], "float32"), "shape"),
        (leaf([[1.0, 2.0]], "float16"), "dtype"),
        (leaf([[1.0, np.nan]], "float32"), "NaN"),
        (None, "missing in mindspore"),
    ],
)
def test_structural_differences_fail_with_their_reason(got, problem):
    result = compare_leaf("y", leaf([[1.0, 2.0]], "float32"), got, TABLE)
    assert not result.ok and problem in result.problem


def test_nan_at_the_same_places_and_equal_infinities_agree():
    values = [1.0, np.nan, np.inf]
    assert compare_leaf("y", leaf(values, "float32"), leaf(values, "float32"), TABLE).ok


def test_dtype_check_can_be_turned_off():
    assert compare_leaf("y", leaf([1.0], "float32"), leaf([1.0], "float64"), TABLE, check_dtype=False).ok
