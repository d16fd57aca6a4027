"""Selection and ordering: index_select, argmax/argmin, topk, sort/argsort, tril."""

from __future__ import annotations

import mindspore as ms
from mindspore import ops

from torch2ms.cpu_fallback._common import bf16_via_fp32, to_int64


@bf16_via_fp32
def index_select(input, dim, index):
    return ops.gather(input, index, dim)


@bf16_via_fp32
def argmax(input, dim=None, keepdim=False):
    if dim is None:
        return to_int64(ops.argmax(input.reshape(-1), 0, False))
    return to_int64(ops.argmax(input, dim, keepdim))


@bf16_via_fp32
def argmin(input, dim=None, keepdim=False):
    if dim is None:
        return to_int64(ops.argmin(input.reshape(-1), 0, False))
    return to_int64(ops.argmin(input, dim, keepdim))


@bf16_via_fp32
def topk(input, k, dim=-1, largest=True, sorted=True):
    values, indices = ops.topk(input, k, dim, largest, sorted)
    return values, to_int64(indices)


@bf16_via_fp32
def sort(input, *, dim=-1, descending=False, stable=False):
    values, indices = ops.sort(input, dim, descending)
    return values, to_int64(indices)


def argsort(input, dim=-1, descending=False, stable=False):
    return sort(input, dim=dim, descending=descending, stable=stable)[1]


@bf16_via_fp32
def tril(input, diagonal=0):
    return ops.tril(input, diagonal)


@bf16_via_fp32
def triu(input, diagonal=0):
    return ops.triu(input, diagonal)
