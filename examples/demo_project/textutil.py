"""Character vocabulary helpers. Plain Python: nothing here depends on a framework."""

from pathlib import Path

DEFAULT_CORPUS = Path(__file__).parent / "data" / "corpus.txt"


def read_corpus(path=DEFAULT_CORPUS):
    return Path(path).read_text(encoding="utf-8")


def build_vocab(text):
    """Sorted characters of the text; index 0 is the first one."""
    return "".join(sorted(set(text)))


def encode(text, vocab):
    index = {ch: i for i, ch in enumerate(vocab)}
    return [index[ch] for ch in text if ch in index]


def decode(ids, vocab):
    return "".join(vocab[i] for i in ids)


def split(ids, val_fraction=0.1):
    """Train and validation parts of a token list (the end of the text is kept for validation)."""
    n = int(len(ids) * (1 - val_fraction))
    return ids[:n], ids[n:]
