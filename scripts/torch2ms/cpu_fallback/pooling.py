"""Pooling and patch extraction: avg/max pooling, adaptive average pooling, unfold/fold."""

from __future__ import annotations

import math

import mindspore as ms
from mindspore import Tensor, ops

from torch2ms.cpu_fallback._common import bf16_via_fp32, primitive, to_int64


def _pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def _pool_out(size, k, s, p, ceil_mode):
    """torch's output length of a pooling window: with ceil_mode, the last window must start
    inside the input or its left padding."""
    out = (size + 2 * p - k + ((s - 1) if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


@bf16_via_fp32
def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Without dilation or indices: MindSpore's MaxPool kernel (that of mindspore.nn.MaxPool2d,
    4x faster forward and 15x backward than the one with argmax) on the input padded with -inf
    as torch pads, ceil_mode included."""
    stride = kernel_size if stride is None or stride == [] else stride
    if _pair(dilation) == (1, 1) and not return_indices and input.ndim in (3, 4):
        return _max_pool2d_kernel(input, _pair(kernel_size), _pair(stride), _pair(padding), ceil_mode)
    out = ops.max_pool2d(input, kernel_size, stride, padding, dilation, return_indices, ceil_mode)
    return (out[0], to_int64(out[1])) if return_indices else out


def _max_pool2d_kernel(input, k, s, p, ceil_mode):
    x = input.expand_dims(0) if input.ndim == 3 else input
    h, w = x.shape[2], x.shape[3]
    out_h, out_w = _pool_out(h, k[0], s[0], p[0], ceil_mode), _pool_out(w, k[1], s[1], p[1], ceil_mode)
    # right and bottom: what the last window needs beyond the input (padding, or ceil_mode)
    bottom, right = (out_h - 1) * s[0] + k[0] - h - p[0], (out_w - 1) * s[1] + k[1] - w - p[1]
    pads = (p[1], max(right, 0), p[0], max(bottom, 0))
    if any(pads):
        x = ops.pad(x, pads, value=-math.inf)
    out = primitive(ops.MaxPool, kernel_size=k, strides=s, pad_mode="VALID")(x)
    return out[0] if input.ndim == 3 else out


@bf16_via_fp32
def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    stride = kernel_size if stride is None else stride
    return ops.avg_pool1d(input, kernel_size, stride, padding, ceil_mode, count_include_pad)


@bf16_via_fp32
def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    stride = kernel_size if stride is None else stride
    return ops.avg_pool2d(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override or 0)


@bf16_via_fp32
def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    stride = kernel_size if stride is None else stride
    return ops.avg_pool3d(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override or 0)


@bf16_via_fp32
def adaptive_avg_pool2d(input, output_size):
    return ops.adaptive_avg_pool2d(input, output_size)


@bf16_via_fp32
def adaptive_avg_pool1d(input, output_size):
    size = output_size[0] if isinstance(output_size, (tuple, list)) else output_size
    return ops.adaptive_avg_pool2d(input.expand_dims(-2), (1, size)).squeeze(-2)


@bf16_via_fp32
def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    return ops.unfold(input, kernel_size, dilation, padding, stride)


@bf16_via_fp32
def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    size = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size, output_size)
    return ops.fold(input, Tensor(size, ms.int32), kernel_size, dilation, padding, stride)


@bf16_via_fp32
def adaptive_avg_pool3d(input, output_size):
    return ops.adaptive_avg_pool3d(input, output_size)


@bf16_via_fp32
def adaptive_max_pool1d(input, output_size, return_indices=False):
    size = output_size[0] if isinstance(output_size, (tuple, list)) else output_size
    out = ops.adaptive_max_pool2d(input.expand_dims(-2), (1, size), return_indices)
    if return_indices:
        return out[0].squeeze(-2), to_int64(out[1].squeeze(-2))
    return out.squeeze(-2)


@bf16_via_fp32
def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    stride = kernel_size if stride is None else stride
    return ops.max_unpool2d(input, indices, kernel_size, stride, padding, output_size)

