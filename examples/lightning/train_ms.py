"""The classifier of `train_lightning.py`, trained by the plain MindSpore loop: its port.

On a CPU-only machine some mint kernels are missing in MindSpore 2.10: run it with
`torch2ms.cpu_fallback.enable()` called first, as the tests do (Ascend needs nothing).

    python train_ms.py --epochs 2

What became of each Lightning piece (README.md beside this file has the whole table):
- the LightningModule -> an `nn.Cell` with the layers and `construct` (the model), and the rest
  out of the class: `training_step` -> `forward_fn` for `mindspore.value_and_grad`;
- `configure_optimizers` -> the optimizer and scheduler built once before the loop
  (`mint.optim.Adam`, `mindspore.experimental.optim.lr_scheduler.StepLR`; the scheduler steps
  once per epoch, as Lightning's default interval does);
- `Trainer.fit` -> the epoch loop: `model.set_train(True)`, `grad_fn` and `optimizer(grads)` per
  batch, then the validation loop with `model.set_train(False)`;
- `self.log` -> the list of losses; torchmetrics' `Accuracy` -> `mindspore.train.Accuracy`
  (`compute()` -> `eval()`, `reset()` -> `clear()`);
- `DataLoader(TensorDataset(...))` -> `GeneratorDataset` over numpy arrays, `shuffle=False`.
"""

import argparse
import sys

import numpy as np

import mindspore as ms
from mindspore import dataset as ds
from mindspore import mint, nn
from mindspore.experimental.optim import lr_scheduler


def make_data(n, seed=0, features=8, classes=3):
    """(x, y) numpy arrays: `n` points around `classes` random centres (the torch side's data)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((classes, features)) * 2.0
    y = rng.integers(0, classes, size=n)
    x = centres[y] + rng.standard_normal((n, features))
    return x.astype(np.float32), y.astype(np.int64)


class Classifier(nn.Cell):
    """The LightningModule's layers and forward; parameter names as in torch (`net.0.weight`)."""

    def __init__(self, features=8, hidden=16, classes=3):
        super().__init__()
        self.net = nn.SequentialCell(mint.nn.Linear(features, hidden), mint.nn.ReLU(),
                                     mint.nn.Linear(hidden, classes))

    def construct(self, x):
        return self.net(x)


def datasets(batch_size=8, seed=0):
    train = ds.NumpySlicesDataset(make_data(32, seed), column_names=["x", "y"], shuffle=False)
    val = ds.NumpySlicesDataset(make_data(16, seed + 1), column_names=["x", "y"], shuffle=False)
    return train.batch(batch_size), val.batch(batch_size)


def fit(model, epochs=2, lr=1e-2):
    """The Trainer's loop: returns each step's loss and each epoch's validation accuracy."""
    optimizer = mint.optim.Adam(model.trainable_params(), lr=lr)
    scheduler = lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    train, val = datasets()

    def forward_fn(x, y):  # training_step
        logits = model(x)
        return mint.nn.functional.cross_entropy(logits, y), logits

    grad_fn = ms.value_and_grad(forward_fn, None, optimizer.parameters, has_aux=True)
    accuracy = ms.train.Accuracy("classification")
    losses, val_accuracies = [], []
    for _ in range(epochs):
        model.set_train(True)
        for x, y in train.create_tuple_iterator(num_epochs=1):
            (loss, _), grads = grad_fn(x, y)
            optimizer(grads)
            losses.append(float(loss.asnumpy()))  # self.log("train_loss", loss)
        model.set_train(False)
        for x, y in val.create_tuple_iterator(num_epochs=1):  # validation_step
            accuracy.update(model(x), y)
        val_accuracies.append(float(accuracy.eval()))  # on_validation_epoch_end
        accuracy.clear()
        scheduler.step()
    return losses, val_accuracies


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    ms.set_seed(args.seed)
    losses, accuracies = fit(Classifier(), args.epochs)
    print(f"first loss {losses[0]:.4f} last loss {losses[-1]:.4f} val accuracy {accuracies[-1]:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
