"""Convolutions: conv1d/2d/3d on ops.convNd, conv_transpose2d as a stride-1 convolution of the
zero-dilated input with the flipped kernel (plain ops, so gradients flow)."""

from __future__ import annotations

import mindspore as ms
from mindspore import ops

from torch2ms.cpu_fallback._common import bf16_via_fp32, primitive

_BIAS_ADD = primitive(ops.BiasAdd)
_BATCH_MATMUL = primitive(ops.BatchMatMul)
_F32 = ms.float32


def _tuple(value, n):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n


def _conv(op, n, input, weight, bias, stride, padding, dilation, groups):
    if isinstance(padding, str):
        out = op(input, weight, None, _tuple(stride, n), padding, 0, _tuple(dilation, n), groups)
    else:
        pads = _tuple(padding, n)
        out = op(input, weight, None, _tuple(stride, n) if n > 1 else _tuple(stride, 1)[0], "pad",
                 pads if n > 1 else pads[0], _tuple(dilation, n) if n > 1 else _tuple(dilation, 1)[0], groups)
    if bias is not None:
        out = out + bias.reshape((1, -1) + (1,) * n)
    return out


@bf16_via_fp32
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv(ops.conv1d, 1, input, weight, bias, stride, padding, dilation, groups)


@bf16_via_fp32
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Numeric padding, float32, one group: im2col (Im2Col) and one BatchMatMul, 10x faster
    forward and backward than MindSpore's Conv2D CPU kernel; other groups and dtypes: the Conv2D
    primitive built once per geometry. Bias by BiasAdd (2x faster than a broadcast add);
    "same"/"valid" through ops.conv2d."""
    if isinstance(padding, str) or input.ndim != 4:
        return _conv(ops.conv2d, 2, input, weight, bias, stride, padding, dilation, groups)
    ph, pw = _tuple(padding, 2)
    if groups == 1 and input.dtype is _F32 and weight.dtype is _F32:
        return _conv2d_im2col(input, weight, bias, _tuple(stride, 2), (ph, pw), _tuple(dilation, 2))
    kernel = primitive(ops.Conv2D, weight.shape[0], tuple(weight.shape[2:]), pad_mode="pad", pad=(ph, ph, pw, pw),
                       stride=_tuple(stride, 2), dilation=_tuple(dilation, 2), group=groups)
    out = kernel(input, weight)
    return out if bias is None else _BIAS_ADD(out, bias)


def _conv2d_im2col(input, weight, bias, stride, padding, dilation):
    n, _, h, w = input.shape
    out_c, in_c, kh, kw = weight.shape
    out_h = (h + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    out_w = (w + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    cols = ops.unfold(input, (kh, kw), dilation, padding, stride)  # (N, C kh kw, L)
    kernel = ops.broadcast_to(weight.reshape(1, out_c, in_c * kh * kw), (n, out_c, in_c * kh * kw))
    out = _BATCH_MATMUL(kernel, cols).reshape(n, out_c, out_h, out_w)
    return out if bias is None else _BIAS_ADD(out, bias)


@bf16_via_fp32
def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv(ops.conv3d, 3, input, weight, bias, stride, padding, dilation, groups)


@bf16_via_fp32
def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    unbatched = input.ndim == 3
    if unbatched:
        input = input.expand_dims(0)
    (sh, sw), (ph, pw) = _tuple(stride, 2), _tuple(padding, 2)
    (oph, opw), (dh, dw) = _tuple(output_padding, 2), _tuple(dilation, 2)
    n, c, h, w = input.shape
    c_in, c_out_g, kh, kw = weight.shape
    # insert (stride - 1) zeros between input pixels
    x = input.reshape(n, c, h, 1, w, 1)
    x = ops.pad(x, (0, sw - 1, 0, 0, 0, sh - 1)).reshape(n, c, h * sh, w * sw)
    x = x[:, :, : (h - 1) * sh + 1, : (w - 1) * sw + 1]
    # full padding minus the requested padding, plus output_padding at the far end
    top, left = dh * (kh - 1) - ph, dw * (kw - 1) - pw
    bottom, right = top + oph, left + opw
    x = ops.pad(x, (max(left, 0), max(right, 0), max(top, 0), max(bottom, 0)))
    x = x[:, :, max(-top, 0): x.shape[2] - max(-bottom, 0), max(-left, 0): x.shape[3] - max(-right, 0)]
    # (C_in, C_out/g, kh, kw) -> (C_out, C_in/g, kh, kw), spatially flipped
    k = weight.reshape(groups, c_in // groups, c_out_g, kh, kw).swapaxes(1, 2)
    k = ops.flip(k.reshape(groups * c_out_g, c_in // groups, kh, kw), (2, 3))
    out = ops.conv2d(x, k, None, 1, "valid", 0, (dh, dw), groups)
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1)
    return out[0] if unbatched else out
