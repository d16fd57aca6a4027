"""Embedding lookup as a gather on the weight's first axis."""

from __future__ import annotations

import mindspore as ms
from mindspore import ops

from torch2ms.cpu_fallback._common import bf16_via_fp32


@bf16_via_fp32
def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False):
    if scale_grad_by_freq:
        raise NotImplementedError("cpu_fallback.embedding: scale_grad_by_freq=True is not implemented")
    out = ops.gather(weight, input, 0)
    if max_norm is not None:
        # mint/torch renormalise the looked-up rows (torch also rewrites them in the weight in
        # place; here only the output is scaled).
        norms = ops.pow(ops.sum(ops.pow(ops.abs(out), norm_type), -1, keepdim=True), 1.0 / norm_type)
        scale = ops.where(norms > max_norm, max_norm / (norms + 1e-7), ops.ones_like(norms))
        out = out * ops.stop_gradient(scale)
    if padding_idx is not None:
        if padding_idx < 0:
            padding_idx += weight.shape[0]
        # The padding row gets no gradient, its value is returned unchanged.
        keep = ops.expand_dims(input != padding_idx, -1)
        out = ops.where(keep, out, ops.stop_gradient(out))
    return out

