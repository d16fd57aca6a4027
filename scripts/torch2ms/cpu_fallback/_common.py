"""Helpers shared by the op families."""

from __future__ import annotations

import functools

import mindspore as ms
from mindspore import Tensor, ops
from mindspore._c_expression import TensorPy  # pylint: disable=no-name-in-module


_BF16 = ms.bfloat16
_BF16_TYPE = type(ms.bfloat16)  # the only dtype of its class: a type check costs 1/15 of `==`


def _is_bf16(value) -> bool:
    return isinstance(value, Tensor) and type(value.dtype) is _BF16_TYPE


def _up(value):
    if _is_bf16(value):
        return ops.cast(value, ms.float32)
    if isinstance(value, (list, tuple)) and any(_is_bf16(v) for v in value):
        return type(value)(_up(v) for v in value)
    return value


def _down(value):
    if isinstance(value, Tensor) and value.dtype == ms.float32:
        return ops.cast(value, ms.bfloat16)
    if isinstance(value, tuple):
        return tuple(_down(v) for v in value)
    return value


def bf16_via_fp32(func):
    """Most CPU kernels reject bfloat16: compute in float32 and cast float results back."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if not (_any_bf16(args) or (kwargs and _any_bf16(kwargs.values()))):
            return func(*args, **kwargs)
        result = func(*(_up(a) for a in args), **{k: _up(v) for k, v in kwargs.items()})
        return _down(result)

    return wrapper


def _any_bf16(values) -> bool:
    # on every call of most fallback functions: one pass, and only cheap checks (isinstance against
    # Tensor's metaclass costs 1 us for a non-tensor, against the C base class a third of that)
    for value in values:
        if isinstance(value, TensorPy):
            if type(value.dtype) is _BF16_TYPE:
                return True
        elif type(value) in (list, tuple):
            for item in value:
                if isinstance(item, TensorPy) and type(item.dtype) is _BF16_TYPE:
                    return True
    return False


@functools.lru_cache(maxsize=512)
def primitive(cls, *args, **kwargs):
    """`cls(*args, **kwargs)` built once per set of attributes: building a primitive costs more
    than running a small op. Arguments must be hashable (tuples, not lists)."""
    return cls(*args, **kwargs)


@functools.lru_cache(maxsize=256)
def constant(value: float, shape: tuple, dtype) -> Tensor:
    """A tensor filled with `value`, made once (from the host: no kernel) and shared; callers
    never write to it."""
    import numpy as np

    return Tensor(np.full(shape, value), dtype=dtype)


def normalize_dim(dim: int, ndim: int) -> int:
    return dim + max(ndim, 1) if dim < 0 else dim


def size_tuple(size) -> tuple:
    """`f(2, 3)`, `f((2, 3))`, `f([2, 3])` all mean shape (2, 3), as in torch and mint."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    return tuple(int(s) for s in size)


def to_int64(t: Tensor) -> Tensor:
    return t if t.dtype == ms.int64 else ops.cast(t, ms.int64)


def _owns_its_storage(t: Tensor) -> bool:
    try:
        return t.is_contiguous() and t.storage_offset() == 0 and t.untyped_storage().nbytes() == t.nbytes
    except (AttributeError, RuntimeError):
        return False


def write_in_place(t: Tensor, value: Tensor) -> Tensor:
    """Write `value` into `t` with `Tensor.copy_` (runs on CPU, recorded by autograd like torch's
    in-place ops). A view of a larger storage (`x[0]`, a slice, a transpose) has no CPU copy_
    kernel: it gets new data (`assign_value`), which its base does not see and autograd ignores."""
    value = value.astype(t.dtype) if value.dtype != t.dtype else value
    if _owns_its_storage(t):
        t.copy_(value)
    else:
        t.assign_value(value)
    return t


_IDENTITY = ops.Identity()


def fresh(t: Tensor) -> Tensor:
    """A copy to compute an in-place result from: ops save their inputs for backward, and writing
    over a saved input fails autograd's version check. (Identity has no bfloat16 CPU kernel:
    bfloat16 is computed in float32; `write_in_place` casts back.)"""
    return ops.cast(t, ms.float32) if t.dtype == ms.bfloat16 else _IDENTITY(t)
