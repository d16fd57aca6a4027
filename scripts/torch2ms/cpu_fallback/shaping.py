"""Shape and layout: stack, pad, repeat_interleave, cumsum/cumprod."""

from __future__ import annotations

import mindspore as ms
from mindspore import Tensor, ops

from torch2ms.cpu_fallback._common import bf16_via_fp32

_INTS = (ms.bool_, ms.int8, ms.int16, ms.int32, ms.uint8)


@bf16_via_fp32
def stack(tensors, dim=0):
    return ops.stack(tuple(tensors), dim)


@bf16_via_fp32
def pad(input, pad, mode="constant", value=None):
    if mode == "constant":
        return ops.pad(input, tuple(pad), "constant", 0.0 if value is None else value)
    return ops.pad(input, tuple(pad), mode)


@bf16_via_fp32
def repeat_interleave(input, repeats, dim=None, output_size=None):
    if dim is None:
        input, dim = input.reshape(-1), 0
    if isinstance(repeats, Tensor) and repeats.size == 1:
        repeats = int(repeats.reshape(-1)[0].item())
    if isinstance(repeats, Tensor):
        repeats = [int(r) for r in repeats.asnumpy().tolist()]
    return ops.repeat_interleave(input, repeats, dim)


@bf16_via_fp32
def cumsum(input, dim, dtype=None):
    if dtype is None and input.dtype in _INTS:
        dtype = ms.int64  # torch and mint promote integer sums
    if dtype is not None:
        input = ops.cast(input, dtype)
    return ops.cumsum(input, dim)


@bf16_via_fp32
def cumprod(input, dim, dtype=None):
    if dtype is None and input.dtype in _INTS:
        dtype = ms.int64
    if dtype is not None:
        input = ops.cast(input, dtype)
    return ops.cumprod(input, dim)
