"""Tensor methods without a CPU kernel, against the same torch methods."""

from __future__ import annotations

import numpy as np
import pytest


def _pair(array):
    import mindspore as ms
    import torch

    return ms.Tensor(array), torch.tensor(array)


X = np.random.default_rng(6).standard_normal((3, 4)).astype(np.float32)


@pytest.mark.parametrize("method,args,kwargs", [
    ("clone", (), {}),
    ("repeat", (2, 1), {}),
    ("repeat", ((1, 2, 3),), {}),
    ("new_full", ((2, 2), 3.5), {}),
    ("scatter_add", (1, "index", "src"), {}),
], ids=["clone", "repeat", "repeat-new-dims", "new_full", "scatter_add"])
def test_out_of_place_methods(method, args, kwargs, fallback, compare):
    import mindspore as ms
    import torch

    m_x, t_x = _pair(X)
    index = np.array([[0, 3], [1, 1], [2, 0]])
    src = np.ones((3, 2), np.float32)
    lookup = {"index": (ms.Tensor(index), torch.tensor(index)), "src": (ms.Tensor(src), torch.tensor(src))}
    m_args = [lookup[a][0] if isinstance(a, str) else a for a in args]
    t_args = [lookup[a][1] if isinstance(a, str) else a for a in args]
    compare(getattr(m_x, method)(*m_args, **kwargs), getattr(t_x, method)(*t_args, **kwargs))


def test_differentiable_methods_pass_gradients(fallback, compare):
    import mindspore as ms
    import torch

    m_x, t_x = _pair(X)
    t_x.requires_grad_(True)
    (t_x.clone() * 2 + t_x.repeat(2, 1)[:3]).sum().backward()
    grad = ms.grad(lambda v: (v.clone() * 2 + v.repeat(2, 1)[:3]).sum())(m_x)
    compare(grad, t_x.grad)


IN_PLACE = [
    ("fill_", (2.5,), {}), ("zero_", (), {}), ("clamp_", (-0.3, 0.4), {}), ("clamp_", (), {"min": 0.1}),
    ("masked_fill_", ("mask", -1.0), {}),
    # run on CPU without the fallback but leave the tensor unchanged
    ("add_", ("other",), {"alpha": -0.5}), ("add_", (1.5,), {}), ("sub_", ("other",), {"alpha": 2.0}),
    ("mul_", ("other",), {}), ("mul_", (3.0,), {}), ("div_", ("other",), {}),
    ("div_", ("other",), {"rounding_mode": "floor"}), ("exp_", (), {}), ("floor_divide_", ("other",), {}),
    ("remainder_", ("other",), {}),
]


@pytest.mark.parametrize("on", ["tensor", "parameter"])
@pytest.mark.parametrize("method,args,kwargs", IN_PLACE,
                         ids=[f"{m}-{i}" for i, (m, *_) in enumerate(IN_PLACE)])
def test_in_place_methods_change_the_tensor(method, args, kwargs, on, fallback, compare):
    import mindspore as ms
    import torch

    m_x, t_x = _pair(X.copy())
    if on == "parameter":
        m_x = ms.Parameter(m_x, name="p")
    other = np.random.default_rng(3).uniform(0.5, 2.0, X.shape).astype(np.float32)
    inputs = {"mask": (ms.Tensor(X > 0), torch.tensor(X > 0)), "other": (ms.Tensor(other), torch.tensor(other))}
    m_args = [inputs[a][0] if isinstance(a, str) else a for a in args]
    t_args = [inputs[a][1] if isinstance(a, str) else a for a in args]
    returned = getattr(m_x, method)(*m_args, **kwargs)
    getattr(t_x, method)(*t_args, **kwargs)
    assert not np.allclose(m_x.asnumpy(), X), "the tensor did not change"
    compare(m_x, t_x, what="tensor after the in-place call")
    assert returned is m_x


def test_random_in_place_methods(fallback):
    import mindspore as ms

    x = ms.Tensor(np.zeros((200, 100), np.float32))
    x.uniform_(-2, 3)
    values = x.asnumpy()
    assert values.min() >= -2 and values.max() <= 3 and abs(values.mean() - 0.5) < 0.05
    x.normal_(1.0, 2.0)
    values = x.asnumpy()
    assert abs(values.mean() - 1.0) < 0.05 and abs(values.std() - 2.0) < 0.05
    probs = ms.Tensor(np.full((200, 100), 0.3, np.float32))
    draws = probs.bernoulli().asnumpy()
    assert set(np.unique(draws)) <= {0.0, 1.0} and abs(draws.mean() - 0.3) < 0.02


def test_unique_method(fallback, compare):
    import torch

    values = np.array([3, 1, 3, 0, 1, 7])
    m_x, t_x = _pair(values)
    compare(m_x.unique(return_counts=True), t_x.unique(return_counts=True))


@pytest.mark.parametrize("name,args", [
    ("relu_", ()), ("sigmoid_", ()), ("elu_", (0.5,)), ("hardtanh_", (-0.2, 0.3)), ("threshold_", (0.1, 9.0)),
])
def test_in_place_activations(name, args, fallback, compare):
    import mindspore as ms
    import torch
    from mindspore import mint

    m_x, t_x = _pair(X.copy())
    returned = getattr(mint.nn.functional, name)(m_x, *args)
    # torch has sigmoid_ as a tensor function, the others in torch.nn.functional
    getattr(torch.nn.functional, name, getattr(torch, name, None))(t_x, *args)
    compare(m_x, t_x, what=f"tensor after {name}")
    assert returned is m_x
    # ... and on an intermediate inside a forward pass, the gradient is torch's
    t_in = torch.tensor(X, requires_grad=True)
    t_h = t_in * 3
    getattr(torch.nn.functional, name, getattr(torch, name, None))(t_h, *args)
    t_h.sum().backward()

    def forward(x):
        h = x * 3
        getattr(mint.nn.functional, name)(h, *args)
        return h.sum()

    compare(ms.grad(forward)(ms.Tensor(X)), t_in.grad, what=f"gradient through {name}")


def test_gradients_flow_through_in_place_methods(fallback, compare):
    """In a forward pass under grad, a chain of in-place calls gives torch's value and gradient."""
    import mindspore as ms
    import torch

    other = np.full(X.shape, 0.5, np.float32)
    mask = X > 0.6

    def body(h, x, o, m):
        h.add_(o, alpha=2.0)
        h.mul_(x)
        h.sub_(o)
        h.div_(1.5)
        h.clamp_(-2.0, 3.0)
        h.masked_fill_(m, 0.25)
        h.exp_()
        return h.sum()

    t_x = torch.tensor(X, requires_grad=True)
    t_loss = body(t_x * 2, t_x, torch.tensor(other), torch.tensor(mask))
    t_loss.backward()
    forward = lambda x: body(x * 2, x, ms.Tensor(other), ms.Tensor(mask))  # noqa: E731
    m_x = ms.Tensor(X)
    compare(forward(m_x), t_loss.detach(), what="loss through in-place calls")
    compare(ms.grad(forward)(m_x), t_x.grad, what="gradient through in-place calls")


def test_in_place_on_a_view(fallback):
    """A view with its own storage layout is written through (as torch); an indexed view gets
    new data and its base does not see it (documented difference)."""
    import mindspore as ms

    base = ms.Tensor(np.ones((2, 3), np.float32))
    base.view(3, 2).mul_(3.0)
    np.testing.assert_array_equal(base.asnumpy(), np.full((2, 3), 3.0))
    row = base[0]
    row.add_(1.0)
    np.testing.assert_array_equal(row.asnumpy(), np.full(3, 4.0))
    np.testing.assert_array_equal(base.asnumpy(), np.full((2, 3), 3.0))
