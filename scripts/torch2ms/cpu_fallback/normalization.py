"""Normalisation: layer_norm, normalize."""

from __future__ import annotations

import mindspore
from mindspore import ops

from torch2ms.cpu_fallback._common import bf16_via_fp32


@bf16_via_fp32
def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    axis = input.ndim - len(normalized_shape)
    gamma = weight if weight is not None else ops.ones(tuple(normalized_shape), input.dtype)
    beta = bias if bias is not None else ops.zeros(tuple(normalized_shape), input.dtype)
    return ops.LayerNorm(axis, axis, float(eps))(input, gamma, beta)[0]


def vector_norm(input, p, dim, keepdim):
    if p == 2:
        return ops.sqrt(ops.sum(input * input, dim, keepdim=keepdim))
    if p == float("inf"):
        return ops.amax(ops.abs(input), dim, keepdim)
    if p == float("-inf"):
        return ops.amin(ops.abs(input), dim, keepdim)
    if p == 1:
        return ops.sum(ops.abs(input), dim, keepdim=keepdim)
    if p == 0:
        return ops.sum(ops.cast(input != 0, input.dtype), dim, keepdim=keepdim)
    return ops.pow(ops.sum(ops.pow(ops.abs(input), p), dim, keepdim=keepdim), 1.0 / p)


@bf16_via_fp32
def normalize(input, p=2.0, dim=1, eps=1e-12):
    return input / ops.clamp(vector_norm(input, p, dim, True), min=eps)


def rms_norm(x, gamma, epsilon=1e-6):
    """`mindspore.ops.rms_norm` (mindone's Qwen2 calls it): returns (y, rstd), rstd in float32
    over the trailing dims that `gamma` covers. Computed in float32 (CPU kernels reject bf16)."""
    f32 = mindspore.float32
    axes = tuple(range(x.ndim - gamma.ndim, x.ndim))
    xf = x.astype(f32)
    rstd = ops.rsqrt(ops.mean(xf * xf, axes, keep_dims=True) + epsilon)
    y = (xf * rstd).astype(x.dtype).astype(f32) * gamma.astype(f32)
    return y.astype(x.dtype), rstd
