"""Forward parity: the same weights and inputs through a torch module and its MindSpore port."""

from __future__ import annotations

import dataclasses

from torch2ms.parity.localise import Divergence, first_divergence, record_ms, record_torch
from torch2ms.parity.metrics import LeafResult, compare_leaves, resolve_tolerances
from torch2ms.parity.values import flatten, select, split_inputs, to_framework
from torch2ms.parity.weights import TransferReport, transfer_weights


# a verdict whose compared values are all exactly 0 on both sides (a fresh model whose output
# layer starts at zero) matches whatever the port computes before that layer
TRIVIAL = "a trivial match: nothing non-zero was compared"


def nothing_nonzero(values) -> bool:
    """Whether the numbers among `values` (arrays, scalars) are all exactly 0, and there are some."""
    import numpy as np

    seen = False
    for value in values:
        if isinstance(value, bool) or value is None or isinstance(value, str):
            continue
        try:
            array = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            continue
        if array.size:
            if np.any(array != 0):
                return False
            seen = True
    return seen


@dataclasses.dataclass
class ParityReport:
    mode: str  # "forward" or "train-step"
    results: list[LeafResult]
    weights: TransferReport | None = None
    divergence: Divergence | None = None
    localise_note: str = ""
    extra: dict = dataclasses.field(default_factory=dict)
    trivial: bool = False  # every compared value is exactly 0 on both sides

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results) and bool(self.results)

    @property
    def failures(self) -> list[LeafResult]:
        return [r for r in self.results if not r.ok]

    def result(self, path: str) -> LeafResult:
        for r in self.results:
            if r.path == path:
                return r
        raise KeyError(path)

    def summary(self, max_lines: int = 40) -> str:
        failed = self.failures
        head = "MATCH" if self.ok else "MISMATCH"
        warning = f"; warning: {TRIVIAL}" if self.ok and self.trivial else ""
        lines = [f"parity ({self.mode}): {head}, {len(self.results) - len(failed)}/{len(self.results)} values "
                 f"within tolerance{warning}"]
        if not self.results:
            lines.append("nothing was compared (no output selected)")
        if self.weights is not None:
            lines.append("weights: " + self.weights.summary().replace("\n", "\n  "))
        shown = failed + [r for r in self.results if r.ok]
        lines += [r.line() for r in shown[:max_lines]]
        if len(shown) > max_lines:
            lines.append(f"... {len(shown) - max_lines} more values ({len(failed)} failing in all)")
        if self.divergence is not None:
            lines.append(self.divergence.summary())
        elif self.localise_note:
            lines.append(self.localise_note)
        return "\n".join(lines)

    def as_dict(self) -> dict:
        return {
            "mode": self.mode,
            "ok": self.ok,
            "trivial": self.trivial,
            "results": [r.as_dict() for r in self.results],
            "weights": None if self.weights is None else dataclasses.asdict(self.weights),
            "first_diverging_module": None if self.divergence is None else self.divergence.module,
            **self.extra,
        }


def _callee(model, method: str | None):
    """The model itself (forward / construct), or its method of that name (both sides alike)."""
    if method is None:
        return model
    found = getattr(model, method, None)
    if not callable(found):
        raise AttributeError(f"{type(model).__qualname__} has no method {method}() to call")
    return found


def run_torch(module, inputs, method: str | None = None):
    import torch

    args, kwargs = split_inputs(inputs)
    with torch.no_grad():
        return _callee(module, method)(*to_framework(args, "torch"), **to_framework(kwargs, "torch"))


def run_ms(cell, inputs, method: str | None = None):
    args, kwargs = split_inputs(inputs)
    return _callee(cell, method)(*to_framework(args, "mindspore"), **to_framework(kwargs, "mindspore"))


def compare(
    torch_module,
    ms_cell,
    inputs,
    *,
    outputs: list[str] | None = None,
    tolerances: dict | None = None,
    atol: float | None = None,
    rtol: float | None = None,
    check_dtype: bool = True,
    weights: bool = True,
    rename=None,
    aliases: bool = True,
    localise: bool = True,
    mode: str = "eval",
    method: str | None = None,
) -> ParityReport:
    """Compare `torch_module(*inputs)` with `ms_cell(*inputs)`, both in `mode` ("eval", the
    default: dropout off, batch norm's running statistics; or "train").

    inputs: numpy arrays (and plain values) as a tuple of positional args, a dict of keyword
    args, or `(args, kwargs)`; each side gets its own tensors. outputs: dotted paths to compare
    (default: every output). weights: copy the torch weights into the Cell first (strict; see
    `transfer_weights`, also for rename and aliases). localise: on mismatch, name the first
    diverging sub-module. method: call this method of both models (`encode`) instead of the models
    themselves.
    """
    table = resolve_tolerances(tolerances, atol, rtol)
    report_weights = transfer_weights(torch_module, ms_cell, rename=rename, aliases=aliases) if weights else None
    torch_module.train(mode == "train")
    ms_cell.set_train(mode == "train")
    ref = select(flatten(run_torch(torch_module, inputs, method)), outputs)
    got = select(flatten(run_ms(ms_cell, inputs, method)), outputs)
    what = f"{method}()" if method else "forward"
    report = ParityReport(what if mode == "eval" else f"{what}, train mode",
                          compare_leaves(ref, got, table, check_dtype), report_weights,
                          trivial=nothing_nonzero(leaf.value for leaf in [*ref.values(), *got.values()]))
    if localise and not report.ok:
        try:
            torch_events = record_torch(torch_module, lambda: run_torch(torch_module, inputs, method))
            ms_events = record_ms(ms_cell, lambda: run_ms(ms_cell, inputs, method))
        except Exception as exc:  # localisation is a diagnosis: never hide the main verdict
            report.localise_note = f"no localisation: {type(exc).__name__}: {exc}"
            return report
        name_map = report_weights.name_map if report_weights else None
        report.divergence = first_divergence(torch_events, ms_events, table, name_map)
        if report.divergence is None:
            report.localise_note = (
                "no sub-module output diverges: the difference arises in the top-level "
                "forward's own code or in outputs no hooked module returns"
            )
    return report
