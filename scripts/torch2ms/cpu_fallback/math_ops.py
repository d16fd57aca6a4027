"""Elementwise math, matrix products, reductions and statistics."""

from __future__ import annotations

import mindspore as ms
from mindspore import Tensor, ops
from mindspore.ops.auto_generate import matmul_ext as _matmul_ext

from mindspore._c_expression import TensorPy  # pylint: disable=no-name-in-module

from torch2ms.cpu_fallback import views
from torch2ms.cpu_fallback._common import bf16_via_fp32, primitive, to_int64
from torch2ms.cpu_fallback.normalization import vector_norm as _vector_norm

_MATMUL = primitive(ops.MatMul)
_MATMUL_TB = primitive(ops.MatMul, transpose_b=True)
_BIAS_ADD = primitive(ops.BiasAdd)
_FAST_MATMUL_DTYPES = (ms.float32, ms.float16, ms.float64)


@bf16_via_fp32
def acos(input):
    return ops.acos(input)


@bf16_via_fp32
def log2(input):
    return ops.log2(input)


@bf16_via_fp32
def log10(input):
    return ops.log10(input)


@bf16_via_fp32
def atan2(input, other):
    return ops.atan2(input, other)


@bf16_via_fp32
def outer(input, vec2):
    return ops.outer(input, vec2)


@bf16_via_fp32
def mm(input, mat2):
    return _MATMUL(input, mat2)


@bf16_via_fp32
def matmul(input, other):
    """mint.matmul and `@` (a native kernel, MatMulExt, 2-4x slower on CPU than these): MatMul
    for 2-D @ 2-D and for N-D @ 2-D (on the input flattened to 2-D), BatchMatMul for equal batch
    shapes; every other case (1-D operands, broadcast batches, integer operands) is MindSpore's
    own. bfloat16, which no CPU matmul kernel takes, is computed in float32."""
    # dtypes compared by identity (MindSpore's dtype objects are singletons; `==` costs 3 us): a
    # miss only takes MindSpore's own kernel
    if (isinstance(input, Tensor) and isinstance(other, Tensor) and input.dtype is other.dtype
            and any(input.dtype is d for d in _FAST_MATMUL_DTYPES)):
        a, b = input.ndim, other.ndim
        if b == 2 and a == 2:
            (x, ta), (y, tb) = _operand(input), _operand(other)
            return primitive(ops.MatMul, transpose_a=ta, transpose_b=tb)(x, y)
        if b == 2 and a > 2:
            (y, tb), x = _operand(other), views.contiguous_method(input)
            flat = primitive(ops.MatMul, transpose_b=tb)(x.reshape(-1, x.shape[-1]), y)
            return flat.reshape(input.shape[:-1] + (other.shape[-1],))
        if a == b and a > 2 and input.shape[:-2] == other.shape[:-2]:
            (x, ta), (y, tb) = _operand(input), _operand(other)
            return primitive(ops.BatchMatMul, transpose_a=ta, transpose_b=tb)(x, y)
    return _matmul_ext(input, other)


def _operand(t):
    """(a contiguous tensor, whether it is the operand transposed): a view with its last two axes
    swapped goes to the kernel as a transpose flag; other views are made contiguous (see views)."""
    if t.is_contiguous():
        return t, False
    swapped = TensorPy.transpose(t, -2, -1)
    if swapped.is_contiguous():
        return swapped, True
    return views.contiguous_method(t), False


@bf16_via_fp32
def linear(input, weight, bias=None):
    """mint.nn.functional.linear: MatMul with the weight transposed, then BiasAdd, on the input
    flattened to 2-D. (Dense, MindSpore's own CPU kernel, runs 2-5x slower.)"""
    if weight.ndim != 2 or input.ndim == 0:
        out = matmul(input, weight.T if weight.ndim == 2 else weight)
        return out if bias is None else out + bias
    x = views.contiguous_method(input)  # a view would be reshaped by MindSpore's slow copy
    x = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
    out = _MATMUL_TB(x, weight)
    if bias is not None:
        out = _BIAS_ADD(out, bias)
    return out if input.ndim == 2 else out.reshape(input.shape[:-1] + (weight.shape[0],))


@bf16_via_fp32
def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    return beta * input + alpha * ops.matmul(mat1, mat2)


@bf16_via_fp32
def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    return beta * input + alpha * ops.bmm(batch1, batch2)


def _dims(input, dim):
    if dim is None:
        return tuple(range(input.ndim))
    return (dim,) if isinstance(dim, int) else tuple(dim)


@bf16_via_fp32
def var(input, dim=None, *, correction=1, keepdim=False):
    dims = _dims(input, dim)
    count = 1
    for d in dims:
        count *= input.shape[d]
    centred = input - ops.mean(input, dims, keep_dims=True)
    return ops.sum(centred * centred, dims, keepdim=keepdim) / max(count - correction, 0)


@bf16_via_fp32
def std(input, dim=None, *, correction=1, keepdim=False):
    return ops.sqrt(var(input, dim, correction=correction, keepdim=keepdim))


@bf16_via_fp32
def std_mean(input, dim=None, *, correction=1, keepdim=False):
    return (std(input, dim, correction=correction, keepdim=keepdim),
            ops.mean(input, _dims(input, dim), keep_dims=keepdim))


@bf16_via_fp32
def median(input, dim=None, keepdim=False):
    """The lower median, as in torch; with `dim`, (values, indices)."""
    if dim is None:
        flat = input.reshape(-1)
        values, _ = ops.sort(flat)
        return values[(flat.shape[0] - 1) // 2]
    values, indices = ops.sort(input, dim)
    k = (input.shape[dim] - 1) // 2
    pick = Tensor([k], ms.int64)
    out_v, out_i = ops.gather(values, pick, dim), ops.gather(indices, pick, dim)
    if not keepdim:
        out_v, out_i = out_v.squeeze(dim), out_i.squeeze(dim)
    return out_v, to_int64(out_i)


@bf16_via_fp32
def logsumexp(input, dim, keepdim=False):
    dims = _dims(input, dim)
    top = ops.stop_gradient(ops.amax(input, dims, True))
    top = ops.where(ops.isinf(top), ops.zeros_like(top), top)
    out = ops.log(ops.sum(ops.exp(input - top), dims, keepdim=True)) + top
    return out if keepdim else out.squeeze(dims)


@bf16_via_fp32
def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    if dtype is not None:
        x = ops.cast(x, dtype)
    if dim is None:
        out = _vector_norm(x.reshape(-1), float(ord), 0, False)
        return out.reshape((1,) * x.ndim) if keepdim else out
    return _vector_norm(x, float(ord), _dims(x, dim), keepdim)


@bf16_via_fp32
def norm(input, p="fro", dim=None, keepdim=False, *, dtype=None):
    """mint.norm: 'fro' or a number is a vector norm over `dim` (all dims when None)."""
    if p == "nuc":
        raise NotImplementedError("cpu_fallback.norm: p='nuc' is not implemented")
    return vector_norm(input, 2 if p == "fro" else p, dim, keepdim, dtype=dtype)


@bf16_via_fp32
def linalg_norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    if ord is None or (ord == "fro" and (dim is None or len(_dims(A, dim)) == 2)):
        return vector_norm(A, 2, dim, keepdim, dtype=dtype)
    if isinstance(ord, str) or (dim is not None and len(_dims(A, dim)) == 2) or (dim is None and A.ndim == 2):
        raise NotImplementedError(f"cpu_fallback.linalg.norm: matrix norm ord={ord!r} is not implemented")
    return vector_norm(A, ord, dim, keepdim, dtype=dtype)


def equal(input, other):
    """True if both have the same shape and elements (a Python bool, as mint returns)."""
    if tuple(input.shape) != tuple(other.shape):
        return False
    return bool(ops.equal(input, other).all().asnumpy())


@bf16_via_fp32
def diag(input, diagonal=0):
    if input.ndim == 1:
        square = ops.diag(input)
        k = abs(diagonal)
        if k == 0:
            return square
        pads = (k, 0, 0, k) if diagonal > 0 else (0, k, k, 0)
        return ops.pad(square, pads)
    return ops.diagonal(input, diagonal)


@bf16_via_fp32
def roll(input, shifts, dims=None):
    if dims is None:
        return roll(input.reshape(-1), shifts, 0).reshape(input.shape)
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    out = input
    for shift, dim in zip(shifts, dims):
        size = out.shape[dim]
        s = shift % size
        if s:
            out = ops.cat((ops.narrow(out, dim, size - s, s), ops.narrow(out, dim, 0, size - s)), dim)
    return out


def _like(value, other):
    return value if isinstance(value, Tensor) else Tensor(value, other.dtype)


def bitwise_or(input, other):
    return ops.bitwise_or(input, _like(other, input))


def bitwise_xor(input, other):
    return ops.bitwise_xor(input, _like(other, input))


@bf16_via_fp32
def histc(input, bins=100, min=0, max=0):
    return ops.histc(input, bins, float(min), float(max))


def bincount(input, weights=None, minlength=0):
    """Counts are int64 as in torch (ops.bincount returns float32); weighted sums keep the
    weights' dtype."""
    out = ops.bincount(input, weights, minlength)
    if weights is None:
        return ops.cast(out, ms.int64)
    return out if out.dtype == weights.dtype else ops.cast(out, weights.dtype)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """Through numpy: not differentiable (neither is torch's). Always sorted."""
    import numpy as np

    array = input.asnumpy() if input.dtype != ms.bfloat16 else input.astype(ms.float32).asnumpy()
    values, inverse, counts = np.unique(array, return_inverse=True, return_counts=True, axis=dim)
    out = [Tensor(values).astype(input.dtype)]
    if return_inverse:
        out.append(Tensor(inverse.reshape(array.shape if dim is None else (-1,)).astype(np.int64)))
    if return_counts:
        out.append(Tensor(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def _unary(op_name):
    op = getattr(ops, op_name)

    @bf16_via_fp32
    def unary(input):
        return op(input)

    unary.__name__ = unary.__qualname__ = op_name
    return unary


acosh = _unary("acosh")
asin = _unary("asin")
asinh = _unary("asinh")
atan = _unary("atan")


@bf16_via_fp32
def exp2(input):
    return ops.pow(2.0, input)


@bf16_via_fp32
def frac(input):
    return input - ops.trunc(input)


@bf16_via_fp32
def logaddexp(input, other):
    top = ops.stop_gradient(ops.maximum(input, other))
    return top + ops.log(ops.exp(input - top) + ops.exp(other - top))


@bf16_via_fp32
def logaddexp2(input, other):
    ln2 = 0.6931471805599453
    return logaddexp(input * ln2, other * ln2) / ln2


def isneginf(input):
    return ops.logical_and(ops.isinf(input), input < 0)


def bitwise_not(input):
    if input.dtype == ms.bool_:
        return ops.logical_not(input)
    return ops.invert(input)


@bf16_via_fp32
def addcdiv(input, tensor1, tensor2, *, value=1):
    return input + value * tensor1 / tensor2


@bf16_via_fp32
def addcmul(input, tensor1, tensor2, *, value=1):
    return input + value * tensor1 * tensor2


@bf16_via_fp32
def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    return beta * input + alpha * ops.bmm(batch1, batch2).sum(0)


@bf16_via_fp32
def mv(input, vec):
    return ops.matmul(input, vec)


@bf16_via_fp32
def addmv(input, mat, vec, *, beta=1, alpha=1):
    return beta * input + alpha * ops.matmul(mat, vec)


@bf16_via_fp32
def dot(input, other):
    return (input * other).sum()


@bf16_via_fp32
def trace(input):
    return ops.diagonal(input).sum()


@bf16_via_fp32
def var_mean(input, dim=None, *, correction=1, keepdim=False):
    return (var(input, dim, correction=correction, keepdim=keepdim),
            ops.mean(input, _dims(input, dim), keep_dims=keepdim))


def count_nonzero(input, dim=None):
    return ops.sum(ops.cast(input != 0, ms.int64), _dims(input, dim))


@bf16_via_fp32
def take(input, index):
    return ops.gather(input.reshape(-1), index.reshape(-1), 0).reshape(index.shape)


@bf16_via_fp32
def scatter_add(input, dim, index, src):
    return ops.tensor_scatter_elements(input, index, src, dim, "add")


@bf16_via_fp32
def cummin(input, dim):
    # values re-gathered from the indices: ops.cummin's own gradient needs a kernel CPU lacks
    _, indices = ops.cummin(ops.stop_gradient(input), dim)
    indices = to_int64(indices)
    return ops.gather_elements(input, dim, indices), indices


@bf16_via_fp32
def inverse(input):
    return ops.inverse(input)


@bf16_via_fp32
def vdot(input, other):
    return (input * other).sum()  # real tensors: no conjugation needed


@bf16_via_fp32
def qr(A, mode="reduced"):
    if mode == "r":
        raise NotImplementedError("cpu_fallback.linalg.qr: mode='r' is not implemented")
    return ops.qr(A, mode)
