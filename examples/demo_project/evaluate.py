"""Validation metrics of a checkpoint: loss, perplexity and next-character accuracy.

The port to MindSpore was started here: the metric helpers below already use mindspore.mint,
the evaluation loop is still PyTorch.
"""

import argparse
import math

import numpy as np
import torch
import mindspore
from mindspore import mint

from data import load_splits, make_loader
from infer import load_model


def perplexity(mean_loss):
    return math.exp(mean_loss)


def accuracy(logits, targets):
    """Share of positions where the most likely next character is the right one (MindSpore)."""
    logits = mindspore.Tensor(logits, mindspore.float32)
    targets = mindspore.Tensor(targets, mindspore.int32)
    predicted = mint.max(logits, dim=-1)[1]
    return float(mint.mean((predicted == targets).astype(mindspore.float32)).asnumpy())


def evaluate(model, loader, batches=8):
    model.eval()
    losses, accs = [], []
    with torch.no_grad():
        for i, (x, y) in enumerate(loader):
            if i == batches:
                break
            logits, loss = model(x, y)
            losses.append(loss.item())
            accs.append(accuracy(logits.numpy(), y.numpy().astype(np.int32)))
    mean_loss = sum(losses) / len(losses)
    return {"loss": mean_loss, "perplexity": perplexity(mean_loss), "accuracy": sum(accs) / len(accs)}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ckpt", default="tinygpt.pt")
    p.add_argument("--batch-size", type=int, default=16)
    args = p.parse_args(argv)
    model, _ = load_model(args.ckpt)
    _, val_set, _ = load_splits(model.config.block_size)
    metrics = evaluate(model, make_loader(val_set, args.batch_size, shuffle=False))
    print(" ".join(f"{k} {v:.4f}" for k, v in metrics.items()))
    return metrics


if __name__ == "__main__":
    main()
