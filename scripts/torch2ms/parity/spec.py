"""The YAML spec of `torch2ms parity`: how to build both models and their inputs.

    torch: {build: build_model, kwargs: {vocab: 64}}   # a callable in the torch file
    mindspore: {build: build_model}                    # a callable in the port (default: same)
    init: {kwargs: {dim: 16}}                          # args/kwargs shared by both builds
    init: {args: [{build: GPTConfig, kwargs: {n_layer: 2}}]}  # an argument that is itself built:
                                                       #   each side calls its own file's GPTConfig
    inputs:                                            # positional unless `name` is given
      - {shape: [2, 8], dtype: int64, range: [0, 64], seed: 0}
      - {name: mask, shape: [2, 8], dtype: bool, value: true}
      - {shape: [2, 8, 16], dtype: float32, seed: 1}   # standard normal
    outputs: [logits]          # dotted paths compared (default: all)
    tolerance: {atol: 1e-5, rtol: 1e-5}   # or per dtype: {float16: {atol: .., rtol: ..}}
    rename: {"transformer.h.": "transformer.blocks."}  # torch -> port names (exact or prefix.)
    mode: forward              # or train
    train: {loss: projection, output: logits, optimizer: adamw, optimizer_kwargs: {lr: 0.1}}
    seed: 0                    # torch.manual_seed before the torch build (random weights)
"""

from __future__ import annotations

import importlib.util
import itertools
import sys
from pathlib import Path

import numpy as np

_counter = itertools.count()
KNOWN_KEYS = {"torch", "mindspore", "init", "inputs", "outputs", "tolerance", "rename", "mode", "train", "seed", "check_dtype"}
TRAIN_KEYS = {"loss", "output", "optimizer", "optimizer_kwargs", "train_mode", "seed"}
INPUT_DTYPES = {"float64", "float32", "float16", "int64", "int32", "int8", "uint8", "bool"}


class SpecError(ValueError):
    """The spec or a file it names is unusable (exit code 2)."""


def load_file(path: str | Path, label: str):
    """Import a Python file by path as a fresh module; its folder is importable meanwhile so
    sibling imports work."""
    path = Path(path).resolve()
    if not path.is_file():
        raise SpecError(f"{label} file not found: {path}")
    name = f"_torch2ms_parity_{label}_{next(_counter)}_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent))
    try:
        sys.modules[name] = module
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(path.parent))
    return module


def read_spec(path: str | Path) -> dict:
    import yaml

    path = Path(path)
    if not path.is_file():
        raise SpecError(f"spec not found: {path}")
    try:
        spec = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise SpecError(f"spec {path} is not valid YAML: {exc}") from None
    return validate(spec or {})


def validate(spec: dict) -> dict:
    if not isinstance(spec, dict):
        raise SpecError("the spec must be a mapping")
    unknown = set(spec) - KNOWN_KEYS
    if unknown:
        raise SpecError(f"unknown spec keys: {', '.join(sorted(unknown))} (known: {', '.join(sorted(KNOWN_KEYS))})")
    if "build" not in (spec.get("torch") or {}):
        raise SpecError("the spec needs torch.build: the name of a class or function in the torch file")
    if not spec.get("inputs"):
        raise SpecError("the spec needs inputs: a list of {shape, dtype, seed | range | value}")
    if spec.get("mode", "forward") not in ("forward", "train"):
        raise SpecError(f"mode must be forward or train, not {spec['mode']!r}")
    train = spec.get("train") or {}
    if not isinstance(train, dict) or set(train) - TRAIN_KEYS:
        raise SpecError(f"train takes only: {', '.join(sorted(TRAIN_KEYS))}")
    if train.get("loss", "projection") not in ("projection", "mse", "value"):
        raise SpecError(f"train.loss must be projection, mse or value, not {train['loss']!r}")
    if str(train.get("optimizer", "adamw")).lower() not in ("sgd", "adam", "adamw"):
        raise SpecError(f"train.optimizer must be sgd, adam or adamw, not {train['optimizer']!r}")
    for i, item in enumerate(spec["inputs"]):
        if not isinstance(item, dict) or "shape" not in item:
            raise SpecError(f"input {i}: needs a shape")
        if str(item.get("dtype", "float32")) not in INPUT_DTYPES:
            raise SpecError(f"input {i}: dtype {item.get('dtype')!r} not one of {', '.join(sorted(INPUT_DTYPES))}")
    return spec


def make_input(item: dict, index: int) -> np.ndarray:
    """An array from {shape, dtype, seed | range: [low, high) | value}."""
    shape, dtype = tuple(int(s) for s in item["shape"]), str(item.get("dtype", "float32"))
    rng = np.random.default_rng(item.get("seed", index))
    if "value" in item:
        return np.full(shape, item["value"], dtype=dtype)
    if "range" in item:
        low, high = item["range"]
        if dtype.startswith(("int", "uint")) or dtype == "bool":
            return rng.integers(low, high, size=shape).astype(dtype)
        return rng.uniform(low, high, size=shape).astype(dtype)
    if dtype == "bool":
        return rng.integers(0, 2, size=shape).astype(bool)
    return rng.standard_normal(shape).astype(dtype)


def make_inputs(spec: dict) -> tuple[tuple, dict]:
    args, kwargs = [], {}
    for i, item in enumerate(spec["inputs"]):
        value = make_input(item, i)
        if "name" in item:
            kwargs[item["name"]] = value
        else:
            args.append(value)
    return tuple(args), kwargs


def build(module, side: dict, shared: dict, label: str):
    """Call `side.build` from the loaded file with the shared init args, updated by the side's."""
    name = side.get("build")
    target = getattr(module, name, None) if name else None
    if not callable(target):
        raise SpecError(f"{label} file has no callable {name!r}")
    args = [_value(module, a, label) for a in side.get("args", shared.get("args", []))]
    kwargs = {k: _value(module, v, label)
              for k, v in {**(shared.get("kwargs") or {}), **(side.get("kwargs") or {})}.items()}
    return target(*args, **kwargs)


def _value(module, value, label: str):
    """An argument as written in the spec; `{build: Name, args/kwargs: ...}` is built from the same
    file first (a config object, say), so each side gets its own framework's instance."""
    if isinstance(value, dict) and "build" in value:
        return build(module, value, {}, label)
    return value
