"""Interpolation in every mode mint accepts, against torch: values and input gradients, and a
bilinear U-Net's training step (loss, every gradient, parameters after AdamW)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

PROJECT = Path(__file__).with_name("unet_project")

SIZES = {1: (9,), 2: (9, 11), 3: (9, 11, 4)}
PER_AXIS = {1: (1.5,), 2: (1.5, 2.5), 3: (1.5, 2.5, 3.0)}
CASES = [(mode, axes, align) for mode, axes in (("linear", 1), ("bilinear", 2), ("bicubic", 2), ("trilinear", 3))
         for align in (False, True)] + [("nearest", 2, None)]


def _resizes(axes):
    return [{"scale_factor": 2.0}, {"size": SIZES[axes]}, {"scale_factor": 0.7},
            {"scale_factor": 1.7, "recompute_scale_factor": True}, {"scale_factor": PER_AXIS[axes]}]


@pytest.mark.parametrize("mode,axes,align", CASES, ids=lambda v: str(v))
def test_interpolate_matches_torch_with_gradients(mode, axes, align, fallback, compare):
    import mindspore as ms
    import torch
    from mindspore import mint

    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 5, 7, 6)[: axes + 2]).astype(np.float32)
    for resize in _resizes(axes):
        kwargs = dict(resize, mode=mode)
        if align is not None:
            kwargs["align_corners"] = align
        t_in = torch.tensor(x, requires_grad=True)
        t_out = torch.nn.functional.interpolate(t_in, **kwargs)
        cotangent = rng.standard_normal(tuple(t_out.shape)).astype(np.float32)
        (t_out * torch.tensor(cotangent)).sum().backward()
        m_out = mint.nn.functional.interpolate(ms.Tensor(x), **kwargs)
        compare(m_out, t_out, what=f"{kwargs}")
        grad = ms.grad(lambda v: (mint.nn.functional.interpolate(v, **kwargs) * ms.Tensor(cotangent)).sum())
        compare(grad(ms.Tensor(x)), t_in.grad, what=f"input grad {kwargs}")


@pytest.mark.parametrize("upsampler", ["module", "upsample", "functional"])
def test_bilinear_unet_training_step_matches_torch(upsampler, fallback):
    import torch

    from torch2ms.parity import compare_training_step

    sys.path.insert(0, str(PROJECT))
    try:
        from unet import model_ms, model_torch
    finally:
        sys.path.remove(str(PROJECT))
    torch.manual_seed(0)
    x = np.random.default_rng(0).standard_normal((2, 3, 20, 20)).astype(np.float32)
    report = compare_training_step(model_torch.UNet(upsampler), model_ms.UNet(upsampler), ((x,), {}),
                                   optimizer="adamw", optimizer_kwargs={"lr": 1e-3}, atol=1e-5, rtol=1e-5)
    assert report.ok, "\n".join(r.line() for r in report.results if not r.ok)
    assert len(report.results) > 20  # loss, every gradient, every parameter after the step

