"""Pooling and patch extraction: avg/max pooling, adaptive average pooling, unfold/fold."""

from __future__ import annotations

import mindspore as ms
from mindspore import Tensor, ops

from torch2ms.cpu_fallback._common import bf16_via_fp32, to_int64


@bf16_via_fp32
def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    stride = kernel_size if stride is None or stride == [] else stride
    out = ops.max_pool2d(input, kernel_size, stride, padding, dilation, return_indices, ceil_mode)
    return (out[0], to_int64(out[1])) if return_indices else out


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


def upsampling_bilinear2d_construct(self, input):
    """`mint.nn.UpsamplingBilinear2d.construct`: bilinear with align_corners=True."""
    size = self.size
    if size is None:  # ops.interpolate takes no scale_factor for bilinear: the size torch computes
        scale = self.scale_factor if isinstance(self.scale_factor, (tuple, list)) else (self.scale_factor,) * 2
        size = tuple(int(n * s) for n, s in zip(input.shape[-2:], scale))
    return ops.interpolate(input, size=tuple(size), mode="bilinear", align_corners=True)
