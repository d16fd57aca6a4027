"""Dropout: identity in inference; in training a Bernoulli keep-mask scaled by 1/(1-p), drawn
and scaled on the host, so the whole op is one multiplication."""

from __future__ import annotations

from torch2ms.cpu_fallback import random_ops


def _drop(input, p, training, mask_shape):
    """Zero with probability p along a mask broadcast over `input`, scale the rest by 1/(1-p)."""
    if p < 0 or p > 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return input
    if p == 1:
        return input * 0
    return input * random_ops.keep_mask(mask_shape, 1.0 - p, input.dtype)


def dropout(input, p=0.5, training=True, inplace=False):
    return _drop(input, p, training, input.shape)


def dropout_construct(self, input):
    """`mint.nn.Dropout.construct`: calls the Ascend primitive directly, so patched as a method."""
    if not self.training or self.p == 0:
        return input
    return dropout(input, self.p, True)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zeroes whole channels: mask of shape (N, C, 1, 1), or (C, 1, 1) for an unbatched input."""
    lead = 1 if input.ndim == 3 else 2
    return _drop(input, p, training, tuple(input.shape[:lead]) + (1,) * (input.ndim - lead))


def dropout2d_construct(self, input):
    """`mint.nn.Dropout2d.construct`."""
    if not self.training or self.p == 0:
        return input
    return dropout2d(input, self.p, True)
