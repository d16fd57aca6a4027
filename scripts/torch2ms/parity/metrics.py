"""Comparing two leaves: error figures and the per-dtype tolerance verdict."""

from __future__ import annotations

import dataclasses
import functools
from importlib import resources

import numpy as np
import yaml

from torch2ms.parity.values import Leaf, display_path

FLOAT_DTYPES = ("float64", "float32", "float16", "bfloat16")


@functools.lru_cache(maxsize=1)
def default_tolerances() -> dict[str, dict[str, float]]:
    text = resources.files("torch2ms.parity").joinpath("tolerances.yaml").read_text()
    return {k: {"atol": float(v["atol"]), "rtol": float(v["rtol"])} for k, v in yaml.safe_load(text).items()}


def resolve_tolerances(tolerances=None, atol: float | None = None, rtol: float | None = None):
    """The per-dtype table: defaults, updated by `tolerances` ({dtype: {atol, rtol}}), then by
    atol/rtol applied to every floating dtype."""
    table = {k: dict(v) for k, v in default_tolerances().items()}
    for dtype, tol in (tolerances or {}).items():
        table.setdefault(dtype, {}).update({k: float(v) for k, v in tol.items()})
    for key, value in (("atol", atol), ("rtol", rtol)):
        if value is not None:
            for tol in table.values():
                tol[key] = float(value)
    return table


@dataclasses.dataclass
class LeafResult:
    """The verdict for one compared value."""

    path: str
    ok: bool
    problem: str = ""  # empty when ok; "values", "shape", "dtype", "missing in mindspore", ...
    dtype: str = ""
    shape: tuple = ()
    max_abs: float = 0.0
    rel_fro: float = 0.0
    atol: float = 0.0
    rtol: float = 0.0

    def line(self) -> str:
        mark = "ok  " if self.ok else "FAIL"
        name = display_path(self.path)
        if self.problem and self.problem != "values":
            return f"{mark} {name}: {self.problem}"
        if self.dtype in FLOAT_DTYPES:
            return (
                f"{mark} {name} {self.dtype}{list(self.shape)}: max abs err {self.max_abs:.3g}, "
                f"rel fro err {self.rel_fro:.3g} (atol {self.atol:g}, rtol {self.rtol:g})"
            )
        return f"{mark} {name} {self.dtype}{list(self.shape)}: {int(self.max_abs)} elements differ"

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def compare_leaf(path: str, ref: Leaf | None, got: Leaf | None, table, check_dtype: bool = True) -> LeafResult:
    """Compare a MindSpore leaf (`got`) with the torch reference leaf (`ref`)."""
    if ref is None or got is None:
        side = "mindspore" if got is None else "torch"
        return LeafResult(path, False, f"missing in {side}")
    if not ref.is_tensor or not got.is_tensor:
        if ref.is_tensor != got.is_tensor:
            return LeafResult(path, False, f"type: torch {ref.dtype}, mindspore {got.dtype}")
        if not (ref.comparable and got.comparable):
            return LeafResult(path, True, f"not compared ({ref.dtype} / {got.dtype})", ref.dtype)
        same = ref.value == got.value
        return LeafResult(path, bool(same), "" if same else f"value {got.value!r} != {ref.value!r}", ref.dtype)
    a, b = np.asarray(got.value), np.asarray(ref.value)
    result = LeafResult(path, True, dtype=ref.dtype, shape=tuple(b.shape))
    if a.shape != b.shape:
        result.ok, result.problem = False, f"shape: torch {list(b.shape)}, mindspore {list(a.shape)}"
        return result
    if check_dtype and got.dtype != ref.dtype:
        result.ok, result.problem = False, f"dtype: torch {ref.dtype}, mindspore {got.dtype}"
        return result
    if ref.dtype not in FLOAT_DTYPES:
        diff = int(np.count_nonzero(a != b))
        result.max_abs = float(diff)
        result.ok, result.problem = bool(diff == 0), "" if diff == 0 else "values"
        return result
    tol = table.get(ref.dtype, table["float32"])
    result.atol, result.rtol = tol["atol"], tol["rtol"]
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    nan_a, nan_b = np.isnan(a64), np.isnan(b64)
    if (nan_a != nan_b).any():
        result.ok, result.problem = False, f"NaN at {int((nan_a != nan_b).sum())} positions on one side only"
        return result
    a64, b64 = np.where(nan_a, 0.0, a64), np.where(nan_b, 0.0, b64)
    if a64.size == 0:
        return result
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(a64 - b64)
        diff = np.where(a64 == b64, 0.0, diff)  # equal infinities
    result.max_abs = float(diff.max())
    finite = b64[np.isfinite(b64)]
    ref_norm, diff_norm = float(np.linalg.norm(finite)), float(np.linalg.norm(diff))
    result.rel_fro = 0.0 if diff_norm == 0 else (diff_norm / ref_norm if ref_norm > 0 else float("inf"))
    ref_max = float(np.abs(finite).max()) if finite.size else 0.0
    # the Frobenius form of allclose: the atol floor keeps values that are zero up to rounding
    # (a gradient that vanishes analytically) from failing on their relative error alone
    within = (
        result.max_abs <= tol["atol"] + tol["rtol"] * ref_max
        and diff_norm <= tol["rtol"] * ref_norm + tol["atol"] * np.sqrt(diff.size)
    )
    result.ok, result.problem = bool(within), "" if within else "values"
    return result


def compare_leaves(ref: dict[str, Leaf], got: dict[str, Leaf], table, check_dtype=True) -> list[LeafResult]:
    """Compare two flattened structures path by path (torch order, then paths only in MindSpore)."""
    paths = list(ref) + [p for p in got if p not in ref]
    return [compare_leaf(p, ref.get(p), got.get(p), table, check_dtype) for p in paths]
