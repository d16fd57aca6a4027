"""Normalisation: layer_norm, normalize."""

from __future__ import annotations

import numpy as np

import mindspore
from mindspore import mint, ops

from torch2ms.cpu_fallback._common import bf16_via_fp32, constant, primitive, write_in_place


@bf16_via_fp32
def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """The LayerNorm primitive (built once per axis and eps; a missing weight or bias is a shared
    constant): one kernel forward and one backward, faster than any composition on CPU."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    axis = input.ndim - len(shape)
    gamma = weight if weight is not None else constant(1.0, shape, input.dtype)
    beta = bias if bias is not None else constant(0.0, shape, input.dtype)
    return primitive(ops.LayerNorm, axis, axis, float(eps))(input, gamma, beta)[0]


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
    is_f32 = x.dtype is f32  # identity: `==` on dtypes costs 3 us, a miss only adds casts
    xf = x if is_f32 else x.astype(f32)
    rstd = mint.rsqrt(mint.mean(mint.square(xf), axes, keepdim=True) + epsilon)
    y = xf * rstd
    if not is_f32:  # rounded to the input's dtype before the weight, as mindone's ports do
        y = y.astype(x.dtype).astype(f32)
    y = y * (gamma if gamma.dtype is f32 else gamma.astype(f32))
    return (y if is_f32 else y.astype(x.dtype)), rstd


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1,
               eps=1e-5):
    """Training: batch statistics, and running stats updated in place (unbiased variance);
    inference: running statistics. Float32 input runs MindSpore's BatchNorm kernel (the one of
    mindspore.nn.BatchNorm2d; 10-20x faster than the composition, forward and backward) on the
    input seen as 4-D; other dtypes take the composition."""
    if input.dtype is mindspore.float32 and 2 <= input.ndim <= 5 and (
            training or (running_mean is not None and running_var is not None)):
        return _batch_norm_kernel(input, running_mean, running_var, weight, bias, training, momentum, eps)
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
            write_in_place(running_mean, new_mean)  # copy_: Assign has no bfloat16 CPU kernel
            write_in_place(running_var, new_var)
    else:
        mean = running_mean.reshape(shape).astype(x.dtype)
        var = running_var.reshape(shape).astype(x.dtype)
    out = (x - mean) * ops.rsqrt(var + eps)
    if weight is not None:
        out = out * weight.reshape(shape).astype(x.dtype)
    if bias is not None:
        out = out + bias.reshape(shape).astype(x.dtype)
    return out.astype(input.dtype)


def _batch_norm_kernel(input, running_mean, running_var, weight, bias, training, momentum, eps):
    shape = input.shape
    n, c = shape[0], shape[1]
    if input.ndim == 2:
        x = input.reshape(n, c, 1, 1)
    elif input.ndim == 3:
        x = input.reshape(n, c, shape[2], 1)
    elif input.ndim == 5:
        x = input.reshape(n, c, shape[2] * shape[3], shape[4])
    else:
        x = input
    f32 = mindspore.float32
    gamma = weight if weight is not None else constant(1.0, (c,), f32)
    beta = bias if bias is not None else constant(0.0, (c,), f32)
    if running_mean is None or running_var is None:  # training without running stats: the kernel
        running_mean = mindspore.Tensor(np.zeros(c, np.float32))  # writes into these, unused
        running_var = mindspore.Tensor(np.ones(c, np.float32))
    kernel = primitive(ops.BatchNorm, is_training=bool(training), epsilon=float(eps), momentum=float(momentum))
    out = kernel(x, gamma, beta, running_mean, running_var)[0]
    return out if input.ndim == 4 else out.reshape(shape)
