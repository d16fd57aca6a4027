"""mint.optim optimisers against torch.optim: several steps, two parameter groups, same gradients.

On CPU, mint.optim.SGD and Adam update through in-place Tensor methods (`add_`, `mul_`) that
silently do nothing there, and AdamW needs an Ascend-only kernel: the fallback covers both.
"""

from __future__ import annotations

import numpy as np
import pytest

SHAPES = {"w1": (3, 2), "w2": (2, 4), "b": (4,)}
STEPS = 4


def _pairs(seed=0):
    """The same initial values as torch Parameters and MindSpore Parameters, by name."""
    import mindspore as ms
    import torch

    rng = np.random.default_rng(seed)
    values = {name: rng.standard_normal(shape).astype(np.float32) for name, shape in SHAPES.items()}
    torch_params = {n: torch.nn.Parameter(torch.tensor(v)) for n, v in values.items()}
    ms_params = {n: ms.Parameter(ms.Tensor(v), name=n) for n, v in values.items()}
    return torch_params, ms_params


def _groups(params, second_group):
    """Two groups: the first on the defaults, the second with its own options."""
    return [{"params": [params["w1"]]}, {"params": [params["w2"], params["b"]], **second_group}]


def _run(name, kwargs, second_group, scheduler=None, ms_family="mint", torch_scheduler=True, seed=0):
    """Step both sides STEPS times with the same random gradients; return both parameter sets.

    `ms_family`: "mint" for mindspore.mint.optim, "experimental" for mindspore.experimental.optim.
    """
    import mindspore as ms
    import mindspore.experimental.optim as experimental_optim
    import torch
    from mindspore import mint
    from mindspore.experimental.optim import lr_scheduler as ms_sched

    torch_params, ms_params = _pairs(seed)
    ms_optim = {"mint": mint.optim, "experimental": experimental_optim}[ms_family]
    t_opt = getattr(torch.optim, name)(_groups(torch_params, second_group), **kwargs)
    m_opt = getattr(ms_optim, name)(_groups(ms_params, second_group), **kwargs)
    schedulers = []
    if scheduler:
        schedulers = [scheduler(ms_sched, m_opt)]
        if torch_scheduler:
            schedulers.append(scheduler(torch.optim.lr_scheduler, t_opt))
    rng = np.random.default_rng(seed + 1)
    order = list(SHAPES)  # the optimiser's parameter order: group by group
    for _ in range(STEPS):
        grads = {n: rng.standard_normal(SHAPES[n]).astype(np.float32) for n in order}
        for n, p in torch_params.items():
            p.grad = torch.tensor(grads[n])
        t_opt.step()
        m_opt(tuple(ms.Tensor(grads[n]) for n in order))
        for s in schedulers:
            s.step(1.0) if type(s).__name__ == "ReduceLROnPlateau" else s.step()  # a flat metric
    return ms_params, torch_params


SGD_CASES = {
    "plain": ({"lr": 0.1}, {}),
    "momentum": ({"lr": 0.1, "momentum": 0.9}, {"lr": 0.05}),
    "dampening-decay": ({"lr": 0.1, "momentum": 0.8, "dampening": 0.3}, {"weight_decay": 0.1}),
    "nesterov": ({"lr": 0.1, "momentum": 0.9, "nesterov": True}, {"lr": 0.02, "weight_decay": 0.05}),
    "maximize": ({"lr": 0.1, "momentum": 0.5, "maximize": True}, {"momentum": 0.0}),
}
ADAM_CASES = {
    "default": ({"lr": 0.05}, {}),
    "amsgrad": ({"lr": 0.05, "amsgrad": True}, {"lr": 0.01}),
    "decay": ({"lr": 0.05, "weight_decay": 0.1}, {"weight_decay": 0.0, "betas": (0.8, 0.99)}),
    "maximize-amsgrad": ({"lr": 0.05, "maximize": True, "amsgrad": True}, {"eps": 1e-3}),
}
ADAMW_CASES = {
    "default": ({"lr": 0.05}, {}),
    "amsgrad-decay": ({"lr": 0.05, "weight_decay": 0.1, "amsgrad": True}, {"lr": 0.01}),
    "maximize": ({"lr": 0.05, "maximize": True}, {"weight_decay": 0.0}),
}
CASES = [("SGD", c, *v) for c, v in SGD_CASES.items()] + [("Adam", c, *v) for c, v in ADAM_CASES.items()] \
    + [("AdamW", c, *v) for c, v in ADAMW_CASES.items()]


@pytest.mark.parametrize("name,case,kwargs,second_group", CASES, ids=[f"{n}-{c}" for n, c, *_ in CASES])
def test_optimizer_matches_torch(name, case, kwargs, second_group, fallback, compare):
    ms_params, torch_params = _run(name, kwargs, second_group)
    initial, _ = _pairs()
    for n in SHAPES:
        assert not np.allclose(ms_params[n].asnumpy(), initial[n].detach().numpy()), f"{n} was not updated"
        compare(ms_params[n], torch_params[n].detach(), what=f"{name} {case}: {n} after {STEPS} steps")


@pytest.mark.parametrize("amsgrad", [False, True], ids=["plain", "amsgrad"])
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_adamw_half_precision_parameters_match_torch(dtype, amsgrad, fallback, compare, helpers):
    """Float32 parameters take the fused kernel; float16 and bfloat16 ones the op-by-op step
    (bfloat16 in float32: Assign has no bfloat16 CPU kernel), in their own dtype as in torch."""
    import mindspore as ms
    import torch
    from mindspore import mint

    rng = np.random.default_rng(3)
    values = {n: rng.standard_normal(shape).astype(np.float32) for n, shape in SHAPES.items()}
    ms_params = [ms.Parameter(ms.Tensor(v).astype(helpers.ms_dtype(dtype)), name=n) for n, v in values.items()]
    torch_params = [torch.nn.Parameter(torch.tensor(v).to(helpers.torch_dtype(dtype))) for v in values.values()]
    kwargs = {"lr": 0.05, "weight_decay": 0.1, "amsgrad": amsgrad}
    m_opt, t_opt = mint.optim.AdamW(ms_params, **kwargs), torch.optim.AdamW(torch_params, **kwargs)
    for _ in range(STEPS):
        grads = [rng.standard_normal(v.shape).astype(np.float32) for v in values.values()]
        for p, g in zip(torch_params, grads):
            p.grad = torch.tensor(g).to(p.dtype)
        t_opt.step()
        m_opt(tuple(ms.Tensor(g).astype(p.dtype) for p, g in zip(ms_params, grads)))
    for n, m, t in zip(values, ms_params, torch_params):
        assert not np.allclose(helpers.to_numpy(m), values[n], atol=1e-2), f"{n} was not updated"
        compare(m, t.detach(), dtype, what=f"AdamW {dtype}: {n} after {STEPS} steps")


def _scheduler(cls, **kwargs):
    """A builder that makes the same scheduler from torch's or MindSpore's lr_scheduler module."""
    return lambda module, opt: getattr(module, cls)(opt, **kwargs)


STEP_LR = _scheduler("StepLR", step_size=1, gamma=0.5)  # halves the learning rate every step
# Every scheduler of mindspore.experimental.optim.lr_scheduler (2.10) with torch's arguments.
SCHEDULERS = {
    "StepLR": STEP_LR,
    "MultiStepLR": _scheduler("MultiStepLR", milestones=[1, 3], gamma=0.5),
    "ConstantLR": _scheduler("ConstantLR", factor=0.5, total_iters=2),
    "LinearLR": _scheduler("LinearLR", start_factor=0.25, total_iters=3),
    "ExponentialLR": _scheduler("ExponentialLR", gamma=0.7),
    "PolynomialLR": _scheduler("PolynomialLR", total_iters=4, power=2.0),
    "CosineAnnealingLR": _scheduler("CosineAnnealingLR", T_max=3),
    "CosineAnnealingWarmRestarts": _scheduler("CosineAnnealingWarmRestarts", T_0=2),
    "LambdaLR": _scheduler("LambdaLR", lr_lambda=lambda epoch: 0.5 ** epoch),
    "MultiplicativeLR": _scheduler("MultiplicativeLR", lr_lambda=lambda epoch: 0.8),
    # MindSpore's CyclicLR has no cycle_momentum: it never cycles momentum (torch does by default)
    "CyclicLR": lambda module, opt: module.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=2, **(
        {"cycle_momentum": False} if module.__name__.startswith("torch") else {})),
    "ReduceLROnPlateau": _scheduler("ReduceLROnPlateau", factor=0.5, patience=0),
    "SequentialLR": lambda module, opt: module.SequentialLR(opt, schedulers=[
        module.ConstantLR(opt, factor=0.5, total_iters=2), module.ExponentialLR(opt, gamma=0.7)],
        milestones=[2]),
}


@pytest.mark.parametrize("family,name,kwargs", [
    ("mint", "Adam", {"lr": 0.05}), ("mint", "AdamW", {"lr": 0.05}),
    ("experimental", "SGD", {"lr": 0.1, "momentum": 0.9})])
def test_optimizer_follows_a_scheduler(family, name, kwargs, fallback, compare):
    ms_params, torch_params = _run(name, kwargs, {}, scheduler=STEP_LR, ms_family=family)
    for n in SHAPES:
        compare(ms_params[n], torch_params[n].detach(), what=f"{family} {name} with StepLR: {n}")


@pytest.mark.parametrize("scheduler", sorted(SCHEDULERS))
def test_every_scheduler_drives_mint_adamw_as_in_torch(scheduler, fallback, compare):
    ms_params, torch_params = _run("AdamW", {"lr": 0.05}, {"lr": 0.02}, scheduler=SCHEDULERS[scheduler])
    for n in SHAPES:
        compare(ms_params[n], torch_params[n].detach(), what=f"mint AdamW with {scheduler}: {n}")


def test_the_scheduler_list_is_complete():
    """SCHEDULERS names every scheduler MindSpore has; torch's others have no counterpart."""
    import torch
    from mindspore.experimental.optim import lr_scheduler

    def names(module):
        return {n for n in dir(module) if n.endswith("LR") or n in (
            "ReduceLROnPlateau", "CosineAnnealingWarmRestarts", "ChainedScheduler")} - {"LRScheduler"}

    ours = names(lr_scheduler)
    assert ours == set(SCHEDULERS)
    assert names(torch.optim.lr_scheduler) - ours == {"OneCycleLR", "ChainedScheduler"}


def test_mint_sgd_ignores_a_scheduler(fallback, compare):
    """mint.optim.SGD (2.10) steps with `lr_float`, fixed at construction: a scheduler changes
    group["lr"] only. It matches torch run WITHOUT the scheduler. The rules say: SGD with a
    scheduler -> mindspore.experimental.optim.SGD. When this test fails, MindSpore fixed it."""
    ms_params, torch_params = _run("SGD", {"lr": 0.1, "momentum": 0.9}, {}, scheduler=STEP_LR,
                                   torch_scheduler=False)
    for n in SHAPES:
        compare(ms_params[n], torch_params[n].detach(), what=f"mint SGD under StepLR: {n}")


def test_without_the_fallback_sgd_leaves_parameters_unchanged():
    """The measured gap this covers; if MindSpore fixes it, the fallback entries can go."""
    import mindspore as ms
    from mindspore import mint

    import torch2ms.cpu_fallback as fb

    was_enabled = fb.is_enabled()  # the module's `fallback` fixture may have turned it on
    fb.disable()
    try:
        w = np.ones((2, 2), np.float32)
        param = ms.Parameter(ms.Tensor(w), name="w")
        mint.optim.SGD([param], lr=0.1)((ms.Tensor(w),))
        np.testing.assert_array_equal(param.asnumpy(), w)
        with fb.enabled():
            mint.optim.SGD([param], lr=0.1)((ms.Tensor(w),))
        np.testing.assert_allclose(param.asnumpy(), w - 0.1)
    finally:
        if was_enabled:
            fb.enable()


def test_mint_sgd_refuses_a_generator_and_trainable_params_is_the_list(fallback):
    """docs/rules/pitfalls.md: `get_parameters()` (a generator, with non-trainable parameters)
    makes mint.optim.SGD raise; `trainable_params()` is torch's `parameters()`."""
    from mindspore import mint, nn

    class Net(nn.Cell):
        def __init__(self):
            super().__init__()
            self.norm = mint.nn.BatchNorm2d(3)
            self.fc = mint.nn.Linear(2, 2)

    net = Net()
    with pytest.raises(ValueError, match="must not be empty"):
        mint.optim.SGD(net.get_parameters(), lr=0.1)
    assert "norm.running_mean" in [p.name for p in net.get_parameters()]
    opt = mint.optim.SGD(net.trainable_params(), lr=0.1)
    assert [p.name for p in opt.parameters] == ["norm.weight", "norm.bias", "fc.weight", "fc.bias"]


def one_cycle_factor(base_lr, max_lr, total_steps, pct_start=0.3, div_factor=25.0, final_div_factor=1e4):
    """torch's OneCycleLR (cosine, two phases) as a LambdaLR factor of the optimizer's `base_lr`."""
    import math

    initial, final = max_lr / div_factor, max_lr / div_factor / final_div_factor
    warm_end, end = float(pct_start * total_steps) - 1, float(total_steps - 1)

    def anneal(start, stop, pct):
        return stop + (start - stop) / 2.0 * (math.cos(math.pi * pct) + 1)

    def factor(step):
        if step <= warm_end:
            return anneal(initial, max_lr, step / warm_end) / base_lr
        return anneal(max_lr, final, (step - warm_end) / (end - warm_end)) / base_lr

    return factor


def test_one_cycle_lr_as_a_lambda_lr(fallback, compare):
    """docs/rules/markers.md: OneCycleLR -> LambdaLR with the one-cycle factor (momentum not cycled)."""
    build = lambda module, opt: (  # noqa: E731
        module.OneCycleLR(opt, max_lr=0.1, total_steps=10, cycle_momentum=False)
        if module.__name__.startswith("torch")
        else module.LambdaLR(opt, one_cycle_factor(0.05, 0.1, 10)))
    ms_params, torch_params = _run("AdamW", {"lr": 0.05}, {}, scheduler=build)
    for n in SHAPES:
        compare(ms_params[n], torch_params[n].detach(), what=f"OneCycleLR as LambdaLR: {n}")
