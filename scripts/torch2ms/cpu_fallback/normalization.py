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


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1,
               eps=1e-5):
    """Training: batch statistics, and running stats updated in place (unbiased variance);
    inference: running statistics."""
    f32 = mindspore.float32
    x = input.astype(f32) if input.dtype == mindspore.bfloat16 else input
    axes = tuple(d for d in range(x.ndim) if d != 1)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    if training:
        mean = ops.mean(x, axes, keep_dims=True)
        var = ops.mean((x - mean) * (x - mean), axes, keep_dims=True)
        if running_mean is not None and running_var is not None:
            count = x.size // x.shape[1]
            new_mean = (1 - momentum) * running_mean + momentum * ops.stop_gradient(mean.reshape(-1)).astype(running_mean.dtype)
            unbiased = ops.stop_gradient(var.reshape(-1)) * count / max(count - 1, 1)
            new_var = (1 - momentum) * running_var + momentum * unbiased.astype(running_var.dtype)
            ops.assign(running_mean, new_mean)
            ops.assign(running_var, new_var)
    else:
        mean = running_mean.reshape(shape).astype(x.dtype)
        var = running_var.reshape(shape).astype(x.dtype)
    out = (x - mean) * ops.rsqrt(var + eps)
    if weight is not None:
        out = out * weight.reshape(shape).astype(x.dtype)
    if bias is not None:
        out = out + bias.reshape(shape).astype(x.dtype)
    return out.astype(input.dtype)
