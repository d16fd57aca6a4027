"""From the same initial weights and data, the Lightning Trainer and the plain MindSpore loop give
the same losses, validation accuracies and final weights."""

import importlib.util
from pathlib import Path

import numpy as np

from torch2ms.parity import transfer_weights

HERE = Path(__file__).parent


def load(name):
    # by path under a unique name: `train_ms` is also the name of examples/train's port
    spec = importlib.util.spec_from_file_location(f"examples_lightning_{name}", HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_same_data():
    pt, port = load("train_lightning"), load("train_ms")
    for a, b in zip(pt.make_data(32), port.make_data(32)):
        np.testing.assert_array_equal(a, b)


def test_trainer_fit_and_the_plain_loop_agree(tmp_path):
    import pytorch_lightning as pl

    pt, port = load("train_lightning"), load("train_ms")
    pl.seed_everything(0, verbose=False)
    lit = pt.Classifier()
    net = port.Classifier()
    assert transfer_weights(lit, net).ok
    want_losses, want_acc = pt.fit(lit, epochs=2, root_dir=str(tmp_path))
    got_losses, got_acc = port.fit(net, epochs=2)
    assert len(want_losses) == len(got_losses) == 8  # 4 batches x 2 epochs
    np.testing.assert_allclose(got_losses, want_losses, rtol=1e-4, atol=1e-5)
    assert want_losses[-1] < want_losses[0] - 0.1  # it really trains
    np.testing.assert_allclose(got_acc, want_acc, atol=1e-6)
    state = lit.state_dict()
    for param in net.get_parameters():
        np.testing.assert_allclose(param.asnumpy(), state[param.name].detach().numpy(), atol=1e-5,
                                   err_msg=param.name)


def test_converter_keeps_the_lightning_module_and_marks_it():
    """What `torch2ms convert` makes of the torch side: the LightningModule left whole with its
    markers, nothing half converted; the port above is what it is restructured into."""
    from torch2ms.convert.engine import convert_source

    result = convert_source((HERE / "train_lightning.py").read_text(encoding="utf-8"))
    cls = result.code.split("class Classifier", 1)[1].split("\ndef loaders", 1)[0]
    assert "LightningModule has no MindSpore counterpart" in cls
    code = "\n".join(line.split("# TODO")[0] for line in cls.splitlines())  # without the markers
    assert "nn.Linear(features, hidden)" in code and "torch.optim.Adam(self.parameters()" in code
    assert "mint." not in code and "trainable_params" not in code
    for hook in ("training_step", "configure_optimizers", "validation_step", "self.log("):
        assert hook in cls
    assert "TODO(torch2ms): pytorch_lightning.Trainer" in result.code
