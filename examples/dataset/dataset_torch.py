"""Data pipelines in PyTorch (the "before" side of the dataset example).

Two common shapes of input pipeline:
- a map-style dataset of variable-length token sequences with labels, a per-sample transform
  (truncate, prepend BOS) and a collate function that pads each batch and builds the mask;
- an iterable dataset that streams fixed-length language-model blocks out of a long token stream.
The data is synthetic and deterministic (no download), so both sides can be compared batch by batch.
"""

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, IterableDataset

BOS_ID = 5
PAD_ID = 0


def make_samples(n=30, vocab_size=256, seed=0):
    """Variable-length token sequences and binary labels."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(3, 20, size=n)
    return [(rng.integers(6, vocab_size, size=int(L)), int(rng.integers(0, 2))) for L in lengths]


class Truncate:
    """Per-sample transform: keep at most `max_len - 1` tokens and prepend BOS."""

    def __init__(self, max_len):
        self.max_len = max_len

    def __call__(self, ids):
        return np.concatenate([[BOS_ID], ids[: self.max_len - 1]]).astype(np.int64)


class ClassificationDataset(Dataset):
    def __init__(self, samples, transform=None):
        self.samples = samples
        self.transform = transform

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, idx):
        ids, label = self.samples[idx]
        if self.transform is not None:
            ids = self.transform(ids)
        return {"input_ids": torch.as_tensor(ids), "label": torch.tensor(label)}


def pad_collate(batch):
    """List of samples -> dict of batched tensors, right-padded to the longest sequence."""
    max_len = max(item["input_ids"].shape[0] for item in batch)
    input_ids = torch.full((len(batch), max_len), PAD_ID, dtype=torch.long)
    attention_mask = torch.zeros((len(batch), max_len), dtype=torch.long)
    for i, item in enumerate(batch):
        n = item["input_ids"].shape[0]
        input_ids[i, :n] = item["input_ids"]
        attention_mask[i, :n] = 1
    labels = torch.stack([item["label"] for item in batch])
    return {"input_ids": input_ids, "attention_mask": attention_mask, "label": labels}


def classification_loader(samples, batch_size=4, shuffle=False, max_len=12, num_workers=0, seed=0):
    dataset = ClassificationDataset(samples, transform=Truncate(max_len))
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle,
        drop_last=True,  # the incomplete last batch is dropped
        collate_fn=pad_collate,
        num_workers=num_workers,
        generator=generator,
    )


class LMBlockStream(IterableDataset):
    """Streams (input_ids, labels) blocks of `block_size` tokens; labels are the inputs shifted by one."""

    def __init__(self, token_stream, block_size):
        self.tokens = np.asarray(token_stream, dtype=np.int64)
        self.block_size = block_size

    def __iter__(self):
        step = self.block_size
        for start in range(0, len(self.tokens) - step - 1 + 1, step):
            chunk = self.tokens[start : start + step + 1]
            yield torch.from_numpy(chunk[:-1].copy()), torch.from_numpy(chunk[1:].copy())


def lm_loader(token_stream, block_size=8, batch_size=3):
    # An iterable dataset has no length and no index: no shuffle, no sampler.
    return DataLoader(LMBlockStream(token_stream, block_size), batch_size=batch_size, drop_last=False)
