"""The torch DataLoader and the MindSpore pipeline yield the same batches."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).parent


def load(name):
    # By path under a unique module name: "dataset" is a common module name in projects.
    spec = importlib.util.spec_from_file_location(f"examples_dataset_{name}", HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def pt():
    return load("dataset_torch")


@pytest.fixture(scope="module")
def msd():
    return load("dataset")


def torch_batches(loader):
    return [{k: v.numpy() for k, v in batch.items()} for batch in loader]


def ms_batches(dataset):
    return list(dataset.create_dict_iterator(num_epochs=1, output_numpy=True))


def test_same_samples(pt, msd):
    a, b = pt.make_samples(), msd.make_samples()
    assert len(a) == len(b) == 30
    for (ids_a, label_a), (ids_b, label_b) in zip(a, b):
        np.testing.assert_array_equal(ids_a, ids_b)
        assert label_a == label_b


@pytest.mark.parametrize("batch_size", [4, 7])
def test_classification_batches_equal(pt, msd, batch_size):
    samples = pt.make_samples()
    want = torch_batches(pt.classification_loader(samples, batch_size=batch_size))
    got = ms_batches(msd.classification_dataset(samples, batch_size=batch_size))
    assert len(want) == len(got) == len(samples) // batch_size  # drop_last == drop_remainder
    for w, g in zip(want, got):
        assert list(g) == ["input_ids", "attention_mask", "label"]
        for key in w:
            assert g[key].dtype == w[key].dtype == np.int64, key
            np.testing.assert_array_equal(g[key], w[key], err_msg=key)
    # Padding really happened: variable lengths, truncated to max_len, BOS first.
    assert {b["input_ids"].shape[1] for b in want} <= set(range(2, 13))
    assert any((b["attention_mask"] == 0).any() for b in want)
    assert all((b["input_ids"][:, 0] == pt.BOS_ID).all() for b in want)


def test_shuffle_is_a_permutation_on_both_sides(pt, msd):
    """Shuffled orders differ between the frameworks (different random streams); each epoch still
    holds every kept sample once."""
    samples = pt.make_samples()
    key = lambda ids: tuple(ids[ids != 0].tolist())  # noqa: E731
    unshuffled = {key(row) for b in torch_batches(pt.classification_loader(samples, batch_size=1)) for row in b["input_ids"]}
    for batches in (
        torch_batches(pt.classification_loader(samples, batch_size=1, shuffle=True)),
        ms_batches(msd.classification_dataset(samples, batch_size=1, shuffle=True)),
    ):
        rows = [key(row) for b in batches for row in b["input_ids"]]
        assert len(rows) == len(samples) and set(rows) == unshuffled


def test_lm_stream_batches_equal(pt, msd):
    stream = np.arange(110) % 37
    want = torch_batches_from_tuples(pt.lm_loader(stream, block_size=8, batch_size=3))
    got = [(b["input_ids"], b["labels"]) for b in ms_batches(msd.lm_dataset(stream, block_size=8, batch_size=3))]
    assert len(want) == len(got) == 5  # 13 blocks: four full batches and a last one of 1, kept
    assert want[-1][0].shape == got[-1][0].shape == (1, 8)
    for (wi, wl), (gi, gl) in zip(want, got):
        np.testing.assert_array_equal(gi, wi)
        np.testing.assert_array_equal(gl, wl)
        np.testing.assert_array_equal(wi[:, 1:], wl[:, :-1])  # labels are inputs shifted by one


def torch_batches_from_tuples(loader):
    return [(x.numpy(), y.numpy()) for x, y in loader]
