"""The YAML spec of `torch2ms parity`: how to build both models and their inputs.

One case per model; a file holds one case, or several under `cases:` (the other top-level keys
are defaults every case starts from; mappings such as `init` or `tolerance` are merged one level
deep, and `init.kwargs` key by key). docs/rules/verification.md has an example per kind of model.

    torch: {build: build_model, kwargs: {vocab: 64}}   # a callable in the torch file
    torch: {module: transformers.models.gpt_neox.modeling_gpt_neox, build: GPTNeoXForCausalLM}
                                                       #   the file run as that package module
    mindspore: {build: build_model}                    # a callable in the port (default: same)
    init: {kwargs: {dim: 16}}                          # args/kwargs shared by both builds
    init: {args: [{build: GPTConfig, kwargs: {n_layer: 2}}]}  # an argument that is itself built:
                                                       #   each side calls its own file's GPTConfig
    init: {args: [{ref: ResidualBlock}, [2, 2]]}       # an object of each side's own file, passed
                                                       #   as it is (a class: ResNet(Block, [2, 2]))
    torch: {build: pkg.lit_module.LitModel}            # dotted: a project module's object, each
    init: {kwargs: {net: {build: pkg.net.Net, kwargs: {width: 8}}}}   # side from its own tree (the
                                                       #   input folder, outputs/); nested builds
    globals: {vocab_size: 65}                          # module globals a flat script's classes read
                                                       #   (its top-level work is not run)
    inputs:                                            # positional unless `name` is given
      - {shape: [2, 8], dtype: int64, range: [0, 64], seed: 0}
      - {name: mask, shape: [2, 8], dtype: bool, value: true}
      - {shape: [2, 8, 16], dtype: float32, seed: 1}   # standard normal
      - {tuple: [{shape: [2, 4, 16]}, {shape: [2, 4, 16]}]}   # nested: an LSTM's (h, c)
      - {name: options, dict: {scale: 0.5, bias: {shape: [16]}}}
      - {name: use_cache, value: false}                # a plain value (no shape)
    outputs: [logits]          # dotted paths compared (default: all)
    tolerance: {atol: 1e-5, rtol: 1e-5}   # or per dtype: {float16: {atol: .., rtol: ..}}
    rename: {"transformer.h.": "transformer.blocks."}  # torch -> port names (exact or prefix.)
    mode: eval                 # the models' mode: eval (default: dropout off, batch norm's
                               #   running statistics) or train
    check: forward             # compare the outputs (default), or `step`: loss, every gradient
                               #   and the parameters after one optimizer step
    train: {loss: projection, output: logits, optimizer: adamw, optimizer_kwargs: {lr: 0.1}}
    seed: 0                    # torch.manual_seed before the torch build (random weights)

Before `mode: eval|train` and `check:` existed, `mode: forward|train` chose the comparison;
`mode: forward` still reads as `check: forward`, and `mode: train` without `check:` is refused
with the new keys named (it used to mean a training step, now it means the model's mode).
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np

CASE_KEYS = {"name", "torch", "mindspore", "init", "globals", "inputs", "outputs", "tolerance", "rename",
             "mode", "check", "train", "seed", "check_dtype", "call"}
KNOWN_KEYS = CASE_KEYS | {"cases"}
SIDE_KEYS = {"build", "module", "args", "kwargs", "globals"}
MERGED_KEYS = ("torch", "mindspore", "init", "globals", "tolerance", "train")
TRAIN_KEYS = {"loss", "output", "optimizer", "optimizer_kwargs", "seed"}
INPUT_DTYPES = {"float64", "float32", "float16", "int64", "int32", "int8", "uint8", "bool"}
ARRAY_KEYS = {"name", "shape", "dtype", "seed", "range", "value"}
NESTED_KEYS = ("tuple", "list", "dict")
MODES = ("eval", "train")
CHECKS = ("forward", "step")


class SpecError(ValueError):
    """The spec or a file it names is unusable (exit code 2)."""


def load_file(path: str | Path, label: str):
    """Import a torch original (`label` "torch") or a port as verification imports them
    (`torch2ms.loader`): as the module of its package, its top-level work not run."""
    from torch2ms import loader

    path = Path(path).resolve()
    if not path.is_file():
        raise SpecError(f"{label} file not found: {path}")
    if label == "torch":
        return loader.import_original(path)
    return loader.import_port(path)


def read_cases(path: str | Path) -> list[dict]:
    """Every case of a spec file, each validated and complete (defaults merged in)."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise SpecError(f"spec not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SpecError(f"spec {path} is not valid YAML: {' '.join(str(exc).split())}") from None
    return cases(data or {})


def read_spec(path: str | Path) -> dict:
    """The first (usually only) case of a spec file; `read_cases` gives them all."""
    return read_cases(path)[0]


def cases(data) -> list[dict]:
    if not isinstance(data, dict):
        raise SpecError("the spec must be a mapping")
    unknown = set(data) - KNOWN_KEYS
    if unknown:
        raise SpecError(f"unknown spec keys: {', '.join(sorted(unknown))} (known: {', '.join(sorted(KNOWN_KEYS))})")
    if "cases" not in data:
        return [validate(data)]
    listed = data["cases"]
    if not isinstance(listed, list) or not listed:
        raise SpecError("cases must be a non-empty list of mappings, one per model")
    defaults = {k: v for k, v in data.items() if k != "cases"}
    out, names = [], set()
    for i, case in enumerate(listed):
        if not isinstance(case, dict):
            raise SpecError(f"case {i + 1}: must be a mapping")
        merged = copy.deepcopy(defaults)
        for key, value in case.items():
            if key in MERGED_KEYS and isinstance(value, dict) and isinstance(merged.get(key), dict):
                base = merged[key]
                merged[key] = {**base, **value}
                if key == "init" and isinstance(value.get("kwargs"), dict) and isinstance(base.get("kwargs"), dict):
                    # a case names the keyword arguments it changes; the others stay the defaults'
                    merged[key]["kwargs"] = {**base["kwargs"], **value["kwargs"]}
            else:
                merged[key] = value
        try:
            spec = validate(merged)
        except SpecError as exc:
            raise SpecError(f"case {i + 1}: {exc}") from None
        name = case_name(spec, i)
        if name in names:
            raise SpecError(f"case {i + 1}: another case is named {name!r} too: give each a `name:`")
        names.add(name)
        out.append(spec)
    return out


def case_name(spec: dict, index: int = 0) -> str:
    return str(spec.get("name") or spec["torch"].get("build") or f"case {index + 1}")


def validate(spec: dict) -> dict:
    if not isinstance(spec, dict):
        raise SpecError("the spec must be a mapping")
    unknown = set(spec) - CASE_KEYS
    if unknown:
        raise SpecError(f"unknown spec keys: {', '.join(sorted(unknown))} (known: {', '.join(sorted(KNOWN_KEYS))})")
    spec = dict(spec)
    _modes(spec)
    for side in ("torch", "mindspore"):
        value = spec.get(side)
        if value is not None and (not isinstance(value, dict) or set(value) - SIDE_KEYS):
            raise SpecError(f"{side} takes only: {', '.join(sorted(SIDE_KEYS))}")
    if "build" not in (spec.get("torch") or {}):
        raise SpecError("the spec needs torch.build: the name of a class or function in the torch file")
    for key in ("globals",):
        if spec.get(key) is not None and not isinstance(spec[key], dict):
            raise SpecError(f"{key} must be a mapping of names to values")
    if not spec.get("inputs") or not isinstance(spec["inputs"], list):
        raise SpecError("the spec needs inputs: a list of {shape, dtype, seed | range | value}")
    train = spec.get("train") or {}
    if isinstance(train, dict) and "train_mode" in train:
        raise SpecError("train.train_mode is now the case's `mode: eval|train` (eval by default)")
    if not isinstance(train, dict) or set(train) - TRAIN_KEYS:
        raise SpecError(f"train takes only: {', '.join(sorted(TRAIN_KEYS))}")
    if train.get("loss", "projection") not in ("projection", "mse", "value"):
        raise SpecError(f"train.loss must be projection, mse or value, not {train['loss']!r}")
    if str(train.get("optimizer", "adamw")).lower() not in ("sgd", "adam", "adamw"):
        raise SpecError(f"train.optimizer must be sgd, adam or adamw, not {train['optimizer']!r}")
    call = spec.get("call")
    if call is not None and (not isinstance(call, str) or not call.isidentifier() or call.startswith("_")):
        raise SpecError(f"call must be the name of a public method of both models (encode, sample), not {call!r}")
    if call is not None and spec.get("check") == "step":
        raise SpecError("call compares a method's outputs (check: forward); check: step runs the model itself")
    for i, item in enumerate(spec["inputs"]):
        if isinstance(item, dict) and "name" in item and not isinstance(item["name"], str):
            raise SpecError(f"input {i}: name must be a string")
        _check_input(item, f"input {i}", top=True)
    return spec


def _modes(spec: dict) -> None:
    """`mode` (the models' mode) and `check` (what is compared), reading the older `mode` too."""
    mode, check = spec.get("mode"), spec.get("check")
    if mode == "forward":  # the older spelling of the comparison: outputs, models in eval mode
        if check not in (None, "forward"):
            raise SpecError("mode: forward (the older key) contradicts check: step; write mode: eval|train")
        mode, check = "eval", "forward"
    elif mode == "train" and check is None:
        raise SpecError("mode: train is ambiguous: the models' mode is now `mode: eval|train` and a "
                        "training-step comparison is `check: step`; write `check: step` (with `mode: eval` "
                        "to keep dropout off) or `check: forward`")
    mode = mode or "eval"
    check = check or "forward"
    if mode not in MODES:
        raise SpecError(f"mode must be eval or train (the models' mode), not {mode!r}")
    if check not in CHECKS:
        raise SpecError(f"check must be forward or step, not {check!r}")
    spec["mode"], spec["check"] = mode, check


def _check_input(item, where: str, top: bool = False) -> None:
    if not isinstance(item, dict):
        if isinstance(item, (bool, int, float, str)) or item is None:
            return  # a plain value, passed as written
        raise SpecError(f"{where}: an input is a mapping ({{shape: ...}}, {{tuple: [...]}}, {{dict: {{...}}}}) or a plain value")
    nested = [k for k in NESTED_KEYS if k in item]
    if nested:
        extra = set(item) - {nested[0], "name"}
        if len(nested) > 1 or extra:
            raise SpecError(f"{where}: a nested input holds one of tuple, list or dict (and a name), "
                            f"not {', '.join(sorted(set(item) - {'name'}))}")
        body = item[nested[0]]
        if nested[0] == "dict":
            if not isinstance(body, dict):
                raise SpecError(f"{where}: dict must map names to inputs")
            for key, sub in body.items():
                _check_input(sub, f"{where}.{key}")
        else:
            if not isinstance(body, list):
                raise SpecError(f"{where}: {nested[0]} must be a list of inputs")
            for j, sub in enumerate(body):
                _check_input(sub, f"{where}.{j}")
        return
    unknown = set(item) - ARRAY_KEYS
    if unknown:
        raise SpecError(f"{where}: unknown keys {', '.join(sorted(unknown))} (an array takes "
                        f"{', '.join(sorted(ARRAY_KEYS - {'name'}))}; nested inputs: tuple, list, dict)")
    if "shape" not in item:
        if "value" in item:
            return  # a plain value given by name: {name: use_cache, value: false}
        raise SpecError(f"{where}: needs a shape")
    if str(item.get("dtype", "float32")) not in INPUT_DTYPES:
        raise SpecError(f"{where}: dtype {item.get('dtype')!r} not one of {', '.join(sorted(INPUT_DTYPES))}")


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


def make_value(item, index: int, path: tuple = ()):
    """An input as the spec describes it: an array, a nested tuple/list/dict of inputs, or a
    plain value. Nested arrays without a seed get one from their position (reproducible)."""
    if not isinstance(item, dict):
        return item
    for kind in NESTED_KEYS:
        if kind in item:
            body = item[kind]
            if kind == "dict":
                return {k: make_value(v, index, path + (j,)) for j, (k, v) in enumerate(body.items())}
            values = [make_value(v, index, path + (j,)) for j, v in enumerate(body)]
            return tuple(values) if kind == "tuple" else values
    if "shape" not in item:
        return item.get("value")
    seed = index
    for j in path:  # 3 -> 3; (3, 1) -> 3001 + ...: distinct for every position
        seed = seed * 1000 + j + 1
    return make_input(item if "seed" in item or not path else {**item, "seed": seed}, index)


def make_inputs(spec: dict) -> tuple[tuple, dict]:
    args, kwargs = [], {}
    for i, item in enumerate(spec["inputs"]):
        value = make_value(item, i)
        if isinstance(item, dict) and "name" in item:
            kwargs[item["name"]] = value
        else:
            args.append(value)
    return tuple(args), kwargs


def build(module, side: dict, shared: dict, label: str, globals_: dict | None = None, importer=None):
    """Call `side.build` from the loaded file with the shared init args, updated by the side's.

    globals_: module globals set first (the spec's `globals`, updated by the side's own), for the
    classes of a flat script whose top-level assignments were not run. importer: module name ->
    that project module of this side's own tree (or None), for dotted names (`pkg.net.Net`)."""
    for key, value in {**(globals_ or {}), **(side.get("globals") or {})}.items():
        setattr(module, key, value)
    name = side.get("build")
    target, _ = resolve(module, name, label, importer) if name else (None, None)
    if not callable(target):
        raise SpecError(f"{label} file has no callable {name!r}")
    args = [_value(module, a, label, importer) for a in side.get("args", shared.get("args", []))]
    kwargs = {k: _value(module, v, label, importer)
              for k, v in {**(shared.get("kwargs") or {}), **(side.get("kwargs") or {})}.items()}
    if _is_model_object(target):  # `D = nn.Sequential(...)` built at the file's top level
        if args or kwargs:
            raise SpecError(f"{label} file's {name!r} is a model the file builds itself: give it no init")
        return target
    return target(*args, **kwargs)


def resolve(module, name, label: str, importer=None):
    """(object, the module it was found in) for a build or ref name: an object of the file
    (dotted: its attributes, `blocks.Bottleneck`), else a dotted `pkg.mod.Name` of the project,
    the module imported from this side's own tree by `importer` (the torch side from the input
    folder, the port from outputs/)."""
    if not isinstance(name, str) or not name:
        raise SpecError(f"a build or ref takes the name of an object in the {label} file, not {name!r}")
    parts = name.split(".")
    if hasattr(module, parts[0]) or len(parts) == 1 or importer is None:
        return _attributes(module, parts, name, label), module
    for cut in range(len(parts) - 1, 0, -1):
        found = importer(".".join(parts[:cut]))
        if found is not None:
            return _attributes(found, parts[cut:], name, label), found
    raise SpecError(f"{label} side has no {name!r}: neither the file nor a project module "
                    f"{'.'.join(parts[:-1])} of its tree defines it")


def _attributes(target, parts, name, label):
    for part in parts:
        if not hasattr(target, part):
            return None if len(parts) == 1 else _missing(name, label)
        target = getattr(target, part)
    return target


def _missing(name, label):
    raise SpecError(f"{label} file has no {name!r}")


def _is_model_object(obj) -> bool:
    """A torch Module or MindSpore Cell instance (not a class or a factory function)."""
    if isinstance(obj, type):
        return False
    return (hasattr(obj, "state_dict") and hasattr(obj, "named_parameters")) or \
        (hasattr(obj, "parameters_and_names") and hasattr(obj, "construct"))


def _value(module, value, label: str, importer=None):
    """An argument as written in the spec; `{build: Name, args/kwargs: ...}` is built from the same
    side first (a config object, a net a wrapper takes; a dotted `pkg.mod.Net` from the project
    module of that side's tree), so each side gets its own framework's instance; `{ref: Name}` is
    the side's own object of that name, not called (a block class handed to `ResNet(ResidualBlock,
    [2, 2])`; dotted: the file's attributes, or a project module's object). Lists and mappings are
    looked into, so `[{ref: A}, {ref: B}]` works too."""
    if isinstance(value, dict) and "build" in value:
        return build(module, value, {}, label, importer=importer)
    if isinstance(value, dict) and set(value) == {"ref"}:
        return _ref(module, value["ref"], label, importer)
    if isinstance(value, list):
        return [_value(module, v, label, importer) for v in value]
    if isinstance(value, dict):
        return {k: _value(module, v, label, importer) for k, v in value.items()}
    return value


def _ref(module, name, label: str, importer=None):
    if not isinstance(name, str) or not name:
        raise SpecError(f"{{ref: ...}} takes the name of an object in the {label} file, not {name!r}")
    try:
        target, _ = resolve(module, name, label, importer)
    except SpecError:
        target = None
    if target is None:
        raise SpecError(f"{label} file has no {name!r} (an argument {{ref: {name}}})")
    return target
