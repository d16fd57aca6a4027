"""The classifier of `train_accelerate.py`, trained by the plain MindSpore loop: its port.

On a CPU-only machine some mint kernels are missing in MindSpore 2.10: run it with
`torch2ms.cpu_fallback.enable()` called first, as the tests do (Ascend needs nothing).

    python train_ms.py --epochs 2

What became of each accelerate piece (README.md beside this file has the whole table):
- `Accelerator(...)`, `prepare(...)`: gone; the model, optimizer and scheduler are used as they
  are, the DataLoaders became `NumpySlicesDataset(...).batch(n)` (`shuffle=False`);
- `accelerator.backward(loss)` + `optimizer.step()` -> `grad_fn = mindspore.value_and_grad(...)`,
  `(loss, logits), grads = grad_fn(x, y)`, `optimizer(grads)`; `zero_grad()` gone;
- `accumulate(model)` with `gradient_accumulation_steps=2` -> the loss divided by 2 (accelerate's
  `backward` does that) and the gradient tuples of two micro-batches added before `optimizer`;
- `clip_grad_norm_` on the synchronising step -> `ops.clip_by_global_norm(grads, max_norm)`;
- the scheduler steps once per optimizer step, as accelerate's prepared scheduler does;
- `gather_for_metrics` -> the values themselves (one process); `loss.item()` ->
  `float(loss.asnumpy())`.
"""

import argparse
import sys

import numpy as np

import mindspore as ms
from mindspore import dataset as ds
from mindspore import mint, nn, ops
from mindspore.experimental.optim import lr_scheduler


def make_data(n, seed=0, features=8, classes=3):
    """(x, y) numpy arrays: `n` points around `classes` random centres (the torch side's data)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((classes, features)) * 2.0
    y = rng.integers(0, classes, size=n)
    x = centres[y] + rng.standard_normal((n, features))
    return x.astype(np.float32), y.astype(np.int64)


class Classifier(nn.Cell):
    def __init__(self, features=8, hidden=16, classes=3):
        super().__init__()
        self.net = nn.SequentialCell(mint.nn.Linear(features, hidden), mint.nn.ReLU(),
                                     mint.nn.Linear(hidden, classes))

    def construct(self, x):
        return self.net(x)


def warmup(step):
    return min(1.0, (step + 1) / 3)


def train(model, epochs=2, lr=1e-2, accumulation=2, max_grad_norm=0.5, batch_size=4):
    train_data = ds.NumpySlicesDataset(make_data(32, 0), column_names=["x", "y"], shuffle=False)
    eval_data = ds.NumpySlicesDataset(make_data(16, 1), column_names=["x", "y"], shuffle=False)
    train_data, eval_data = train_data.batch(batch_size), eval_data.batch(batch_size)
    optimizer = mint.optim.AdamW(model.trainable_params(), lr=lr, weight_decay=0.01)
    scheduler = lr_scheduler.LambdaLR(optimizer, warmup)

    def forward_fn(x, y):
        logits = model(x)
        return mint.nn.functional.cross_entropy(logits, y) / accumulation, logits

    grad_fn = ms.value_and_grad(forward_fn, None, optimizer.parameters, has_aux=True)
    losses, accuracies = [], []
    for _ in range(epochs):
        model.set_train(True)
        accumulated = None
        for step, (x, y) in enumerate(train_data.create_tuple_iterator(num_epochs=1)):
            (loss, _), grads = grad_fn(x, y)
            accumulated = grads if accumulated is None else tuple(a + g for a, g in zip(accumulated, grads))
            if (step + 1) % accumulation == 0:  # accelerator.sync_gradients
                optimizer(ops.clip_by_global_norm(accumulated, max_grad_norm))
                scheduler.step()
                accumulated = None
            losses.append(float(loss.asnumpy()) * accumulation)  # the loss before accelerate scales it
        model.set_train(False)
        correct = total = 0
        for x, y in eval_data.create_tuple_iterator(num_epochs=1):
            preds = model(x).asnumpy().argmax(axis=-1)
            correct += int((preds == y.asnumpy()).sum())
            total += y.shape[0]
        accuracies.append(correct / total)
    return losses, accuracies


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    ms.set_seed(args.seed)
    losses, accuracies = train(Classifier(), args.epochs)
    print(f"first loss {losses[0]:.4f} last loss {losses[-1]:.4f} accuracy {accuracies[-1]:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
