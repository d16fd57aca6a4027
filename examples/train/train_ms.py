"""Training the Cohere2 example model as a causal language model, in MindSpore: the port of
`train_torch.py` (read README.md beside it).

On a CPU-only machine some mint kernels are missing in MindSpore 2.10: run it with
`torch2ms.cpu_fallback.enable()` called first, as the tests do (Ascend needs nothing).

    python train_ms.py --steps 20 --accum 2 --lr 3e-3 --checkpoint model.safetensors

What changed from the torch file:
- `loss.backward()` + `optimizer.step()` -> `grad_fn = mindspore.value_and_grad(forward_fn, None,
  optimizer.parameters, has_aux=True)`, `(loss, logits), grads = grad_fn(...)`, `optimizer(grads)`;
  there is no `zero_grad()`: gradients are returned, not accumulated on the parameters;
- accumulation adds the returned gradient tuples; clipping is `ops.clip_by_global_norm(grads, max_norm)`
  (torch's `clip_grad_norm_` clips in place);
- `model.train()` -> `model.set_train(True)` (a Cell starts in inference mode);
- `torch.optim.AdamW` -> `mint.optim.AdamW` (same arguments; on CPU its kernel is missing in
  MindSpore 2.10: the CPU fallback provides it); `lr_scheduler.LambdaLR` ->
  `mindspore.experimental.optim.lr_scheduler.LambdaLR`, which drives mint.optim optimizers too;
- `loss.item()` -> `float(loss.asnumpy())`; `torch.save(state_dict)` -> `mindspore.save_checkpoint`.
"""

import argparse
import math
import sys
from pathlib import Path

import numpy as np

import mindspore as ms
from mindspore import mint, ops
from mindspore.experimental.optim import lr_scheduler

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "modeling"))
from configuration_cohere2 import Cohere2Config  # noqa: E402
from modeling_cohere2 import Cohere2ForCausalLM  # noqa: E402


def small_config():
    return Cohere2Config(num_hidden_layers=2, sliding_window_pattern=2, vocab_size=64, sliding_window=8)


def make_batches(n, batch_size=4, seq_len=16, vocab_size=64, seed=0):
    """n (input_ids, labels) numpy pairs; labels are the next tokens (the same data as the torch side)."""
    rng = np.random.default_rng(seed)
    batches = []
    for _ in range(n):
        start = rng.integers(0, vocab_size, size=(batch_size, 1))
        stride = rng.integers(1, 4, size=(batch_size, 1))
        seq = (start + stride * np.arange(seq_len + 1)) % vocab_size
        batches.append((seq[:, :-1].astype(np.int64), seq[:, 1:].astype(np.int64)))
    return batches


def warmup_cosine(warmup_steps, total_steps):
    def factor(step):
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
        return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))

    return factor


def lm_loss(logits, labels):
    return mint.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1))


def train(model, batches, lr=3e-3, accum_steps=1, max_grad_norm=1.0, warmup_steps=2, log_every=0):
    """Runs len(batches) // accum_steps optimizer steps; returns the mean loss of each step."""
    total_steps = len(batches) // accum_steps
    optimizer = mint.optim.AdamW(model.trainable_params(), lr=lr, weight_decay=0.01)
    scheduler = lr_scheduler.LambdaLR(optimizer, warmup_cosine(warmup_steps, total_steps))
    model.set_train(True)

    def forward_fn(ids, labels):
        logits = model(ids)[0]
        return lm_loss(logits, labels) / accum_steps, logits

    grad_fn = ms.value_and_grad(forward_fn, None, optimizer.parameters, has_aux=True)

    losses = []
    for step in range(total_steps):
        step_loss, accumulated = 0.0, None
        for micro in range(accum_steps):
            ids, labels = (ms.Tensor(a) for a in batches[step * accum_steps + micro])
            (loss, _), grads = grad_fn(ids, labels)
            accumulated = grads if accumulated is None else tuple(a + g for a, g in zip(accumulated, grads))
            step_loss += float(loss.asnumpy())
        accumulated = ops.clip_by_global_norm(accumulated, max_grad_norm)
        optimizer(accumulated)
        scheduler.step()
        losses.append(step_loss)
        if log_every and (step + 1) % log_every == 0:
            print(f"step {step + 1}/{total_steps} loss {step_loss:.4f} lr {float(scheduler.get_last_lr()[0]):.2e}")
    return losses


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="optimizer steps")
    parser.add_argument("--accum", type=int, default=1, help="micro-batches per optimizer step")
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--checkpoint", help="where to save the trained weights (.safetensors or .ckpt)")
    args = parser.parse_args(argv)

    ms.set_seed(args.seed)
    model = Cohere2ForCausalLM(small_config())
    losses = train(model, make_batches(args.steps * args.accum, seed=args.seed), args.lr, args.accum, log_every=5)
    if args.checkpoint:
        fmt = "safetensors" if args.checkpoint.endswith(".safetensors") else "ckpt"
        ms.save_checkpoint(model, args.checkpoint, format=fmt)
    print(f"first loss {losses[0]:.4f} last loss {losses[-1]:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
