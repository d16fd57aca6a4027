"""mint.nn layers whose construct reaches a fallback op, against the torch layers, weights copied."""

from __future__ import annotations

import numpy as np
import pytest


def _param_grads(cell, loss_fn, *inputs):
    import mindspore as ms

    params = cell.trainable_params()
    grads = ms.grad(loss_fn, grad_position=None, weights=params)(*inputs)
    return {p.name.split(".")[-1]: g for p, g in zip(params, grads)}


@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_layer_norm_layer(dtype, fallback, compare, helpers):
    import mindspore as ms
    import torch
    from mindspore import mint

    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 6)).astype(np.float32)
    w, b = rng.standard_normal(6).astype(np.float32), rng.standard_normal(6).astype(np.float32)
    t = torch.nn.LayerNorm(6, eps=1e-4).to(helpers.torch_dtype(dtype))
    m = mint.nn.LayerNorm(6, eps=1e-4, dtype=helpers.ms_dtype(dtype))
    with torch.no_grad():
        t.weight.copy_(torch.tensor(w)), t.bias.copy_(torch.tensor(b))
    m.weight.set_data(ms.Tensor(w).astype(helpers.ms_dtype(dtype)))
    m.bias.set_data(ms.Tensor(b).astype(helpers.ms_dtype(dtype)))
    tx = torch.tensor(x).to(helpers.torch_dtype(dtype))
    mx = ms.Tensor(x).astype(helpers.ms_dtype(dtype))
    compare(m(mx), t(tx), dtype)

    t(tx).float().pow(2).sum().backward()
    grads = _param_grads(m, lambda v: m(v).astype(ms.float32).pow(2).sum(), mx)
    compare(grads["weight"], t.weight.grad, dtype, "weight grad")
    compare(grads["bias"], t.bias.grad, dtype, "bias grad")


def test_embedding_layer_with_padding(fallback, compare):
    import mindspore as ms
    import torch
    from mindspore import mint

    rng = np.random.default_rng(1)
    w = rng.standard_normal((9, 4)).astype(np.float32)
    ids = np.array([[0, 2, 2, 8], [1, 0, 5, 2]])
    t = torch.nn.Embedding(9, 4, padding_idx=2)
    m = mint.nn.Embedding(9, 4, padding_idx=2)
    with torch.no_grad():
        t.weight.copy_(torch.tensor(w))
    m.weight.set_data(ms.Tensor(w))
    compare(m(ms.Tensor(ids)), t(torch.tensor(ids)))
    cot = rng.standard_normal((2, 4, 4)).astype(np.float32)
    (t(torch.tensor(ids)) * torch.tensor(cot)).sum().backward()
    grads = _param_grads(m, lambda i: (m(i) * ms.Tensor(cot)).sum(), ms.Tensor(ids))
    compare(grads["weight"], t.weight.grad, what="weight grad (padding row stays zero)")


def test_dropout_layer_eval_is_identity_and_train_masks(fallback):
    import mindspore as ms
    from mindspore import mint

    x = ms.Tensor(np.ones((200, 100), np.float32))
    layer = mint.nn.Dropout(p=0.25)
    layer.set_train(False)
    np.testing.assert_array_equal(layer(x).asnumpy(), x.asnumpy())
    layer.set_train(True)
    out = layer(x).asnumpy()
    kept = out != 0
    assert abs(kept.mean() - 0.75) < 0.02, kept.mean()
    np.testing.assert_allclose(out[kept], 1 / 0.75, rtol=1e-6)
    assert not np.array_equal(layer(x).asnumpy(), out), "two training calls drew the same mask"


def test_dropout_gradient_is_the_scaled_mask(fallback):
    import mindspore as ms
    from mindspore import mint

    x = ms.Tensor(np.random.default_rng(2).standard_normal((50, 40)).astype(np.float32))
    ms.manual_seed(7)
    out = mint.nn.functional.dropout(x, p=0.5).asnumpy()
    ms.manual_seed(7)
    grad = ms.grad(lambda v: mint.nn.functional.dropout(v, p=0.5).sum())(x).asnumpy()
    np.testing.assert_allclose(grad, (out != 0) * 2.0, rtol=1e-6)


def test_gelu_layer(fallback, compare):
    import mindspore as ms
    import torch
    from mindspore import mint

    x = np.linspace(-4, 4, 33, dtype=np.float32)
    compare(mint.nn.GELU()(ms.Tensor(x)), torch.nn.GELU()(torch.tensor(x)))
    compare(mint.nn.GELU(approximate="tanh")(ms.Tensor(x)), torch.nn.GELU(approximate="tanh")(torch.tensor(x)))
