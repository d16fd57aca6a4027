"""From the same initial weights and data, the accelerate loop and the plain MindSpore loop give
the same losses, accuracies and final weights."""

import importlib.util
from pathlib import Path

import numpy as np

from torch2ms.parity import transfer_weights

HERE = Path(__file__).parent


def load(name):
    # by path under a unique name: `train_ms` is also the name of examples/train's port
    spec = importlib.util.spec_from_file_location(f"examples_accelerate_{name}", HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_accelerate_loop_and_the_plain_loop_agree():
    import torch

    pt, port = load("train_accelerate"), load("train_ms")
    torch.manual_seed(0)
    model = pt.Classifier()
    net = port.Classifier()
    assert transfer_weights(model, net).ok
    # max_grad_norm below the gradient norm, so that clipping really acts
    want_losses, want_acc = pt.train(model, epochs=2, max_grad_norm=0.2)
    got_losses, got_acc = port.train(net, epochs=2, max_grad_norm=0.2)
    assert len(want_losses) == len(got_losses) == 16  # 8 micro-batches x 2 epochs
    np.testing.assert_allclose(got_losses, want_losses, rtol=1e-4, atol=1e-5)
    assert np.mean(want_losses[-4:]) < np.mean(want_losses[:4]) - 0.1  # it really trains
    assert got_acc == want_acc
    state = model.state_dict()
    for param in net.get_parameters():
        np.testing.assert_allclose(param.asnumpy(), state[param.name].detach().numpy(), atol=1e-5,
                                   err_msg=param.name)


def test_converter_marks_every_accelerate_piece():
    """What `torch2ms convert` makes of the torch side: the torch code converted, each accelerate
    call marked with the piece of the loop that the port above holds in its place."""
    from torch2ms.convert.engine import convert_source

    code = convert_source((HERE / "train_accelerate.py").read_text(encoding="utf-8")).code
    assert "mint.optim.AdamW(model.trainable_params(), lr=lr, weight_decay=0.01)" in code
    for text in ("accelerate.Accelerator: no MindSpore counterpart", "accelerator.prepare(): nothing to prepare",
                 "accelerator.accumulate(): gradient accumulation", "accelerator.backward(): the value_and_grad step",
                 "accelerator.sync_gradients: True on the micro-batch", "accelerator.clip_grad_norm_(): grads = ",
                 "accelerator.gather_for_metrics(): one process"):
        assert f"TODO(torch2ms): {text}" in code, text
    assert "ms.set_seed(args.seed)" in code
