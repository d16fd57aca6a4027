"""Character-level dataset: fixed-length windows of the corpus, targets shifted by one."""

import torch
from torch.utils.data import DataLoader, Dataset

from textutil import build_vocab, encode, read_corpus, split


class CharDataset(Dataset):
    def __init__(self, ids, block_size):
        self.data = torch.tensor(ids, dtype=torch.long)
        self.block_size = block_size

    def __len__(self):
        return len(self.data) - self.block_size

    def __getitem__(self, i):
        chunk = self.data[i : i + self.block_size + 1]
        return chunk[:-1], chunk[1:]


def load_splits(block_size, corpus_path=None):
    """(train dataset, validation dataset, vocabulary) of the corpus."""
    text = read_corpus(corpus_path) if corpus_path else read_corpus()
    vocab = build_vocab(text)
    train_ids, val_ids = split(encode(text, vocab))
    return CharDataset(train_ids, block_size), CharDataset(val_ids, block_size), vocab


def make_loader(dataset, batch_size, shuffle, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, drop_last=True, generator=generator)
