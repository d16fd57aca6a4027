"""Data pipelines in MindSpore: the port of `dataset_torch.py` (read README.md beside it).

What changed from the torch file:
- `Dataset` subclass -> a plain Python class with `__len__`/`__getitem__` returning numpy arrays
  (a tuple, one entry per column), wrapped in `mindspore.dataset.GeneratorDataset(source,
  column_names=[...], shuffle=...)`; `IterableDataset` -> a class with `__iter__` (no length, so
  no shuffle and no sampler, as in torch);
- the per-sample transform -> `.map(operations=..., input_columns=[...])` on the pipeline;
- `DataLoader(batch_size, drop_last, collate_fn)` -> `.batch(batch_size, drop_remainder=...,
  per_batch_map=..., input_columns=[...], output_columns=[...])`; the batch function receives one
  list per input column (plus a BatchInfo) and returns one array per output column;
- `num_workers` -> `num_parallel_workers` (on `GeneratorDataset`, `map` and `batch`);
- iterate with `create_dict_iterator(num_epochs=1)` (MindSpore tensors) or with
  `output_numpy=True` (numpy arrays); a batch is a dict keyed by column name.
"""

import numpy as np

import mindspore.dataset as ds

BOS_ID = 5
PAD_ID = 0


def make_samples(n=30, vocab_size=256, seed=0):
    """Variable-length token sequences and binary labels (the same data as the torch side)."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(3, 20, size=n)
    return [(rng.integers(6, vocab_size, size=int(L)), int(rng.integers(0, 2))) for L in lengths]


class Truncate:
    """Per-sample transform: keep at most `max_len - 1` tokens and prepend BOS."""

    def __init__(self, max_len):
        self.max_len = max_len

    def __call__(self, ids):
        return np.concatenate([[BOS_ID], ids[: self.max_len - 1]]).astype(np.int64)


class ClassificationSource:
    """Random-access source: numpy arrays out, one per column."""

    def __init__(self, samples):
        self.samples = samples

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, idx):
        ids, label = self.samples[idx]
        return np.asarray(ids, dtype=np.int64), np.array(label, dtype=np.int64)


def pad_batch(input_ids, labels, batch_info):
    """One list per input column -> one array per output column, right-padded to the longest sequence."""
    max_len = max(ids.shape[0] for ids in input_ids)
    padded = np.full((len(input_ids), max_len), PAD_ID, dtype=np.int64)
    attention_mask = np.zeros((len(input_ids), max_len), dtype=np.int64)
    for i, ids in enumerate(input_ids):
        padded[i, : ids.shape[0]] = ids
        attention_mask[i, : ids.shape[0]] = 1
    return padded, attention_mask, np.stack(labels)


def classification_dataset(samples, batch_size=4, shuffle=False, max_len=12, num_workers=1):
    dataset = ds.GeneratorDataset(
        ClassificationSource(samples), column_names=["input_ids", "label"], shuffle=shuffle,
        num_parallel_workers=num_workers,
    )
    dataset = dataset.map(operations=Truncate(max_len), input_columns=["input_ids"])
    return dataset.batch(
        batch_size,
        drop_remainder=True,  # torch's drop_last
        per_batch_map=pad_batch,
        input_columns=["input_ids", "label"],
        output_columns=["input_ids", "attention_mask", "label"],
    )


class LMBlockStream:
    """Streams (input_ids, labels) blocks of `block_size` tokens; labels are the inputs shifted by one."""

    def __init__(self, token_stream, block_size):
        self.tokens = np.asarray(token_stream, dtype=np.int64)
        self.block_size = block_size

    def __iter__(self):
        step = self.block_size
        for start in range(0, len(self.tokens) - step - 1 + 1, step):
            chunk = self.tokens[start : start + step + 1]
            yield chunk[:-1].copy(), chunk[1:].copy()


def lm_dataset(token_stream, block_size=8, batch_size=3):
    dataset = ds.GeneratorDataset(
        LMBlockStream(token_stream, block_size), column_names=["input_ids", "labels"], shuffle=False
    )
    return dataset.batch(batch_size, drop_remainder=False)
