"""Activations: gelu, log_softmax."""

from __future__ import annotations

import math

from mindspore import mint, ops

from torch2ms.cpu_fallback._common import bf16_via_fp32, fresh, write_in_place

_MINUS_RSQRT2 = -1 / math.sqrt(2)
_TANH_K = 2 * math.sqrt(2 / math.pi)  # twice torch's sqrt(2/pi): 0.5 (1 + tanh(z)) = sigmoid(2z)


@bf16_via_fp32
def gelu(input, approximate="none"):
    """torch's formulas from the cheapest exact CPU kernels: 'none' is x/2 * erfc(-x/sqrt(2))
    (= x/2 * (1 + erf(x/sqrt(2)))); 'tanh' is x * sigmoid(2 sqrt(2/pi) (x + 0.044715 x^3))
    (= x/2 * (1 + tanh(...))). MindSpore's GeLU kernel is 4x slower, its tanh kernel is off by
    up to 1e-4, its sigmoid and erfc kernels are exact to float32 rounding."""
    if approximate == "none":
        return (input * 0.5) * mint.erfc(input * _MINUS_RSQRT2)
    if approximate == "tanh":
        return input * mint.sigmoid(input * (_TANH_K + (_TANH_K * 0.044715) * mint.square(input)))
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def _legacy_softmax_dim(ndim: int) -> int:
    # torch's rule for dim=None, which mint follows
    return 0 if ndim in (0, 1, 3) else 1


@bf16_via_fp32
def log_softmax(input, dim=None, *, dtype=None):
    if dtype is not None:
        input = ops.cast(input, dtype)
    if dim is None:
        dim = _legacy_softmax_dim(input.ndim)
    return ops.log_softmax(input, dim)


@bf16_via_fp32
def leaky_relu(input, negative_slope=0.01):
    return ops.where(input >= 0, input, input * negative_slope)


@bf16_via_fp32
def logsigmoid(input):
    return -ops.softplus(-input)


@bf16_via_fp32
def mish(input):
    return input * ops.tanh(ops.softplus(input))


@bf16_via_fp32
def relu6(input, inplace=False):
    return ops.clamp(input, 0.0, 6.0)


@bf16_via_fp32
def elu(input, alpha=1.0, inplace=False):
    return ops.where(input > 0, input, alpha * (ops.exp(ops.minimum(input, ops.zeros_like(input))) - 1))


def one_hot(tensor, num_classes=-1):
    import mindspore as ms

    if num_classes == -1:
        num_classes = int(tensor.max().asnumpy()) + 1
    on, off = ms.Tensor(1, ms.int64), ms.Tensor(0, ms.int64)
    return ops.one_hot(tensor, num_classes, on, off, -1)


@bf16_via_fp32
def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    return ops.clamp(input, min_val, max_val)


@bf16_via_fp32
def selu(input):
    alpha, scale = 1.6732632423543772, 1.0507009873554805
    return scale * elu(input, alpha)


@bf16_via_fp32
def threshold(input, threshold, value, inplace=False):
    return ops.where(input > threshold, input, ops.full_like(input, value))


# in-place variants: computed from a copy, written back with copy_ (differentiable as in torch)
def relu_(input):
    return write_in_place(input, ops.relu(fresh(input)))


def sigmoid_(input):
    return write_in_place(input, ops.sigmoid(fresh(input)))


def elu_(input, alpha=1.0):
    return write_in_place(input, elu(fresh(input), alpha))


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return write_in_place(input, hardtanh(fresh(input), min_val, max_val))


def threshold_(input, threshold, value):  # noqa: F811 - mint's parameter name
    x = fresh(input)
    return write_in_place(input, ops.where(x > threshold, x, ops.full_like(x, value)))
