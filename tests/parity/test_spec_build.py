"""Spec arguments that are themselves built (config objects), each from its own side's file."""

import types

import pytest

from torch2ms.parity.spec import SpecError, build


def _file(tag):
    module = types.ModuleType(f"side_{tag}")

    class Config:
        def __init__(self, n_layer=1, vocab_size=8):
            self.n_layer, self.vocab_size, self.side = n_layer, vocab_size, tag

    class Model:
        def __init__(self, config, extra=None):
            self.config, self.extra = config, extra

    module.Config, module.Model = Config, Model
    return module


def test_a_config_argument_is_built_from_the_same_file():
    shared = {"args": [{"build": "Config", "kwargs": {"n_layer": 2}}], "kwargs": {"extra": {"a": 1}}}
    for tag in ("torch", "mindspore"):
        model = build(_file(tag), {"build": "Model"}, shared, tag)
        assert type(model.config).__name__ == "Config"
        assert (model.config.n_layer, model.config.vocab_size, model.config.side) == (2, 8, tag)
        assert model.extra == {"a": 1}  # a mapping without `build` is passed as written


def test_a_config_keyword_argument_is_built_too():
    shared = {"kwargs": {"config": {"build": "Config", "kwargs": {"vocab_size": 27}}}}
    model = build(_file("torch"), {"build": "Model"}, shared, "torch")
    assert model.config.vocab_size == 27


def test_a_missing_config_class_is_named():
    shared = {"args": [{"build": "GPTConfig"}]}
    with pytest.raises(SpecError, match="GPTConfig"):
        build(_file("torch"), {"build": "Model"}, shared, "torch")
