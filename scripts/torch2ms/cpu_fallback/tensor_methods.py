"""Tensor methods without a CPU kernel, and in-place arithmetic that silently does nothing on CPU
(`add_`, `sub_`, `mul_`, `div_`, `exp_`, `floor_divide_`, `remainder_` return the right values but
leave the tensor unchanged, Parameters included). In-place ones replace the tensor's data
(`assign_value`): a view taken earlier does not see the change, unlike torch."""

from __future__ import annotations

import mindspore as ms
from mindspore import Tensor, mint, ops

from torch2ms.cpu_fallback import creation, math_ops, random_ops


def clone(self, *, memory_format=None):
    return creation.clone(self)


def repeat(self, *repeats):
    if len(repeats) == 1 and isinstance(repeats[0], (tuple, list)):
        repeats = tuple(repeats[0])
    lead = len(repeats) - self.ndim
    x = self.reshape((1,) * lead + tuple(self.shape)) if lead > 0 else self
    return ops.tile(x, tuple(repeats))


def _inplace(self, value):
    self.assign_value(value.astype(self.dtype) if value.dtype != self.dtype else value)
    return self


def fill_(self, value):
    value = value.item() if isinstance(value, Tensor) else value
    return _inplace(self, creation.full(self.shape, value, dtype=self.dtype))


def zero_(self):
    return _inplace(self, creation.zeros_like(self))


def masked_fill_(self, mask, value):
    return _inplace(self, ops.masked_fill(self, mask, ops.cast(Tensor(value), self.dtype)
                                          if not isinstance(value, Tensor) else value.astype(self.dtype)))


def clamp_(self, min=None, max=None):
    return _inplace(self, ops.clamp(self, min, max))


def add_(self, other, *, alpha=1):
    return _inplace(self, mint.add(self, other, alpha=alpha))


def sub_(self, other, *, alpha=1):
    return _inplace(self, mint.sub(self, other, alpha=alpha))


def mul_(self, other):
    return _inplace(self, mint.mul(self, other))


def div_(self, other, *, rounding_mode=None):
    return _inplace(self, mint.div(self, other, rounding_mode=rounding_mode))


def exp_(self):
    return _inplace(self, mint.exp(self))


def floor_divide_(self, other):
    return _inplace(self, mint.floor_divide(self, other))


def remainder_(self, other):
    return _inplace(self, mint.remainder(self, other))


def new_full(self, size, fill_value, *, dtype=None):
    return creation.full(tuple(size), fill_value, dtype=dtype or self.dtype)


def uniform_(self, from_=0, to=1, *, generator=None):
    draws = random_ops.rand(self.shape, generator=generator, dtype=ms.float32)
    return _inplace(self, draws * (to - from_) + from_)


def normal_(self, mean=0, std=1, *, generator=None):
    draws = random_ops.randn(self.shape, generator=generator, dtype=ms.float32)
    return _inplace(self, draws * std + mean)


def bernoulli(self, *, generator=None):
    return random_ops.bernoulli(self, generator=generator)


def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
    return math_ops.unique(self, sorted, return_inverse, return_counts, dim)


def scatter_add(self, dim, index, src):
    return ops.tensor_scatter_elements(self, index, src, dim, "add")
