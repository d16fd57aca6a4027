"""A small classifier trained with Hugging Face accelerate (the "before" side of examples/accelerate/).

The usual accelerate loop: `Accelerator(gradient_accumulation_steps=2)`, `prepare`, `accumulate`,
`backward`, `clip_grad_norm_` on the synchronising steps, an AdamW optimizer with a warm-up
schedule, and an evaluation with `gather_for_metrics`:

    python train_accelerate.py --epochs 2

The data is synthetic: three Gaussian blobs in 8 dimensions. The loss of every micro-batch and the
evaluation accuracy of every epoch are returned so that the port can be compared with it.
"""

import argparse
import sys

import numpy as np
import torch
import torch.nn.functional as F
from accelerate import Accelerator
from accelerate.utils import set_seed
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


def make_data(n, seed=0, features=8, classes=3):
    """(x, y) numpy arrays: `n` points around `classes` random centres."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((classes, features)) * 2.0
    y = rng.integers(0, classes, size=n)
    x = centres[y] + rng.standard_normal((n, features))
    return x.astype(np.float32), y.astype(np.int64)


class Classifier(nn.Module):
    def __init__(self, features=8, hidden=16, classes=3):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(features, hidden), nn.ReLU(), nn.Linear(hidden, classes))

    def forward(self, x):
        return self.net(x)


def warmup(step):
    return min(1.0, (step + 1) / 3)


def train(model, epochs=2, lr=1e-2, accumulation=2, max_grad_norm=0.5, batch_size=4):
    accelerator = Accelerator(cpu=True, gradient_accumulation_steps=accumulation)
    train_data = TensorDataset(*(torch.from_numpy(a) for a in make_data(32, 0)))
    eval_data = TensorDataset(*(torch.from_numpy(a) for a in make_data(16, 1)))
    train_loader = DataLoader(train_data, batch_size=batch_size)
    eval_loader = DataLoader(eval_data, batch_size=batch_size)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, warmup)
    model, optimizer, train_loader, eval_loader, scheduler = accelerator.prepare(
        model, optimizer, train_loader, eval_loader, scheduler)
    losses, accuracies = [], []
    for _ in range(epochs):
        model.train()
        for x, y in train_loader:
            with accelerator.accumulate(model):
                loss = F.cross_entropy(model(x), y)
                accelerator.backward(loss)
                if accelerator.sync_gradients:
                    accelerator.clip_grad_norm_(model.parameters(), max_grad_norm)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad()
            losses.append(loss.item())
        model.eval()
        correct = total = 0
        for x, y in eval_loader:
            with torch.no_grad():
                preds = model(x).argmax(dim=-1)
            preds, y = accelerator.gather_for_metrics((preds, y))
            correct += (preds == y).sum().item()
            total += y.numel()
        accuracies.append(correct / total)
    return losses, accuracies


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    set_seed(args.seed)
    losses, accuracies = train(Classifier(), args.epochs)
    print(f"first loss {losses[0]:.4f} last loss {losses[-1]:.4f} accuracy {accuracies[-1]:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
