"""Activations: gelu, log_softmax."""

from __future__ import annotations

from mindspore import ops

from torch2ms.cpu_fallback._common import bf16_via_fp32


@bf16_via_fp32
def gelu(input, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return ops.gelu(input, approximate=approximate)


def _legacy_softmax_dim(ndim: int) -> int:
    # torch's rule for dim=None, which mint follows
    return 0 if ndim in (0, 1, 3) else 1


@bf16_via_fp32
def log_softmax(input, dim=None, *, dtype=None):
    if dtype is not None:
        input = ops.cast(input, dtype)
    if dim is None:
        dim = _legacy_softmax_dim(input.ndim)
    return ops.log_softmax(input, dim)
