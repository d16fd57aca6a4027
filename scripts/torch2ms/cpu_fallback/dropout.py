"""Dropout: identity in inference; in training a Bernoulli keep-mask scaled by 1/(1-p)."""

from __future__ import annotations

from mindspore import ops

from torch2ms.cpu_fallback import random_ops


def dropout(input, p=0.5, training=True, inplace=False):
    if p < 0 or p > 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return input
    if p == 1:
        return input * 0
    keep = random_ops.bernoulli(ops.zeros(input.shape, input.dtype), p=1.0 - p)
    return input * keep / (1.0 - p)


def dropout_construct(self, input):
    """`mint.nn.Dropout.construct`: calls the Ascend primitive directly, so patched as a method."""
    if not self.training or self.p == 0:
        return input
    return dropout(input, self.p, True)
