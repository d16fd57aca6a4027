"""Interpolation: `mint.nn.functional.interpolate` / `upsample`, `mint.nn.Upsample`,
`mint.nn.UpsamplingBilinear2d`, in every mode mint accepts.

The linear modes (linear, bilinear, trilinear) and bicubic have no CPU kernel in MindSpore 2.10
(`UpsampleBilinear2D unregistered`, ...). Each is separable: along one spatial axis the output is
a fixed matrix times the input, so the result is one matmul per axis with matrices built on the
host from torch's own index and weight rules (`area_pixel_compute_source_index`, the clamped
neighbours, the cubic convolution with A = -0.75, computed in float32 as torch's CPU kernels do).
The backward is the transposed matmul: gradients are exact to float32 rounding. Nearest mode runs
natively and is left to MindSpore.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from mindspore import Tensor, ops

from torch2ms.cpu_fallback._common import bf16_via_fp32, primitive

# mint's own, for nearest mode: bound when this module is imported, before the patcher rebinds it
from mindspore.ops.function.nn_func import interpolate_ext as _native_interpolate  # noqa: E402

_LINEAR_MODES = {"linear": 1, "bilinear": 2, "trilinear": 3, "bicubic": 2}



def _source_scale(in_size, out_size, align_corners, scale):
    f32 = np.float32
    if align_corners:
        return f32(in_size - 1) / f32(out_size - 1) if out_size > 1 else f32(0)
    if scale is not None and scale > 0:
        return f32(1.0 / scale)
    return f32(in_size) / f32(out_size)


def _source_index(scale, i, align_corners, cubic):
    f32 = np.float32
    if align_corners:
        return scale * f32(i)
    src = scale * (f32(i) + f32(0.5)) - f32(0.5)
    return src if cubic or src >= 0 else f32(0)


def _cubic_weights(t):
    a = np.float32(-0.75)
    one = np.float32(1)

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return far(t + one), near(t), near(one - t), far(one - t + one)


@functools.lru_cache(maxsize=256)
def _matrix(in_size: int, out_size: int, align_corners: bool, scale, cubic: bool, dtype) -> Tensor:
    """(out_size, in_size) matrix of one axis's interpolation, as torch's CPU kernel weighs it."""
    m = np.zeros((out_size, in_size), np.float32)
    s = _source_scale(in_size, out_size, align_corners, scale)
    for i in range(out_size):
        real = _source_index(s, i, align_corners, cubic)
        if cubic:
            base = int(math.floor(real))
            weights = _cubic_weights(np.float32(real - np.float32(base)))
            for k, w in enumerate(weights):
                m[i, min(max(base - 1 + k, 0), in_size - 1)] += w
            continue
        index = min(int(math.floor(real)), in_size - 1)
        lam = min(max(np.float32(real - np.float32(index)), np.float32(0)), np.float32(1))
        upper = index + 1 if index < in_size - 1 else index
        m[i, index] += np.float32(1) - lam
        m[i, upper] += lam
    return Tensor(m, dtype=dtype)


def _output_sizes(input, size, scale_factor, axes):
    spatial = input.shape[-axes:]
    if size is not None:
        sizes = (size,) * axes if isinstance(size, int) else tuple(size)
        if len(sizes) != axes:
            raise ValueError(f"interpolate: size {tuple(sizes)} does not match {axes} spatial dimensions")
        return tuple(int(n) for n in sizes), (None,) * axes
    scales = (scale_factor,) * axes if isinstance(scale_factor, (int, float)) else tuple(scale_factor)
    if len(scales) != axes:
        raise ValueError(f"interpolate: scale_factor {tuple(scales)} does not match {axes} spatial dimensions")
    scales = tuple(float(s) for s in scales)
    return tuple(int(math.floor(n * s)) for n, s in zip(spatial, scales)), scales


def _along_last(x, m):
    """x (..., n) @ m^T, m (k, n): one MatMul on x flattened to 2-D."""
    flat = primitive(ops.MatMul, transpose_b=True)(x.reshape(-1, x.shape[-1]), m)
    return flat.reshape(x.shape[:-1] + (m.shape[0],))


def _along(x, m, axis):
    """Apply m (k, n) along `axis` (negative) of x."""
    if axis == -1:
        return _along_last(x, m)
    # (..., n, rest) -> batched m @ x: one BatchMatMul over the leading dimensions
    lead = x.shape[:axis]
    n = x.shape[axis]
    rest = int(np.prod(x.shape[axis + 1:]))
    batch = int(np.prod(lead)) if lead else 1
    x3 = x.reshape(batch, n, rest)
    m3 = ops.broadcast_to(m, (batch,) + m.shape)
    out = primitive(ops.BatchMatMul)(m3, x3)
    return out.reshape(lead + (m.shape[0],) + x.shape[axis + 1:])


@bf16_via_fp32
def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None):
    if mode not in _LINEAR_MODES:
        return _native_interpolate(input, size, scale_factor, mode, align_corners, recompute_scale_factor)
    axes = _LINEAR_MODES[mode]
    if input.ndim != axes + 2:
        raise ValueError(f"interpolate: mode {mode!r} takes a {axes + 2}-D input, got {input.ndim}-D")
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: give exactly one of size and scale_factor")
    sizes, scales = _output_sizes(input, size, scale_factor, axes)
    if recompute_scale_factor:
        if size is not None:
            raise ValueError("interpolate: recompute_scale_factor=True needs scale_factor, not size")
        scales = (None,) * axes
    align = bool(align_corners)
    cubic = mode == "bicubic"
    out = input
    for k in range(axes):  # last axis first
        axis = -1 - k
        in_n, out_n = input.shape[axis], sizes[axis]
        out = _along(out, _matrix(in_n, out_n, align, scales[axis], cubic, input.dtype), axis)
    return out


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_construct(self, input):
    """`mint.nn.Upsample.construct`."""
    return interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                       self.recompute_scale_factor)


def upsampling_bilinear2d_construct(self, input):
    """`mint.nn.UpsamplingBilinear2d.construct`: bilinear with align_corners=True, as torch's."""
    return interpolate(input, self.size, self.scale_factor, "bilinear", True)
