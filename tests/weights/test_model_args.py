"""The model's arguments saved in a checkpoint dict: `model_args` (nanoGPT-style scripts keep the
training run's settings in `config`) wins over `config`."""

import argparse

from torch2ms.weights.checkpoints import Checkpoint
from torch2ms.weights.models import build_side


def _args(**kw):
    base = dict(spec=None, build="GPT", config=None, kwargs=None)
    base.update(kw)
    return argparse.Namespace(**base)


def _checkpoint(metadata):
    return Checkpoint(tensors={}, metadata=metadata, key=None, files=[], kind="torch file")


def test_model_args_are_the_build_arguments():
    ckpt = _checkpoint({"model_args": {"n_layer": 2, "n_embd": 8},
                        "config": {"learning_rate": 0.1, "batch_size": 4}})
    side, _, how = build_side(_args(), ckpt, "mindspore")
    assert side["kwargs"] == {"n_layer": 2, "n_embd": 8}
    assert "model_args" in how


def test_config_is_read_without_model_args():
    ckpt = _checkpoint({"config": {"n_layer": 2}})
    side, _, _ = build_side(_args(config="GPTConfig"), ckpt, "mindspore")
    assert side["args"][0]["kwargs"] == {"n_layer": 2}
