"""Train the tiny GPT on the bundled corpus and save a checkpoint.

    python train.py --steps 60 --out tinygpt.pt
"""

import argparse
import time

import torch

from data import load_splits, make_loader
from model import GPTConfig, TinyGPT


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=60)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--block-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="tinygpt.pt")
    return p.parse_args(argv)


@torch.no_grad()
def estimate_loss(model, loader, batches=4):
    model.eval()
    losses = []
    for i, (x, y) in enumerate(loader):
        if i == batches:
            break
        _, loss = model(x, y)
        losses.append(loss.item())
    model.train()
    return sum(losses) / max(len(losses), 1)


def main(argv=None):
    args = parse_args(argv)
    torch.manual_seed(args.seed)
    train_set, val_set, vocab = load_splits(args.block_size)
    config = GPTConfig(vocab_size=len(vocab), block_size=args.block_size)
    model = TinyGPT(config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.steps)
    train_loader = make_loader(train_set, args.batch_size, shuffle=True, seed=args.seed)
    val_loader = make_loader(val_set, args.batch_size, shuffle=False)

    model.train()
    step, start = 0, time.time()
    while step < args.steps:
        for x, y in train_loader:
            _, loss = model(x, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            step += 1
            if step % 20 == 0 or step == args.steps:
                print(f"step {step:4d}  train loss {loss.item():.4f}  val loss {estimate_loss(model, val_loader):.4f}")
            if step == args.steps:
                break
    print(f"{model.num_parameters()} parameters, {args.steps} steps in {time.time() - start:.1f} s")
    torch.save({"model": model.state_dict(), "config": vars(config), "vocab": vocab}, args.out)
    print(f"saved {args.out}")
    return loss.item()


if __name__ == "__main__":
    main()
