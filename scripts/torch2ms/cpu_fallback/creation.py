"""Tensor creation: arange, full, full_like, linspace, eye."""

from __future__ import annotations

import mindspore as ms
from mindspore import Tensor, ops


def _scalar(v):
    return v.item() if isinstance(v, Tensor) else v


def _default_dtype(value):
    """mint (like torch) infers bool -> bool, int -> int64, float -> float32."""
    if isinstance(value, bool):
        return ms.bool_
    if isinstance(value, int):
        return ms.int64
    if isinstance(value, complex):
        return ms.complex64
    return ms.float32


def arange(start=0, end=None, step=1, *, dtype=None):
    start, end, step = _scalar(start), _scalar(end), _scalar(step)
    if end is None:
        start, end = 0, start
    if dtype is None:
        all_int = all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end, step))
        dtype = ms.int64 if all_int else ms.float32
    work = ms.int64 if dtype in (ms.int8, ms.int16, ms.int32, ms.int64, ms.uint8) else ms.float32
    out = ops.arange(start, end, step, dtype=work) if work == ms.int64 else ops.arange(
        float(start), float(end), float(step), dtype=ms.float32)
    return out if out.dtype == dtype else ops.cast(out, dtype)


def full(size, fill_value, *, dtype=None):
    fill_value = _scalar(fill_value)
    dtype = dtype or _default_dtype(fill_value)
    size = tuple(int(s) for s in size) if isinstance(size, (tuple, list)) else (int(size),)
    if dtype == ms.bfloat16:
        return ops.cast(ops.fill(ms.float32, size, fill_value), dtype)
    return ops.fill(dtype, size, fill_value)


def full_like(input, fill_value, *, dtype=None):
    return full(input.shape, fill_value, dtype=dtype or input.dtype)


def linspace(start, end, steps, *, dtype=None):
    start, end = float(_scalar(start)), float(_scalar(end))
    out = ops.linspace(Tensor(start, ms.float32), Tensor(end, ms.float32), int(steps))
    dtype = dtype or ms.float32
    return out if out.dtype == dtype else ops.cast(out, dtype)


def eye(n, m=None, dtype=None):
    m = n if m is None else m
    dtype = dtype or ms.float32
    work = ms.float32 if dtype == ms.bfloat16 else dtype
    out = ops.eye(int(n), int(m), work)
    return out if work == dtype else ops.cast(out, dtype)


def zeros_like(input, *, dtype=None):
    dtype = dtype or input.dtype
    return ops.zeros(input.shape, dtype) if dtype != ms.bfloat16 else ops.cast(ops.zeros(input.shape, ms.float32), dtype)


def ones_like(input, *, dtype=None):
    dtype = dtype or input.dtype
    return ops.ones(input.shape, dtype) if dtype != ms.bfloat16 else ops.cast(ops.ones(input.shape, ms.float32), dtype)


def clone(input):
    # a new tensor, gradient passes through unchanged
    return ops.deepcopy(input) if input.dtype == ms.bool_ else input * ops.ones((), input.dtype)
