"""Losses: cross_entropy and nll_loss (on log_softmax), binary_cross_entropy as torch computes it, and others."""

from __future__ import annotations

import mindspore as ms
from mindspore import ops
from mindspore.ops.function.nn_func import nllloss_impl as _nllloss

from torch2ms.cpu_fallback._common import bf16_via_fp32, constant


def _reduce(loss, reduction, denominator=None):
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.sum() / denominator if denominator is not None else loss.mean()
    raise ValueError(f"reduction must be 'none', 'mean' or 'sum', got {reduction!r}")


def _class_axis_last(x):
    # (N, C, d1, ...) -> (N, d1, ..., C); (C,) stays
    return ops.moveaxis(x, 1, -1) if x.ndim > 1 else x


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """MindSpore's NLLLoss kernel (one op forward, one backward; it takes 2-D input on CPU): the
    class axis moved last and the rest flattened, a missing weight a shared constant of ones."""
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"reduction must be 'none', 'mean' or 'sum', got {reduction!r}")
    classes = input.shape[1] if input.ndim > 1 else input.shape[0]
    flat = input.reshape(1, classes) if input.ndim == 1 else (
        input if input.ndim == 2 else _class_axis_last(input).reshape(-1, classes))
    w = constant(1.0, (classes,), input.dtype) if weight is None else weight
    loss = _nllloss(flat, target.reshape(-1), w, reduction, ignore_index)[0]
    return loss.reshape(target.shape) if reduction == "none" else loss


_SPARSE_CE = ops.SparseSoftmaxCrossEntropyWithLogits()
_DENSE_CE = ops.SoftmaxCrossEntropyWithLogits()
_ONE_HOT = ops.OneHot()


def _fused_cross_entropy(input, target, ignore_index, reduction):
    """(N, C) float32 logits and class indices, no weight or smoothing: MindSpore's fused softmax
    cross-entropy kernels, whose forward also computes the gradient (log_softmax + NLLLoss and
    their two backward kernels cost 10x more). Without ignored targets and reduction 'mean', the
    sparse kernel alone; else the per-row kernel, ignored rows masked out of value and gradient."""
    labels = target if target.dtype is ms.int32 else ops.cast(target, ms.int32)
    ignored = bool((target.asnumpy() == ignore_index).any())  # the targets are host data: cheap
    if reduction == "mean" and not ignored:
        return _SPARSE_CE(input, labels)
    classes = input.shape[1]
    safe = labels if not ignored else ops.where(labels == ignore_index, ops.zeros_like(labels), labels)
    one_hot = _ONE_HOT(safe, classes, constant(1.0, (), input.dtype), constant(0.0, (), input.dtype))
    rows = _DENSE_CE(input, one_hot)[0]
    if ignored:
        valid = ops.cast(labels != ignore_index, input.dtype)
        rows = rows * valid
        if reduction == "mean":
            return rows.sum() / valid.sum()
    return _reduce(rows, reduction)


@bf16_via_fp32
def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    if (input.ndim == 2 and input.dtype is ms.float32 and weight is None and label_smoothing == 0
            and target.dtype in (ms.int64, ms.int32) and target.ndim == 1 and reduction in ("none", "mean", "sum")):
        return _fused_cross_entropy(input, target, ignore_index, reduction)
    logp = ops.log_softmax(input, 1 if input.ndim > 1 else 0)
    if target.dtype in (ms.float16, ms.float32, ms.float64):
        # class probabilities
        classes = input.shape[1] if input.ndim > 1 else input.shape[0]
        probs = target * (1 - label_smoothing) + label_smoothing / classes
        lp = _class_axis_last(logp)
        pr = _class_axis_last(probs)
        if weight is not None:
            lp = lp * weight
        loss = -(lp * pr).sum(-1)
        return _reduce(loss, reduction)
    nll = nll_loss(logp, target, weight, ignore_index, reduction)
    if label_smoothing == 0:
        return nll
    # smoothing term: mean over classes of -log p, weighted per class, ignored targets excluded
    lp = _class_axis_last(logp)
    classes = lp.shape[-1]
    valid = (target != ignore_index).astype(input.dtype)
    smooth = -(lp * weight).sum(-1) if weight is not None else -lp.sum(-1)
    smooth = smooth * valid / classes
    if reduction == "mean":
        if weight is not None:
            safe = ops.where(target != ignore_index, target, ops.zeros_like(target)).astype(ms.int32)
            denominator = (ops.gather(weight, safe, 0) * valid).sum()
        else:
            denominator = valid.sum()
        smooth = smooth.sum() / denominator
    else:
        smooth = _reduce(smooth, reduction)
    return (1 - label_smoothing) * nll + label_smoothing * smooth


@bf16_via_fp32
def l1_loss(input, target, reduction="mean"):
    return _reduce(ops.abs(input - target), reduction)


@bf16_via_fp32
def mse_loss(input, target, reduction="mean"):
    diff = input - target
    return _reduce(diff * diff, reduction)


@bf16_via_fp32
def kl_div(input, target, reduction="mean", log_target=False):
    if log_target:
        pointwise = ops.exp(target) * (target - input)
    else:
        safe = ops.where(target > 0, target, ops.ones_like(target))
        pointwise = ops.where(target > 0, target * (ops.log(safe) - input), ops.zeros_like(target))
    if reduction == "batchmean":
        return pointwise.sum() / input.shape[0]
    return _reduce(pointwise, reduction)


@bf16_via_fp32
def soft_margin_loss(input, target, reduction="mean"):
    return _reduce(ops.softplus(-target * input), reduction)


@bf16_via_fp32
def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction="mean"):
    eps = 1e-12  # torch's EPSILON in the cosine
    dot = (input1 * input2).sum(-1)
    norms = ops.sqrt(((input1 * input1).sum(-1) + eps) * ((input2 * input2).sum(-1) + eps))
    cos = dot / norms
    zeros = ops.zeros_like(cos)
    loss = ops.where(target == 1, 1 - cos, ops.maximum(zeros, cos - margin))
    loss = ops.where((target == 1) | (target == -1), loss, zeros)
    return _reduce(loss, reduction)


@bf16_via_fp32
def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """torch's formula, -(t log(p) + (1 - t) log(1 - p)) with each log clamped at -100, and
    torch's gradient, (p - t) / max(p (1 - p), 1e-12). MindSpore's CPU kernel (it runs) computes
    log(p + 1e-12) instead: -27.6 where torch has -100 at p = 0 or 1, and 1% off on the small
    losses of targets at 0 (a VAE's BCE summed over MNIST pixels moved by 3e-4)."""
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"reduction must be 'none', 'mean' or 'sum', got {reduction!r}")
    p, t = ops.stop_gradient(input), ops.stop_gradient(target)
    floor = constant(-100.0, (), input.dtype)
    log_p = ops.maximum(ops.log(p), floor)
    log_q = ops.maximum(ops.log(1 - p), floor)
    value = -(t * log_p + (1 - t) * log_q)
    d_input = (p - t) / ops.maximum(p * (1 - p), constant(1e-12, (), input.dtype))
    d_target = log_q - log_p
    if weight is not None:
        value, d_input, d_target = value * weight, d_input * weight, d_target * weight
    # the value as computed, the derivatives as torch's backward gives them
    loss = value + (input - p) * d_input + (target - t) * d_target
    return _reduce(loss, reduction)


def bce_loss_construct(self, input, target):
    """`mint.nn.BCELoss.construct` (it holds a mindspore.nn.BCELoss)."""
    return binary_cross_entropy(input, target, self.bce_loss.weight, self.bce_loss.reduction)
