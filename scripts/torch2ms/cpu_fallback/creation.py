"""Tensor creation: arange, full, full_like, linspace, eye.

arange, full and the *_like ones are made on the host (numpy) and handed over as tensors: no
kernel runs, which on CPU is several times faster than the kernels that make them."""

from __future__ import annotations

import math

import numpy as np

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


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def arange(start=0, end=None, step=1, *, dtype=None):
    """torch's length and values: integers exactly; otherwise ceil((end - start) / step) values
    start + i * step computed in double, then cast to the dtype (torch's vectorised kernel
    rounds some of them one float32 ulp apart from this)."""
    start, end, step = _scalar(start), _scalar(end), _scalar(step)
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    all_int = all(_is_int(v) for v in (start, end, step))
    if dtype is None:
        dtype = ms.int64 if all_int else ms.float32
    if all_int:
        values = np.arange(start, end, step, dtype=np.int64)
    else:
        count = max(0, math.ceil((float(end) - float(start)) / float(step)))
        values = float(start) + np.arange(count, dtype=np.float64) * float(step)
    return Tensor(values, dtype=dtype)


def full(size, fill_value, *, dtype=None):
    fill_value = _scalar(fill_value)
    dtype = dtype or _default_dtype(fill_value)
    size = tuple(int(s) for s in size) if isinstance(size, (tuple, list)) else (int(size),)
    return Tensor(np.full(size, fill_value), dtype=dtype)


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
    return Tensor(np.zeros(input.shape), dtype=dtype or input.dtype)


def ones_like(input, *, dtype=None):
    return Tensor(np.ones(input.shape), dtype=dtype or input.dtype)


def clone(input):
    # a new tensor, gradient passes through unchanged
    return ops.deepcopy(input) if input.dtype == ms.bool_ else input * ops.ones((), input.dtype)
