"""Training the Cohere2 example model as a causal language model, in PyTorch (the "before" side).

AdamW, linear warm-up then cosine decay, gradient clipping, gradient accumulation, periodic
logging and a final checkpoint:

    python train_torch.py --steps 20 --accum 2 --lr 3e-3 --checkpoint model.pt

The data is synthetic (counting sequences with a random start and stride), so the loss falls fast.
"""

import argparse
import math
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "modeling"))
from configuration_cohere2 import Cohere2Config  # noqa: E402
from modeling_cohere2_torch import Cohere2ForCausalLM  # noqa: E402


def small_config():
    return Cohere2Config(num_hidden_layers=2, sliding_window_pattern=2, vocab_size=64, sliding_window=8)


def make_batches(n, batch_size=4, seq_len=16, vocab_size=64, seed=0):
    """n (input_ids, labels) numpy pairs; labels are the next tokens."""
    rng = np.random.default_rng(seed)
    batches = []
    for _ in range(n):
        start = rng.integers(0, vocab_size, size=(batch_size, 1))
        stride = rng.integers(1, 4, size=(batch_size, 1))
        seq = (start + stride * np.arange(seq_len + 1)) % vocab_size
        batches.append((seq[:, :-1].astype(np.int64), seq[:, 1:].astype(np.int64)))
    return batches


def warmup_cosine(warmup_steps, total_steps):
    """Multiplier of the base learning rate at optimizer step `step`."""

    def factor(step):
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
        return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))

    return factor


def lm_loss(logits, labels):
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1))


def train(model, batches, lr=3e-3, accum_steps=1, max_grad_norm=1.0, warmup_steps=2, log_every=0):
    """Runs len(batches) // accum_steps optimizer steps; returns the mean loss of each step."""
    total_steps = len(batches) // accum_steps
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, warmup_cosine(warmup_steps, total_steps))
    model.train()
    losses = []
    for step in range(total_steps):
        optimizer.zero_grad()
        step_loss = 0.0
        for micro in range(accum_steps):
            ids, labels = (torch.from_numpy(a) for a in batches[step * accum_steps + micro])
            logits = model(ids)[0]
            loss = lm_loss(logits, labels) / accum_steps  # gradients add up over micro-batches
            loss.backward()
            step_loss += loss.item()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
        optimizer.step()
        scheduler.step()
        losses.append(step_loss)
        if log_every and (step + 1) % log_every == 0:
            print(f"step {step + 1}/{total_steps} loss {step_loss:.4f} lr {scheduler.get_last_lr()[0]:.2e}")
    return losses


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="optimizer steps")
    parser.add_argument("--accum", type=int, default=1, help="micro-batches per optimizer step")
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--checkpoint", help="where to save the trained state dict")
    args = parser.parse_args(argv)

    torch.manual_seed(args.seed)
    model = Cohere2ForCausalLM(small_config())
    losses = train(model, make_batches(args.steps * args.accum, seed=args.seed), args.lr, args.accum, log_every=5)
    if args.checkpoint:
        torch.save(model.state_dict(), args.checkpoint)
    print(f"first loss {losses[0]:.4f} last loss {losses[-1]:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
