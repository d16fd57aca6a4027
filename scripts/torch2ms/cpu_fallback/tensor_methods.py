"""Tensor methods without a CPU kernel, and in-place arithmetic that silently does nothing on CPU
(`add_`, `sub_`, `mul_`, `div_`, `exp_`, `floor_divide_`, `remainder_` return the right values but
leave the tensor unchanged, Parameters included).

In-place ones compute the result out of place from a copy of the tensor, then write it with
`Tensor.copy_`, which runs on CPU and is recorded by autograd as torch's in-place ops are (so
gradients through them are right). `copy_` has no CPU kernel for views of a larger storage
(`x[0]`, slices, transposes): those get new data instead (`assign_value`), so the tensor they
were taken from does not see the change, unlike torch, and no gradient flows through the write."""

from __future__ import annotations

import mindspore as ms
from mindspore import Tensor, mint, ops

from torch2ms.cpu_fallback import creation, math_ops, random_ops
from torch2ms.cpu_fallback._common import fresh as _fresh
from torch2ms.cpu_fallback._common import write_in_place as _inplace


def clone(self, *, memory_format=None):
    return creation.clone(self)


def repeat(self, *repeats):
    if len(repeats) == 1 and isinstance(repeats[0], (tuple, list)):
        repeats = tuple(repeats[0])
    lead = len(repeats) - self.ndim
    x = self.reshape((1,) * lead + tuple(self.shape)) if lead > 0 else self
    return ops.tile(x, tuple(repeats))


def fill_(self, value):
    value = value.item() if isinstance(value, Tensor) else value
    return _inplace(self, creation.full(self.shape, value, dtype=self.dtype))


def zero_(self):
    return _inplace(self, creation.zeros_like(self))


def masked_fill_(self, mask, value):
    return _inplace(self, ops.masked_fill(_fresh(self), mask, ops.cast(Tensor(value), self.dtype)
                                          if not isinstance(value, Tensor) else value.astype(self.dtype)))


def clamp_(self, min=None, max=None):
    return _inplace(self, ops.clamp(_fresh(self), min, max))


def add_(self, other, *, alpha=1):
    return _inplace(self, mint.add(_fresh(self), other, alpha=alpha))


def sub_(self, other, *, alpha=1):
    return _inplace(self, mint.sub(_fresh(self), other, alpha=alpha))


def mul_(self, other):
    return _inplace(self, mint.mul(_fresh(self), other))


def div_(self, other, *, rounding_mode=None):
    return _inplace(self, mint.div(_fresh(self), other, rounding_mode=rounding_mode))


def exp_(self):
    return _inplace(self, mint.exp(_fresh(self)))


def floor_divide_(self, other):
    return _inplace(self, mint.floor_divide(_fresh(self), other))


def remainder_(self, other):
    return _inplace(self, mint.remainder(_fresh(self), other))


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
