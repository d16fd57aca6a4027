"""Training-step parity: loss, every gradient, and the parameters after one step."""

import pytest

from torch2ms.parity import assert_training_parity, compare_training_step


def sgd_pair(lr=0.1):
    """torch SGD and mindspore.nn.SGD: the same update rule (no momentum); a custom pair that runs
    on CPU without the fallback (mint.optim.SGD needs it: see the test below)."""
    import mindspore
    import torch

    return (lambda params: torch.optim.SGD(params, lr=lr)), (lambda params: mindspore.nn.SGD(params, learning_rate=lr))


def test_a_correct_port_matches_loss_gradients_and_step(toy_pair, toy_input):
    torch_model, port = toy_pair()
    report = assert_training_parity(torch_model, port, (toy_input,), output="logits", optimizer=sgd_pair())
    paths = [r.path for r in report.results]
    n_params = len(list(torch_model.parameters()))
    assert paths[0] == "loss"
    assert sum(p.startswith("grad:") for p in paths) == n_params == sum(p.startswith("param:") for p in paths)
    # the step really moved the weights (on both sides, as they agree)
    moved = port.head.weight.asnumpy() - torch_model.head.weight.detach().numpy()
    assert abs(moved).max() < 1e-5


@pytest.mark.parametrize("optimizer,kwargs", [
    ("sgd", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("adam", {"lr": 0.01, "amsgrad": True}),
])
def test_mint_sgd_and_adam_through_the_cpu_fallback_match_torch(optimizer, kwargs, toy_pair, toy_input):
    from torch2ms import cpu_fallback

    torch_model, port = toy_pair()
    before = port.head.weight.asnumpy().copy()
    with cpu_fallback.enabled():
        report = compare_training_step(torch_model, port, (toy_input,), output="logits",
                                       optimizer=optimizer, optimizer_kwargs=kwargs)
    assert report.ok, report.summary()
    assert abs(port.head.weight.asnumpy() - before).max() > 1e-4, "the mint.optim step did not move the weights"


def test_mint_adamw_through_the_cpu_fallback_matches_torch_adamw(toy_pair, toy_input):
    from torch2ms import cpu_fallback

    torch_model, port = toy_pair()
    with cpu_fallback.enabled():
        report = compare_training_step(torch_model, port, (toy_input,), output="logits", optimizer="adamw")
    assert report.ok, report.summary()
    assert report.extra["optimizer"] == "AdamW"
    # the key biases get a zero gradient under softmax: their Adam step follows rounding noise
    noted = {r.path for r in report.results if r.problem.startswith("not compared: its gradient vanishes")}
    assert noted <= {"param:blocks.0.attn.k_proj.bias", "param:blocks.1.attn.k_proj.bias"}


def test_a_wrong_gradient_is_caught_where_forward_parity_is_blind(toy_pair, toy_input):
    from torch2ms.parity import compare

    torch_model, port = toy_pair(fault="stop_gradient")
    assert compare(torch_model, port, (toy_input,)).ok  # the forward pass is unchanged
    torch_model, port = toy_pair(fault="stop_gradient")
    report = compare_training_step(torch_model, port, (toy_input,), output="logits", optimizer=sgd_pair())
    assert not report.ok
    failing = {r.path for r in report.failures}
    assert "grad:blocks.0.mlp.fc1.weight" in failing and "grad:blocks.1.mlp.fc1.weight" not in failing
    assert "loss" not in failing
    assert "nearest the loss (last in registration order): blocks.0.mlp.fc1.bias" in report.summary()


def test_a_step_that_does_not_update_is_caught(toy_pair, toy_input):
    import mindspore
    import torch

    class NoStep(mindspore.nn.Cell):  # an optimizer that never writes the parameters
        def __init__(self, params):
            super().__init__()
            self.parameters = params

        def construct(self, grads):
            return True

    torch_model, port = toy_pair()
    optimizer = (lambda params: torch.optim.SGD(params, lr=0.1)), NoStep
    report = compare_training_step(torch_model, port, (toy_input,), output="logits", optimizer=optimizer)
    failing = {r.path for r in report.failures}
    assert failing and all(p.startswith("param:") for p in failing)
    assert "the optimizer step diverges" in report.summary()
    assert "the MindSpore step left every parameter unchanged" in report.summary()


def test_mse_loss_agrees_and_sees_a_broken_norm(toy_pair, toy_input):
    torch_model, port = toy_pair()
    assert compare_training_step(torch_model, port, (toy_input,), loss="mse", optimizer=sgd_pair()).ok
    torch_model, port = toy_pair(fault="wrong_eps")
    report = compare_training_step(torch_model, port, (toy_input,), loss="mse", optimizer=sgd_pair())
    assert "loss" in {r.path for r in report.failures}


def test_unknown_optimizer_and_loss_are_refused(toy_pair, toy_input):
    torch_model, port = toy_pair()
    with pytest.raises(ValueError, match="unknown optimizer 'lion'"):
        compare_training_step(torch_model, port, (toy_input,), optimizer="lion")
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        compare_training_step(torch_model, port, (toy_input,), loss="hinge")


def test_a_step_on_a_vanishing_gradient_is_not_held_against_the_port():
    import numpy as np

    from torch2ms.parity.metrics import compare_leaf, resolve_tolerances
    from torch2ms.parity.training import _vanishing_gradient_step
    from torch2ms.parity.values import Leaf

    table = resolve_tolerances()
    ref = {"grad:b": Leaf(np.float32([1e-9, -1e-9]), "float32"), "param:b": Leaf(np.float32([0.1, -0.1]), "float32")}
    got = {"grad:b": Leaf(np.float32([-1e-9, -1e-9]), "float32"), "param:b": Leaf(np.float32([-0.1, -0.1]), "float32")}
    failing = compare_leaf("param:b", ref["param:b"], got["param:b"], table)
    assert not failing.ok
    passed = _vanishing_gradient_step(failing, ref, got, table)
    assert passed.ok and "gradient vanishes" in passed.line()
    ref["grad:b"] = Leaf(np.float32([1e-3, 0.0]), "float32")  # a real gradient: the step counts
    assert not _vanishing_gradient_step(failing, ref, got, table).ok
