"""Image classification training in PyTorch: a conversion trial file (not among the examples).

A classic script: a small CNN (Conv2d, BatchNorm2d, ReLU, MaxPool2d, Dropout, Linear), a
map-style dataset with transforms, shuffled DataLoader, SGD with momentum and weight decay,
StepLR, label-smoothed cross-entropy, train/eval loops with accuracy, best-checkpoint saving.
The images are synthetic (class-dependent patterns plus noise), so no download is needed:

    python train_classifier.py --epochs 2 --batch-size 16 --out /tmp/cls
"""

import argparse
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset


class SyntheticImages(Dataset):
    """32x32 RGB images of `num_classes` patterns; the label is the pattern index."""

    def __init__(self, n, num_classes=4, seed=0, train=True):
        # The class patterns are fixed; the seed picks labels and noise (train and val differ).
        base = np.random.default_rng(1234).standard_normal((num_classes, 3, 32, 32)).astype(np.float32)
        rng = np.random.default_rng(seed)
        self.labels = rng.integers(0, num_classes, size=n)
        noise = rng.standard_normal((n, 3, 32, 32)).astype(np.float32)
        self.images = base[self.labels] + 0.5 * noise
        self.train = train
        self.mean = torch.tensor([0.0, 0.0, 0.0]).view(3, 1, 1)
        self.std = torch.tensor([1.2, 1.2, 1.2]).view(3, 1, 1)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, idx):
        img = torch.from_numpy(self.images[idx])
        if self.train and idx % 2 == 1:
            img = torch.flip(img, dims=[2])  # deterministic "augmentation": horizontal flip
        img = (img - self.mean) / self.std
        return img, int(self.labels[idx])


class SmallCNN(nn.Module):
    def __init__(self, num_classes=4, width=16, dropout=0.25):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, width, kernel_size=3, padding=1),
            nn.BatchNorm2d(width),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, kernel_size=3, padding=1),
            nn.BatchNorm2d(2 * width),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
        )
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(2 * width * 8 * 8, num_classes)

    def forward(self, x):
        x = self.features(x)
        x = torch.flatten(x, 1)
        x = self.dropout(x)
        return self.fc(x)


def build_model(num_classes=4, width=16, dropout=0.0):
    """The model the parity spec builds (random weights)."""
    return SmallCNN(num_classes, width, dropout)


def train_one_epoch(model, loader, criterion, optimizer, device):
    model.train()
    total, correct, running = 0, 0, 0.0
    for images, labels in loader:
        images, labels = images.to(device), labels.to(device)
        optimizer.zero_grad()
        outputs = model(images)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()
        running += loss.item() * images.size(0)
        correct += (outputs.argmax(dim=1) == labels).sum().item()
        total += labels.size(0)
    return running / total, correct / total


@torch.no_grad()
def evaluate(model, loader, criterion, device):
    model.eval()
    total, correct, running = 0, 0, 0.0
    for images, labels in loader:
        images, labels = images.to(device), labels.to(device)
        outputs = model(images)
        running += criterion(outputs, labels).item() * images.size(0)
        correct += (outputs.argmax(dim=1) == labels).sum().item()
        total += labels.size(0)
    return running / total, correct / total


def main(argv=None):
    parser = argparse.ArgumentParser(description="train a small CNN on synthetic images")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--train-size", type=int, default=256)
    parser.add_argument("--out", default="checkpoints")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    torch.manual_seed(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_set = SyntheticImages(args.train_size, seed=args.seed, train=True)
    val_set = SyntheticImages(args.train_size // 4, seed=args.seed + 1, train=False)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, drop_last=True)
    val_loader = DataLoader(val_set, batch_size=args.batch_size, shuffle=False)

    model = SmallCNN().to(device)
    criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=5e-4)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)

    os.makedirs(args.out, exist_ok=True)
    best = 0.0
    for epoch in range(args.epochs):
        train_loss, train_acc = train_one_epoch(model, train_loader, criterion, optimizer, device)
        val_loss, val_acc = evaluate(model, val_loader, criterion, device)
        scheduler.step()
        print(f"epoch {epoch + 1}: train loss {train_loss:.4f} acc {train_acc:.3f} | val loss {val_loss:.4f} acc {val_acc:.3f}")
        if val_acc >= best:
            best = val_acc
            torch.save(model.state_dict(), os.path.join(args.out, "best.pt"))
    print(f"best val acc {best:.3f}")
    return best


if __name__ == "__main__":
    main()
