"""binary_cross_entropy as torch computes it (each log clamped at -100), values and gradients,
on inputs where MindSpore's CPU kernel differs (probabilities at or near 0 and 1), and the
reconstruction + KL loss of a VAE's training step."""

from __future__ import annotations

import numpy as np
import pytest


def _probabilities(rng, shape):
    """Sigmoid outputs from wide logits, a few exactly 0 or 1 (saturated in float32) or tiny."""
    logits = rng.standard_normal(shape).astype(np.float32) * 12
    p = (1 / (1 + np.exp(-logits.astype(np.float64)))).astype(np.float32)
    p[0, :3], p[1, :3], p[2, :3] = 0.0, 1.0, 1e-20
    return p


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("weighted", [False, True])
def test_binary_cross_entropy_matches_torch(reduction, weighted, fallback, compare):
    import mindspore as ms
    import torch
    from mindspore import mint

    rng = np.random.default_rng(7)
    p = _probabilities(rng, (6, 50))
    assert (p == 0).any() and (p == 1).any() and ((p > 0) & (p < 1e-6)).any()
    target = np.where(rng.random(p.shape) < 0.5, 0.0, rng.random(p.shape)).astype(np.float32)
    target[:, :5] = 1.0
    weight = rng.random((50,)).astype(np.float32) + 0.5 if weighted else None
    inner = np.clip(p, 1e-3, 1 - 1e-3)  # gradients where torch's are finite and moderate
    for probs in (p, inner):
        t_in, t_target = torch.tensor(probs, requires_grad=True), torch.tensor(target, requires_grad=True)
        t_weight = torch.tensor(weight) if weighted else None
        t_out = torch.nn.functional.binary_cross_entropy(t_in, t_target, t_weight, reduction=reduction)
        m_weight = ms.Tensor(weight) if weighted else None

        def loss(a, b):
            return mint.nn.functional.binary_cross_entropy(a, b, m_weight, reduction=reduction)

        compare(loss(ms.Tensor(probs), ms.Tensor(target)), t_out)
        if probs is inner:
            t_out.sum().backward()
            grads = ms.grad(lambda a, b: loss(a, b).sum(), grad_position=(0, 1))(ms.Tensor(probs), ms.Tensor(target))
            compare(grads[0], t_in.grad, what="input grad")
            compare(grads[1], t_target.grad, what="target grad")


def test_bce_loss_layer_matches_torch(fallback, compare):
    import mindspore as ms
    import torch
    from mindspore import mint

    rng = np.random.default_rng(8)
    p, target = _probabilities(rng, (4, 30)), (rng.random((4, 30)) < 0.3).astype(np.float32)
    weight = rng.random((30,)).astype(np.float32)
    t_loss = torch.nn.BCELoss(torch.tensor(weight), reduction="sum")(torch.tensor(p), torch.tensor(target))
    m_loss = mint.nn.BCELoss(ms.Tensor(weight), reduction="sum")(ms.Tensor(p), ms.Tensor(target))
    compare(m_loss, t_loss)


def test_vae_training_step_loss_and_gradients_match_torch(fallback, compare):
    """The VAE of pytorch/examples: encoder, reparameterisation with the same noise on both
    sides, sigmoid decoder, BCE summed over MNIST-like images + KL, with a decoder as confident as
    after some training (sigmoid outputs of exactly 1.0 where the images are 0.9-1.0)."""
    import mindspore as ms
    import torch
    from mindspore import mint

    rng = np.random.default_rng(9)
    sizes = [(784, 64), (64, 8), (64, 8), (8, 64), (64, 784)]
    weights = [(rng.standard_normal((o, i)) / np.sqrt(i)).astype(np.float32) for i, o in sizes]
    biases = [rng.standard_normal(o).astype(np.float32) * 0.1 for _, o in sizes]
    # the digits' strokes: the same pixels in every image, grey values near 1; the rest 0
    strokes = rng.permutation(784)[:150]
    images = np.zeros((16, 784), np.float32)
    images[:, strokes] = rng.uniform(0.9, 1.0, (16, 150))
    # a trained decoder: confident on both, its sigmoid saturated to exactly 1.0 on the strokes
    biases[-1] -= 12
    biases[-1][strokes] += 32
    noise = rng.standard_normal((16, 8)).astype(np.float32)

    def vae_loss(lib, F, sigmoid, exp, params, x, eps):
        w1, w21, w22, w3, w4, b1, b21, b22, b3, b4 = params
        h = F.relu(F.linear(x, w1, b1))
        mu, logvar = F.linear(h, w21, b21), F.linear(h, w22, b22)
        z = mu + eps * exp(0.5 * logvar)
        recon = sigmoid(F.linear(F.relu(F.linear(z, w3, b3)), w4, b4))
        bce = F.binary_cross_entropy(recon, x, reduction="sum")
        kld = -0.5 * lib.sum(1 + logvar - mu * mu - exp(logvar))
        return bce + kld

    t_params = [torch.tensor(a, requires_grad=True) for a in weights + biases]
    t_loss = vae_loss(torch, torch.nn.functional, torch.sigmoid, torch.exp, t_params, torch.tensor(images),
                      torch.tensor(noise))
    t_loss.backward()
    m_params = [ms.Tensor(a) for a in weights + biases]

    def m_fn(*params):
        return vae_loss(mint, mint.nn.functional, mint.sigmoid, mint.exp, params, ms.Tensor(images), ms.Tensor(noise))

    m_loss, m_grads = ms.value_and_grad(m_fn, grad_position=tuple(range(len(m_params))))(*m_params)
    np.testing.assert_allclose(float(m_loss.asnumpy()), float(t_loss.detach()), rtol=1e-6)
    for name, m_grad, t_param in zip(["w1", "w21", "w22", "w3", "w4", "b1", "b21", "b22", "b3", "b4"], m_grads, t_params):
        scale = float(t_param.grad.abs().max())
        np.testing.assert_allclose(m_grad.asnumpy(), t_param.grad.numpy(), rtol=1e-4, atol=1e-5 * scale, err_msg=name)
