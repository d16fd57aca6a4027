"""A small classifier trained with PyTorch Lightning (the "before" side of examples/lightning/).

A LightningModule (layers, training_step, validation_step with a torchmetrics Accuracy,
configure_optimizers with Adam and a StepLR schedule) fitted by a Trainer for two epochs:

    python train_lightning.py --epochs 2

The data is synthetic: three Gaussian blobs in 8 dimensions. Each step's loss and each epoch's
validation accuracy are kept on the module (`losses`, `val_accuracies`) so that the port can be
compared with it.
"""

import argparse
import sys

import numpy as np
import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from torchmetrics import Accuracy


def make_data(n, seed=0, features=8, classes=3):
    """(x, y) numpy arrays: `n` points around `classes` random centres."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((classes, features)) * 2.0
    y = rng.integers(0, classes, size=n)
    x = centres[y] + rng.standard_normal((n, features))
    return x.astype(np.float32), y.astype(np.int64)


class Classifier(pl.LightningModule):
    def __init__(self, features=8, hidden=16, classes=3, lr=1e-2):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(nn.Linear(features, hidden), nn.ReLU(), nn.Linear(hidden, classes))
        self.val_acc = Accuracy(task="multiclass", num_classes=classes)
        self.losses, self.val_accuracies = [], []

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.cross_entropy(self(x), y)
        self.log("train_loss", loss)
        self.losses.append(loss.item())
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        self.val_acc(self(x), y)

    def on_validation_epoch_end(self):
        self.val_accuracies.append(float(self.val_acc.compute()))
        self.val_acc.reset()

    def configure_optimizers(self):
        optimizer = torch.optim.Adam(self.parameters(), lr=self.hparams.lr)
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
        return [optimizer], [scheduler]


def loaders(batch_size=8, seed=0):
    train = TensorDataset(*(torch.from_numpy(a) for a in make_data(32, seed)))
    val = TensorDataset(*(torch.from_numpy(a) for a in make_data(16, seed + 1)))
    return DataLoader(train, batch_size=batch_size), DataLoader(val, batch_size=batch_size)


def fit(model, epochs=2, root_dir=None):
    trainer = pl.Trainer(max_epochs=epochs, accelerator="cpu", devices=1, logger=False,
                         enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, num_sanity_val_steps=0,
                         default_root_dir=root_dir)
    train_loader, val_loader = loaders()
    trainer.fit(model, train_loader, val_loader)
    return model.losses, model.val_accuracies


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    pl.seed_everything(args.seed)
    losses, accuracies = fit(Classifier(), args.epochs)
    print(f"first loss {losses[0]:.4f} last loss {losses[-1]:.4f} val accuracy {accuracies[-1]:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
