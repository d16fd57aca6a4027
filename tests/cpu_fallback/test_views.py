"""Transposes, permutations and splits under the fallback (views.py): torch's values, shapes and
gradients in every argument form, contiguous memory where a row gather makes it so, and matmul
of transposed views (the attention pattern) through the kernels' transpose flags."""

from __future__ import annotations

import numpy as np
import pytest

SHAPE = (3, 4, 5)

# (id, MindSpore call, torch call, contiguous result expected): x is the (3, 4, 5) input
CASES = [
    ("Tensor.transpose-swap", lambda x: x.transpose(0, 1), lambda t: t.transpose(0, 1), True),
    ("Tensor.transpose-negative", lambda x: x.transpose(-3, -2), lambda t: t.transpose(-3, -2), True),
    ("Tensor.transpose-keywords", lambda x: x.transpose(dim0=1, dim1=0), lambda t: t.transpose(dim0=1, dim1=0), True),
    ("Tensor.transpose-last-axis", lambda x: x.transpose(1, 2), lambda t: t.transpose(1, 2), False),
    ("Tensor.transpose-permutation", lambda x: x.transpose((1, 0, 2)), lambda t: t.permute(1, 0, 2), True),
    ("Tensor.permute", lambda x: x.permute(1, 0, 2), lambda t: t.permute(1, 0, 2), True),
    ("Tensor.permute-tuple", lambda x: x.permute((1, 0, 2)), lambda t: t.permute((1, 0, 2)), True),
    ("Tensor.permute-last-axis", lambda x: x.permute(2, 0, 1), lambda t: t.permute(2, 0, 1), False),
    ("Tensor.swapaxes", lambda x: x.swapaxes(0, 1), lambda t: t.swapaxes(0, 1), True),
    ("mint.transpose", lambda x: _mint().transpose(x, 1, 0), lambda t: t.transpose(1, 0), True),
    ("mint.swapaxes", lambda x: _mint().swapaxes(x, 0, -2), lambda t: t.swapaxes(0, -2), True),
    ("mint.permute", lambda x: _mint().permute(x, (1, 0, 2)), lambda t: t.permute(1, 0, 2), True),
    ("ops.transpose", lambda x: _ops().transpose(x, (1, 0, 2)), lambda t: t.permute(1, 0, 2), True),
    ("ops.Transpose.__call__", lambda x: _ops().Transpose()(x, (1, 0, 2)), lambda t: t.permute(1, 0, 2), True),
    ("Tensor.contiguous-of-a-view", lambda x: _raw_swap(x, 0, 1).contiguous(), lambda t: t.transpose(0, 1).contiguous(),
     True),
    ("Tensor.contiguous-last-axis", lambda x: _raw_swap(x, 1, 2).contiguous(), lambda t: t.transpose(1, 2).contiguous(),
     True),
]
SPLITS = [
    ("Tensor.split-size", lambda x: x.split(2, 1), lambda t: t.split(2, 1)),
    ("Tensor.split-sections-last", lambda x: x.split([2, 3], -1), lambda t: t.split([2, 3], -1)),
    ("Tensor.split-dim-keyword", lambda x: x.split(2, dim=2), lambda t: t.split(2, dim=2)),
    ("Tensor.split-first-axis", lambda x: x.split(1), lambda t: t.split(1)),
    ("Tensor.chunk", lambda x: x.chunk(2, 1), lambda t: t.chunk(2, 1)),
    ("mint.split", lambda x: _mint().split(x, [1, 3], 1), lambda t: t.split([1, 3], 1)),
    ("mint.chunk", lambda x: _mint().chunk(x, 3, -1), lambda t: t.chunk(3, -1)),
]
DTYPES = ("float32", "float16", "bfloat16", "int64")


def _mint():
    from mindspore import mint

    return mint


def _ops():
    from mindspore import ops

    return ops


def _raw_swap(x, a, b):
    """MindSpore's own transpose view (not the fallback's), to give contiguous() a view."""
    from mindspore._c_expression import TensorPy

    perm = list(range(x.ndim))
    perm[a], perm[b] = perm[b], perm[a]
    return TensorPy.permute(x, tuple(perm))


def _inputs(dtype, helpers):
    import mindspore as ms
    import torch

    values = np.random.default_rng(0).standard_normal(SHAPE).astype(np.float32)
    if dtype == "int64":
        values = (values * 10).astype(np.int64)
        return ms.Tensor(values), torch.tensor(values)
    return ms.Tensor(values).astype(helpers.ms_dtype(dtype)), torch.tensor(values).to(helpers.torch_dtype(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,ms_call,torch_call,contiguous", CASES, ids=[c[0] for c in CASES])
def test_permutations_match_torch(name, ms_call, torch_call, contiguous, dtype, fallback, compare, helpers):
    x, t = _inputs(dtype, helpers)
    out = ms_call(x)
    compare(out, torch_call(t), dtype)
    if dtype != "bfloat16":  # Gather has no bfloat16 CPU kernel: the view stays a view
        assert out.is_contiguous() == contiguous, f"{name}: contiguous {out.is_contiguous()}"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,ms_call,torch_call", SPLITS, ids=[c[0] for c in SPLITS])
def test_splits_match_torch(name, ms_call, torch_call, dtype, fallback, compare, helpers):
    x, t = _inputs(dtype, helpers)
    pieces = ms_call(x)
    assert isinstance(pieces, tuple)
    compare(pieces, tuple(torch_call(t)), dtype)
    if dtype != "bfloat16":
        assert all(p.is_contiguous() for p in pieces), name


@pytest.mark.parametrize("name,ms_call,torch_call,contiguous", CASES, ids=[c[0] for c in CASES])
def test_permutation_gradients(name, ms_call, torch_call, contiguous, fallback, compare):
    import mindspore as ms
    import torch

    x = np.random.default_rng(1).standard_normal(SHAPE).astype(np.float32)
    t = torch.tensor(x, requires_grad=True)
    out = torch_call(t)
    cot = np.random.default_rng(2).standard_normal(tuple(out.shape)).astype(np.float32)
    (out * torch.tensor(cot)).sum().backward()
    grad = ms.grad(lambda v: (ms_call(v) * ms.Tensor(cot)).sum())(ms.Tensor(x))
    compare(grad, t.grad, what=f"{name} gradient")


@pytest.mark.parametrize("name,ms_call,torch_call", SPLITS, ids=[c[0] for c in SPLITS])
def test_split_gradients(name, ms_call, torch_call, fallback, compare):
    import mindspore as ms
    import torch

    x = np.random.default_rng(1).standard_normal(SHAPE).astype(np.float32)
    t = torch.tensor(x, requires_grad=True)
    pieces = torch_call(t)
    cots = [np.random.default_rng(3 + i).standard_normal(tuple(p.shape)).astype(np.float32) for i, p in enumerate(pieces)]
    sum((p * torch.tensor(c)).sum() for p, c in zip(pieces, cots)).backward()

    def loss(v):
        return sum((p * ms.Tensor(c)).sum() for p, c in zip(ms_call(v), cots))

    compare(ms.grad(loss)(ms.Tensor(x)), t.grad, what=f"{name} gradient")


@pytest.mark.parametrize("split", ["Tensor.split", "mint.split", "mint.chunk"])
def test_attention_from_a_fused_projection(split, fallback, compare):
    """GPT attention: a fused qkv output split three ways, heads by view + transpose, q @ k^T
    (a transposed view: the kernel's transpose flag), softmax, @ v, back by transpose +
    contiguous. Values and the gradient of the fused output as in torch (mint.split's views gave
    wrong gradients here on CPU before)."""
    import mindspore as ms
    import torch
    from mindspore import mint

    B, T, H, D = 2, 5, 3, 4
    C = H * D
    qkv = np.random.default_rng(4).standard_normal((B, T, 3 * C)).astype(np.float32)
    cot = np.random.default_rng(5).standard_normal((B, T, C)).astype(np.float32)

    def attend(x, fw, split_three):
        q, k, v = split_three(x)
        q, k, v = (a.view(B, T, H, D).transpose(1, 2) for a in (q, k, v))
        att = fw.softmax(q @ k.transpose(-2, -1) * (1.0 / D ** 0.5), -1)
        return (att @ v).transpose(1, 2).contiguous().view(B, T, C)

    splitters = {"Tensor.split": lambda x: x.split(C, 2), "mint.split": lambda x: mint.split(x, C, 2),
                 "mint.chunk": lambda x: mint.chunk(x, 3, 2)}
    t = torch.tensor(qkv, requires_grad=True)
    ref = attend(t, torch, lambda x: x.split(C, 2))
    (ref * torch.tensor(cot)).sum().backward()
    m_softmax = type("F", (), {"softmax": staticmethod(lambda a, d: mint.nn.functional.softmax(a, dim=d))})
    out = attend(ms.Tensor(qkv), m_softmax, splitters[split])
    compare(out, ref.detach())
    grad = ms.grad(lambda v: (attend(v, m_softmax, splitters[split]) * ms.Tensor(cot)).sum())(ms.Tensor(qkv))
    compare(grad, t.grad, what="gradient of the fused projection")


def test_writing_through_indexing_still_works(fallback):
    """Item assignment (MindSpore writes through its own views internally) is unaffected."""
    import mindspore as ms

    x = ms.Tensor(np.zeros((3, 4), np.float32))
    x[:, 1] = 5.0
    x[0] = ms.Tensor(np.ones(4, np.float32))
    expected = np.zeros((3, 4), np.float32)
    expected[:, 1] = 5.0
    expected[0] = 1.0
    np.testing.assert_array_equal(x.asnumpy(), expected)


def test_out_of_range_axes_raise_as_in_torch(fallback):
    import mindspore as ms

    x = ms.Tensor(np.zeros(SHAPE, np.float32))
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.transpose(3, 0)
