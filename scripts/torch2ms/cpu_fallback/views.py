"""Transposes, permutations and splits made contiguous with one row gather.

In PyNative mode MindSpore 2.10 returns these as views, and every kernel that reads a view first
copies it into contiguous memory with a generic strided copy that on CPU costs 50-100 ns per
element: 50x torch's copy, more than most kernels themselves. A view whose innermost axis stays
innermost holds the input's rows in another order, so one Gather of those rows (the kernel of
embedding lookups) makes it contiguous: 3-15x faster forward, 2-3x backward, measured with
benchmarks/bench_runtime.py. The replacements return what MindSpore's own return, in contiguous
memory; other views (the innermost axis moved, bfloat16, which Gather does not take on CPU) stay
views. As for every view under the fallback, writing into the result does not write into the input.
"""

from __future__ import annotations

import functools
import math

import numpy as np

import mindspore as ms
from mindspore import Tensor, ops
from mindspore._c_expression import TensorPy  # pylint: disable=no-name-in-module
from mindspore.common._register_for_tensor import tensor_operator_registry
from mindspore.ops.function import array_func

from torch2ms.cpu_fallback._common import primitive

# MindSpore's own, taken before anything is patched (this module is imported by enable() before
# it replaces a function): the replacements below call these, never the patched names.
_SPLIT_VIEW, _CHUNK_VIEW = array_func.split_view, array_func.chunk_view

_GATHER = primitive(ops.Gather)
_NO_GATHER = type(ms.bfloat16)  # Gather has no bfloat16 CPU kernel; the only dtype of its class


def _index(array: np.ndarray) -> Tensor:
    return Tensor(array.astype(np.int32 if array.size and array.max() < 2 ** 31 else np.int64))


@functools.lru_cache(maxsize=512)
def _permuted_rows(shape: tuple, perm: tuple) -> Tensor:
    """Row r of `x.permute(perm)` (perm keeps the last axis) is row index[r] of x."""
    lead = shape[:-1]
    return _index(np.arange(math.prod(lead)).reshape(lead).transpose(perm[:-1]).reshape(-1))


@functools.lru_cache(maxsize=512)
def _sliced_rows(outer: int, size: int, start: int, stop: int) -> Tensor:
    """Rows start..stop-1 of each of `outer` blocks of `size` rows."""
    return _index((np.arange(outer)[:, None] * size + np.arange(start, stop)[None, :]).reshape(-1))


def _gatherable(x) -> bool:
    return type(x.dtype) is not _NO_GATHER and x.ndim >= 2 and x.numel() > 0 and x.is_contiguous()


def _permutation_of(x, view):
    """perm with view == x.permute(perm), from strides (x contiguous), or None."""
    if view.ndim != x.ndim or view.numel() != x.numel():
        return None
    shape, strides, v_shape, v_strides = tuple(x.shape), x.stride(), tuple(view.shape), view.stride()
    perm, used = [], set()
    for size, stride in zip(v_shape, v_strides):
        match = next((j for j in range(x.ndim) if j not in used and shape[j] == size
                      and (size == 1 or strides[j] == stride)), None)
        if match is None:
            return None
        perm.append(match)
        used.add(match)
    return tuple(perm)


def dense(x, view):
    """`view`, a permutation view of `x`, as a contiguous tensor when a row gather makes it one."""
    if view.is_contiguous() or not _gatherable(x):
        return view
    perm = _permutation_of(x, view)
    if perm is None or perm[-1] != x.ndim - 1:
        return view
    rows = _GATHER(x.reshape(-1, x.shape[-1]), _permuted_rows(tuple(x.shape), perm), 0)
    return rows.reshape(view.shape)


def _pieces(x, pieces):
    """Split pieces of `x` (views along one axis) as contiguous tensors, by row gathers."""
    if not _gatherable(x) or all(p.is_contiguous() for p in pieces):
        return pieces
    shape = tuple(x.shape)
    axes = [d for d in range(x.ndim) if pieces[0].shape[d] != shape[d]]
    if len(axes) != 1:
        return pieces
    d = axes[0]
    sizes = [p.shape[d] for p in pieces]
    if sum(sizes) != shape[d] or any(tuple(p.shape[:d]) + tuple(p.shape[d + 1:]) != shape[:d] + shape[d + 1:]
                                     for p in pieces):
        return pieces
    inner = math.prod(shape[d + 1:])
    row = inner * functools.reduce(math.gcd, sizes, shape[d])  # a row length that tiles every piece
    rows = x.reshape(-1, row)
    per_block = shape[d] * inner // row
    out, start = [], 0
    for piece, size in zip(pieces, sizes):
        stop = start + size * inner // row
        if piece.is_contiguous():
            out.append(piece)
        else:
            out.append(_GATHER(rows, _sliced_rows(math.prod(shape[:d]), per_block, start, stop), 0).reshape(piece.shape))
        start = stop
    return type(pieces)(out)


# ---------------------------------------------------------------- the replacements

def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def transpose_method(self, *args, **kwargs):
    """`Tensor.transpose`: torch's two axes to swap, or (MindSpore's older form) a permutation."""
    if kwargs and set(kwargs) <= {"dim0", "dim1"} and len(args) + len(kwargs) == 2:
        args = args + tuple(kwargs[k] for k in ("dim0", "dim1") if k in kwargs)
        kwargs = {}
    if not kwargs and len(args) == 2 and all(map(_is_int, args)):
        perm = _swap(self.ndim, *args)
    elif not kwargs and len(args) == 1 and isinstance(args[0], (tuple, list)):
        perm = tuple(args[0])
    elif not kwargs and len(args) == self.ndim and all(map(_is_int, args)):
        perm = tuple(args)
    else:
        return TensorPy.transpose(self, *args, **kwargs)
    return dense(self, TensorPy.permute(self, perm))


def permute_method(self, *args, **kwargs):
    """`Tensor.permute`."""
    return dense(self, TensorPy.permute(self, *args, **kwargs))


def _swap(ndim, dim0, dim1):
    for d in (dim0, dim1):
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise IndexError(f"Dimension out of range (expected to be in range of [{-max(ndim, 1)}, "
                             f"{max(ndim, 1) - 1}], but got {d})")
    dim0, dim1 = dim0 % max(ndim, 1), dim1 % max(ndim, 1)
    perm = list(range(ndim))
    perm[dim0], perm[dim1] = perm[dim1], perm[dim0]
    return tuple(perm)


def swapaxes_method(self, axis0, axis1):
    """`Tensor.swapaxes`."""
    return dense(self, TensorPy.permute(self, _swap(self.ndim, axis0, axis1)))


def transpose(input, dim0, dim1):
    """`mint.transpose`."""
    return dense(input, TensorPy.permute(input, _swap(input.ndim, dim0, dim1)))


def swapaxes(input, axis0, axis1):
    """`mint.swapaxes`."""
    return transpose(input, axis0, axis1)


def permute(input, dims):
    """`mint.permute`."""
    return dense(input, TensorPy.permute(input, tuple(dims)))


def ops_transpose(input, input_perm):
    """`ops.transpose`."""
    return dense(input, TensorPy.permute(input, tuple(input_perm)))


def transpose_primitive_call(self, input, input_perm):
    """`ops.Transpose()(x, perm)`, as MindSpore's own layers call it (nn.LSTM, nn.GRU, ...)."""
    return ops_transpose(input, input_perm)


def split_method(self, *args, **kwargs):
    """`Tensor.split`."""
    return _pieces(self, TensorPy.split(self, *args, **kwargs))


def chunk_method(self, *args, **kwargs):
    """`Tensor.chunk`."""
    return _pieces(self, TensorPy.chunk(self, *args, **kwargs))


def split(tensor, split_size_or_sections, dim=0):
    """`mint.split`."""
    return _pieces(tensor, _SPLIT_VIEW(tensor, split_size_or_sections, dim))


def chunk(input, chunks, dim=0):
    """`mint.chunk`."""
    return _pieces(input, _CHUNK_VIEW(input, chunks, dim))


def contiguous_method(self):
    """`Tensor.contiguous`: a permutation view of contiguous memory by a row gather, any other
    view by MindSpore's own copy."""
    if self.is_contiguous():
        return self
    order = tuple(sorted(range(self.ndim), key=lambda d: -self.stride()[d]))
    base = TensorPy.permute(self, order)
    if base.is_contiguous():
        out = dense(base, self)
        if out is not self:
            return out
    return tensor_operator_registry.get("contiguous")(self)  # what Tensor.contiguous calls
