"""What runs inside each child of `torch2ms parity-run`: the script, with hooks that record it.

    python -c "from torch2ms.parity import script_hooks; script_hooks.main()" \\
        --side torch|mindspore --record DIR --steps N --roots ROOT[,ROOT] -- SCRIPT ARGS...

The script runs as `python SCRIPT ARGS` would run it (`__main__`, sys.argv, its folder first on
sys.path). Hooks, all installed before it starts:

- the capture point: the first optimizer the script's own code builds, or its first call of a
  model's `generate`, or (for evaluation scripts) its first `model.eval()` / `set_train(False)`.
  There the torch side saves the model's state (parameters and buffers, by name) to
  DIR/weights.npz; the MindSpore side finds the Cell that holds the optimizer's parameters (or
  whose generate/set_train was called) and loads those weights into it by name with the same
  weight transfer `torch2ms parity` uses (`parity.weights.transfer_weights`), before the optimizer
  sees its parameters. The model is the module that owns the optimizer's parameters (of two
  modules owning the same ones, the outer: a model, not its inner Sequential or ModuleDict), or
  the one the spec names (`model: netD`, a name in the script: `--model`). Every optimizer the
  script builds before its first loss gets its model's weights so (a GAN's netD and netG), each
  model once, in the order the script builds them;
- losses: every scalar torch `loss.backward()`, and every call of a function made by
  `mindspore.value_and_grad` (its first output). `mindspore.jit` is a plain call here, so a
  jitted training step still runs these hooks;
- outputs: the value each `generate` call returns and, when the capture was `eval`, what the
  model's forward returns;
- one random stream for both sides: random numbers the project's own code draws (torch.rand*,
  rand_like/randn_like, randint, randperm, multinomial, mint/ops's and numpy's counterparts) come from one numpy
  generator, reset by the script's own seed calls (`torch.manual_seed`, `mindspore.set_seed`,
  `seed_everything` of Lightning, `accelerate.utils.set_seed`, `transformers.set_seed`), so a
  batch sampled with `torch.randint` and
  its port's `mint.randint` get the same indices. Library code (initializers, dropout kernels)
  keeps its own generators: dropout must be off to compare;
- one index order for random data loaders: torch's `RandomSampler` (so `DataLoader(shuffle=True)`)
  and MindSpore's `dataset.RandomSampler` / `GeneratorDataset(shuffle=True)` give the k-th random
  sampler a side builds the same indices (seeded by the script's seed), so shuffled batches line
  up (`Dataset.shuffle(buffer_size)` keeps its own order);
- Python's `random` and numpy's global generator seeded alike (0) on both sides before the
  script runs, so `random.randint` batches (and library code drawing from them) line up; the
  port's `mindspore.set_seed` leaves them as they are, as the `torch.manual_seed` it ports does,
  and so do `seed_everything` / `set_seed` (which seed them too) on the torch side.

After N losses (or N generate calls, or N forward outputs) the record is written to
DIR/<side>.json and the process ends, so `--steps` bounds any script.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import runpy
import sys
import traceback
from pathlib import Path

import numpy as np

STATE = {
    "side": None, "record": None, "steps": 0, "roots": [], "captured": None, "model": None,
    "losses": [], "generated": [], "forward": [], "events": [], "transfer": None, "rename": None,
    "names": [],  # the spec's `model:`: names in the script of the model(s) to capture
    "models": [],  # the models whose weights went across, in the order the script built their optimizers
}
_rng = np.random.default_rng(0)


# --------------------------------------------------------------------- the record
def _save(error: str | None = None, code: int = 0, crashed: bool = False) -> None:
    """Write the record; `crashed`: the script raised an exception (not an exit of its own)."""
    record = {k: STATE.get(k) for k in ("side", "captured", "model", "losses", "events", "transfer", "dropout")}
    record["models"] = [type(m).__name__ for m in STATE["models"]]
    out_dir = Path(STATE["record"])
    arrays = {}
    for kind in ("generated", "forward"):
        record[kind] = []
        for i, value in enumerate(STATE[kind]):
            leaves = _leaves(value)
            names = []
            for path, arr in leaves.items():
                key = f"{kind}.{i}.{path}"
                arrays[key] = arr
                names.append(path)
            record[kind].append(names)
    if arrays:
        np.savez(out_dir / f"{STATE['side']}-outputs.npz", **arrays)
    record["error"] = error
    record["crashed"] = crashed
    (out_dir / f"{STATE['side']}.json").write_text(json.dumps(record, indent=1), encoding="utf-8")


def _finish() -> None:
    """Enough steps: record and stop right here (no cleanup of the script runs)."""
    _save()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _leaves(value, prefix="") -> dict:
    """Arrays of a nested output (tensors of either framework, tuples, dicts, ModelOutput)."""
    arr = _array(value)
    if arr is not None:
        return {prefix or "output": arr}
    out = {}
    join = (lambda k: f"{prefix}.{k}") if prefix else str
    if hasattr(value, "keys") and hasattr(value, "__getitem__"):
        for k in list(value.keys()):
            out.update(_leaves(value[k], join(k)))
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            out.update(_leaves(item, join(i)))
    return out


def _array(value):
    if isinstance(value, np.ndarray):
        return value
    if hasattr(value, "detach") and hasattr(value, "numpy"):  # torch
        t = value.detach().cpu()
        return (t.float() if str(t.dtype) == "torch.bfloat16" else t).numpy()
    if hasattr(value, "asnumpy"):  # mindspore
        import mindspore

        if value.dtype == mindspore.bfloat16:
            value = value.astype(mindspore.float32)
        return value.asnumpy()
    return None


def _scalar(value) -> float | None:
    arr = _array(value)
    if arr is None or arr.size != 1:
        return None
    return float(arr.reshape(()))


# --------------------------------------------------------------------- whose call is it
def _from_project(depth: int = 2) -> bool:
    """True when the caller `depth` frames up is the project's own code (under the roots)."""
    try:
        filename = sys._getframe(depth).f_code.co_filename
    except ValueError:
        return False
    if not filename or filename.startswith("<"):
        return False
    return any(filename.startswith(root) for root in STATE["roots"])


# --------------------------------------------------------------------- capture
def _largest_owner(kind, params_ids: set, exclude=()):
    """The module/Cell instance holding most of `params_ids`, then the fewest others, then the
    outermost: a model whose parameters all sit in one inner container (a Sequential, or a
    ModuleDict holding a GPT's layers, the head tied to its embedding) owns the same parameters
    as that container, and the model is the one to capture."""
    best, best_key = None, None
    for obj in gc.get_objects():
        try:
            if not isinstance(obj, kind) or isinstance(obj, exclude):
                continue
            ids = {id(p) for p in _parameters(obj)}
            covered = len(ids & params_ids)
            key = (covered, -len(ids), _size_of_tree(obj)) if covered else None
        except Exception:  # noqa: BLE001 - a half-built object: not the model
            continue
        if key is not None and (best_key is None or key > best_key):
            best, best_key = obj, key
    return best


def _size_of_tree(obj) -> int:
    """How many modules/Cells `obj` holds, itself included (an outer module holds more)."""
    if hasattr(obj, "cells_and_names"):
        return sum(1 for _ in obj.cells_and_names())
    return sum(1 for _ in obj.modules())


def _named(kind, exclude=()) -> list:
    """The models the spec names (`model: netD`, `self.model`), looked up as the project's code
    sees them: the locals then the globals of each of its frames, from the innermost out (a
    dotted name: attributes)."""
    found = []
    frame = sys._getframe(1)
    for name in STATE["names"]:
        head, *rest = name.split(".")
        obj, f = None, frame
        while f is not None and obj is None:
            if f.f_code.co_filename.startswith(tuple(STATE["roots"])):
                for scope in (f.f_locals, f.f_globals):
                    if head in scope:
                        obj = scope[head]
                        break
            f = f.f_back
        for attr in rest:
            obj = getattr(obj, attr, None)
        if isinstance(obj, kind) and not isinstance(obj, exclude) and all(obj is not o for o in found):
            found.append(obj)
    return found


def _owner(kind, params_ids: set, exclude=()):
    """The model an optimizer over `params_ids` trains: the named model owning most of them, when
    the spec names models and one owns any; else the largest owner."""
    best, best_covered = None, 0
    for obj in _named(kind, exclude):
        covered = len({id(p) for p in _parameters(obj)} & params_ids)
        if covered > best_covered:
            best, best_covered = obj, covered
    return best if best is not None else _largest_owner(kind, params_ids, exclude)


def _wanted(model, kind, exclude=()) -> bool:
    """Whether `model` may be captured at an eval/generate: any model, unless the spec names some."""
    return not STATE["names"] or any(model is obj for obj in _named(kind, exclude))


def _main_model(kind, exclude=()):
    """The module/Cell holding the most trainable parameter elements (the model being trained)."""
    best, best_size = None, 0
    for obj in gc.get_objects():
        try:
            if not isinstance(obj, kind) or isinstance(obj, exclude):
                continue
            size = sum(int(p.numel()) if hasattr(p, "numel") else int(p.size) for p in _parameters(obj)
                       if getattr(p, "requires_grad", True))
        except Exception:  # noqa: BLE001 - a half-built object: not the model
            continue
        if size > best_size:
            best, best_size = obj, size
    return best


def _parameters(obj):
    if hasattr(obj, "parameters_and_names"):  # a Cell
        return [p for _, p in obj.parameters_and_names()]
    return list(obj.parameters())


def _flat_params(params) -> list:
    """The parameters an optimizer was given: tensors, or param-group dicts."""
    out = []
    for item in params:
        if isinstance(item, dict):
            out.extend(_flat_params(item.get("params", [])))
        elif isinstance(item, (list, tuple)):
            out.extend(_flat_params(item))
        else:
            out.append(item)
    return out


def _capture(kind: str, model) -> None:
    STATE["captured"] = kind
    STATE["model"] = type(model).__name__
    STATE["events"].append(f"capture at {kind}: {type(model).__name__}")
    STATE["dropout"] = _dropout(model)
    STATE["models"].append(model)
    if STATE["side"] == "torch":
        _save_torch_state(model, _weights_file(0))
    else:
        _load_into_cell(model, _weights_file(0))
    if kind == "eval":
        _record_forward(model)


def _another_optimizer(model) -> None:
    """An optimizer built after the capture and before the first loss (a GAN's second one): its
    model, when not captured yet, gets the torch weights as well."""
    if model is None or STATE["losses"] or any(model is m for m in STATE["models"]):
        return
    STATE["models"].append(model)
    number = len(STATE["models"]) - 1
    STATE["model"] = ", ".join(type(m).__name__ for m in STATE["models"])
    STATE["events"].append(f"capture at optimizer {number + 1}: {type(model).__name__}")
    STATE["dropout"] = (STATE.get("dropout") or []) + [f"{type(model).__name__}.{d}" for d in _dropout(model)]
    if STATE["side"] == "torch":
        _save_torch_state(model, _weights_file(number))
    else:
        _load_into_cell(model, _weights_file(number))


def _weights_file(number: int) -> Path:
    return Path(STATE["record"]) / ("weights.npz" if number == 0 else f"weights-{number}.npz")


def _dropout(model) -> list:
    """Sub-modules that drop at random (p > 0): their masks differ between frameworks."""
    found = []
    named = model.named_modules() if hasattr(model, "named_modules") else model.cells_and_names()
    for name, sub in named:
        p = getattr(sub, "p", None)
        if "Dropout" in type(sub).__name__ and isinstance(p, (int, float)) and p > 0:
            found.append(name or type(sub).__name__)
    return found


def _save_torch_state(module, path: Path) -> None:
    state = module.state_dict()
    persistent = set(state)
    arrays = {f"p:{k}": _array(v) for k, v in state.items() if v is not None}
    for name, buf in module.named_buffers():
        if name not in persistent and buf is not None:
            arrays[f"b:{name}"] = _array(buf)
    np.savez(path, **arrays)


class _Saved:
    """A captured torch tensor, seen through the few methods the weight transfer uses."""

    def __init__(self, array):
        self.array = array
        self.shape = array.shape
        self.dtype = f"torch.{array.dtype}" if array.dtype != np.bool_ else "torch.bool"

    def detach(self):
        return self

    def cpu(self):
        return self

    def float(self):
        return _Saved(self.array.astype(np.float32))

    def numpy(self):
        return self.array


class _SavedModule:
    """The captured torch model as `transfer_weights` reads one: state_dict and named_buffers."""

    def __init__(self, path: Path):
        data = np.load(path)
        self.persistent = {k[2:]: _Saved(data[k]) for k in data.files if k.startswith("p:")}
        self.buffers = {k[2:]: _Saved(data[k]) for k in data.files if k.startswith("b:")}

    def state_dict(self, keep_vars=False):
        return dict(self.persistent)

    def named_buffers(self):
        return list(self.buffers.items())


def _load_into_cell(cell, path: Path) -> None:
    """The torch weights saved at `path` into `cell`; with several models, each line of the
    transfer summary names its model."""
    from torch2ms.parity.weights import WeightTransferError, transfer_weights

    before = (STATE["transfer"] or {}).get("summary", "")
    label = ""
    if len(STATE["models"]) > 1:
        label = f"{type(cell).__name__}: "
        if len(STATE["models"]) == 2:
            before = f"{type(STATE['models'][0]).__name__}: {before}"
    if not path.is_file():
        STATE["transfer"] = {"ok": False, "summary": _joined(before, label + "the torch run saved no weights for "
                                                             "this model (it built fewer optimizers)")}
        _save(error="the torch run saved no weights for the port's model")
        sys.stdout.flush()
        os._exit(1)
    try:
        report = transfer_weights(_SavedModule(path), cell, rename=STATE["rename"])
    except WeightTransferError as exc:
        STATE["transfer"] = {"ok": False, "summary": _joined(before, label + exc.report.summary())}
        _save(error="the torch weights do not map onto the port's model")
        sys.stdout.flush()
        os._exit(1)
    STATE["transfer"] = {"ok": True, "summary": _joined(before, label + report.summary())}


def _joined(before: str, line: str) -> str:
    return f"{before}\n{line}" if before else line


def _record_forward(model) -> None:
    """Record the evaluated model's outputs; a model that generates is stopped by its generate
    calls instead (its forward runs once per generated token)."""
    generates = callable(getattr(model, "generate", None))

    def hook(*args):
        if len(STATE["forward"]) < STATE["steps"]:
            STATE["forward"].append(_leaves(args[-1]))
        if len(STATE["forward"]) >= STATE["steps"] and not generates:
            _finish()

    if hasattr(model, "register_forward_hook"):
        model.register_forward_hook(hook)


def _after_loss(value, where: str = "") -> None:
    loss = _scalar(value)
    if loss is None:
        if where:
            note = f"{where}'s first output is not a scalar loss (shape {list(getattr(value, 'shape', []))})"
            if note not in STATE["events"]:
                STATE["events"].append(note)
                _save()
        return
    STATE["losses"].append(loss)
    if len(STATE["losses"]) >= STATE["steps"]:
        _finish()
    _save()  # a run stopped by its time limit still tells how far it got


# --------------------------------------------------------------------- the torch side
def _install_torch() -> None:
    import torch

    base_init = torch.optim.Optimizer.__init__

    def optimizer_init(self, params, *args, **kwargs):
        params = list(params)
        if STATE["captured"] in (None, "optimizer") and _from_project(
                2 + _subclass_depth(type(self), torch.optim.Optimizer)):
            ids = {id(p) for p in _flat_params(params)}
            model = _owner(torch.nn.Module, ids)
            if STATE["captured"] is None and model is not None:
                _capture("optimizer", model)
            else:
                _another_optimizer(model)
        return base_init(self, params, *args, **kwargs)

    torch.optim.Optimizer.__init__ = optimizer_init

    backward = torch.Tensor.backward

    def recorded_backward(self, *args, **kwargs):
        if STATE["captured"] is None and self.numel() == 1 and self.requires_grad:
            # a loop without an optimizer (a hand-written update): the first loss is the start
            model = (_named(torch.nn.Module) or [None])[0] or _main_model(torch.nn.Module)
            if model is not None:
                _capture("loss", model)
        if STATE["captured"] is not None and self.numel() == 1:
            _after_loss(self)
        return backward(self, *args, **kwargs)

    torch.Tensor.backward = recorded_backward

    module_eval = torch.nn.Module.eval

    def recorded_eval(self):
        if (STATE["captured"] is None and _from_project() and any(True for _ in self.parameters())
                and _wanted(self, torch.nn.Module)):
            _capture("eval", self)
        return module_eval(self)

    torch.nn.Module.eval = recorded_eval
    _hook_generate(torch.nn.Module)
    _shared_random_torch(torch)
    _shared_sampling_torch(torch)
    _library_seeds()


def _subclass_depth(cls, base) -> int:
    """How many subclass __init__ frames stand between the caller and the base __init__
    (`super().__init__(params, defaults)` in SGD, AdamW, ...)."""
    depth = 0
    for klass in cls.__mro__:
        if klass is base:
            break
        if "__init__" in klass.__dict__:
            depth += 1
    return depth


def _hook_generate(base) -> None:
    """Wrap `generate` of every model class defined from now on (also an inherited one, such as
    transformers' GenerationMixin.generate)."""

    def wrap(function):
        def generate(self, *args, **kwargs):
            if STATE["captured"] is None and _wanted(self, type(self)):
                _capture("generate", self)
            out = function(self, *args, **kwargs)
            if STATE["captured"] is not None:
                STATE["generated"].append(_leaves(out))
                if len(STATE["generated"]) >= STATE["steps"]:
                    _finish()
            return out

        generate._torch2ms_wrapped = True
        generate.__wrapped__ = function
        generate.__name__ = getattr(function, "__name__", "generate")
        return generate

    previous = base.__dict__.get("__init_subclass__")

    def init_subclass(cls, **kwargs):
        if previous is not None:
            previous.__func__(cls, **kwargs)
        else:
            super(base, cls).__init_subclass__(**kwargs)
        function = getattr(cls, "generate", None)
        if callable(function) and not getattr(function, "_torch2ms_wrapped", False):
            cls.generate = wrap(function)

    base.__init_subclass__ = classmethod(init_subclass)


# --------------------------------------------------------------------- the MindSpore side
def _install_mindspore() -> None:
    import mindspore
    from mindspore import nn

    from torch2ms import cpu_fallback

    cpu_fallback.enable()
    bases = [mindspore.experimental.optim.optimizer.Optimizer, mindspore.nn.optim.optimizer.Optimizer]
    for base in bases:
        _wrap_ms_optimizer(base, tuple(bases))

    value_and_grad = mindspore.value_and_grad

    def recorded_value_and_grad(fn, grad_position=0, weights=None, *args, **kwargs):
        grad_fn = value_and_grad(fn, grad_position, weights, *args, **kwargs)

        def run(*a, **kw):
            if STATE["captured"] is None:  # no optimizer built: the first loss is the start
                params = _flat_params(list(weights)) if isinstance(weights, (list, tuple)) else None
                model = (_owner(nn.Cell, {id(p) for p in params}, exclude=tuple(bases)) if params
                         else (_named(nn.Cell, tuple(bases)) or [None])[0] or _main_model(nn.Cell, exclude=tuple(bases)))
                if model is not None:
                    _capture("loss", model)
            value, grads = grad_fn(*a, **kw)
            if STATE["captured"] is not None:
                first = value[0] if isinstance(value, (tuple, list)) else value
                _after_loss(first, "the function given to value_and_grad")
            return value, grads

        return run

    for owner in (mindspore, mindspore.ops):
        owner.value_and_grad = recorded_value_and_grad

    def no_jit(function=None, **kwargs):
        return function if function is not None else (lambda f: f)

    mindspore.jit = no_jit

    set_train = nn.Cell.set_train

    def recorded_set_train(self, mode=True):
        if (not mode and STATE["captured"] is None and _from_project()
                and not isinstance(self, tuple(bases)) and self.trainable_params()
                and _wanted(self, nn.Cell, tuple(bases))):
            _capture("eval", self)
        return set_train(self, mode)

    nn.Cell.set_train = recorded_set_train
    _hook_generate(nn.Cell)
    _shared_random_mindspore(mindspore)
    _shared_sampling_mindspore(mindspore)


def _wrap_ms_optimizer(base, optimizers) -> None:
    import inspect

    init = base.__init__
    signature = inspect.signature(init)
    name = "params" if "params" in signature.parameters else "parameters"

    def optimizer_init(self, *args, **kwargs):
        if STATE["captured"] in (None, "optimizer") and _from_project(2 + _subclass_depth(type(self), base)):
            bound = signature.bind(self, *args, **kwargs)
            params = list(bound.arguments[name])
            bound.arguments[name] = params
            args, kwargs = bound.args[1:], bound.kwargs
            from mindspore import nn

            model = _owner(nn.Cell, {id(p) for p in _flat_params(params)}, exclude=optimizers)
            if STATE["captured"] is None and model is not None:
                _capture("optimizer", model)
            else:
                _another_optimizer(model)
        return init(self, *args, **kwargs)

    base.__init__ = optimizer_init


# --------------------------------------------------------------------- one random stream
_seed = [0]  # the script's latest seed: random samplers built after it start from it


def _reset(seed) -> None:
    global _rng
    try:
        _rng = np.random.default_rng(int(seed))
        _seed[0] = int(seed)
    except (TypeError, ValueError):
        pass


def _size(args, kwargs) -> tuple:
    size = kwargs.get("size", args)
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    return tuple(int(s) for s in size)


def _int_args(args, kwargs):
    """(low, high, size) of randint(high, size) / randint(low, high, size)."""
    args = list(args)
    size = kwargs.get("size")
    if size is None and args and isinstance(args[-1], (tuple, list)):
        size = args.pop()
    low, high = (0, args[0]) if len(args) == 1 else (args[0], args[1]) if len(args) >= 2 else (0, None)
    low, high = kwargs.get("low", low), kwargs.get("high", high)
    return int(low), int(high), tuple(size or ())


def _multinomial(probs: np.ndarray, num_samples: int, replacement: bool) -> np.ndarray:
    probs = np.asarray(probs, dtype=np.float64)
    rows = probs.reshape(-1, probs.shape[-1])
    out = np.empty((rows.shape[0], num_samples), dtype=np.int64)
    for r, row in enumerate(rows):
        p = row / row.sum()
        for s in range(num_samples):
            cdf = np.cumsum(p)
            j = int(min(np.searchsorted(cdf, _rng.random() * cdf[-1], side="right"), len(p) - 1))
            out[r, s] = j
            if not replacement:
                p = p.copy()
                p[j] = 0.0
                if p.sum() <= 0:
                    break
    return out.reshape(probs.shape[:-1] + (num_samples,))


def _shared(native, make, convert):
    """`native` for library code; for the project's own code, `make(args, kwargs)` (a numpy
    array from the shared stream) converted to the framework's tensor."""

    def shared(*args, **kwargs):
        if not _from_project():
            return native(*args, **kwargs)
        return convert(make(args, kwargs), kwargs)

    shared.__wrapped__ = native
    return shared


def _rng_random(shape):
    return _rng.random(shape)


def _rng_normal(shape):
    return _rng.standard_normal(shape)


def _like(native, draw, to_tensor):
    """`rand_like(x)` / `randn_like(x)` from the shared stream, in x's dtype (or `dtype=`)."""

    def like(x, *args, **kwargs):
        if not _from_project() or args:
            return native(x, *args, **kwargs)
        return to_tensor(draw(tuple(int(d) for d in x.shape)), kwargs.get("dtype") or x.dtype)

    like.__wrapped__ = native
    return like


def _seeding(native):
    def seed(*args, **kwargs):
        if _from_project() and (args or "seed" in kwargs):
            _reset(args[0] if args else kwargs["seed"])
        return native(*args, **kwargs)

    seed.__wrapped__ = native
    return seed


def _keeping_global_generators(native):
    """mindspore.set_seed also seeds Python's `random` and numpy's global generator (through
    mindspore.dataset's config); torch.manual_seed, which it ports, seeds neither. Their states
    are kept across the call, so both sides go on drawing the same numbers from them."""
    import random

    def seed(*args, **kwargs):
        python, numpy = random.getstate(), np.random.get_state()
        try:
            return native(*args, **kwargs)
        finally:
            random.setstate(python)
            np.random.set_state(numpy)

    seed.__wrapped__ = native
    return seed


# the seed functions of libraries a script calls as its own seed: module -> function names
LIBRARY_SEEDS = {
    "lightning_fabric.utilities.seed": ("seed_everything",),
    "lightning.fabric.utilities.seed": ("seed_everything",),
    "accelerate.utils.random": ("set_seed",),
    "transformers.trainer_utils": ("set_seed",),
}


def _seed_function(module) -> None:
    for name in LIBRARY_SEEDS.get(module.__name__, ()):
        native = getattr(module, name, None)
        if callable(native) and not hasattr(native, "__wrapped__"):
            setattr(module, name, _seeding(_keeping_global_generators(native)))


class _AfterImport:
    """A meta path finder that wraps the seed functions of LIBRARY_SEEDS as their module is
    executed, before the package re-exports them (`lightning.seed_everything`, `L.seed_everything`,
    `pytorch_lightning.seed_everything`, `accelerate.utils.set_seed`, `transformers.set_seed`)."""

    def find_spec(self, fullname, path, target=None):
        if fullname not in LIBRARY_SEEDS:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
                execute = spec.loader.exec_module

                def exec_module(module, execute=execute):
                    execute(module)
                    _seed_function(module)

                spec.loader.exec_module = exec_module
                return spec
        return None


def _library_seeds() -> None:
    """`seed_everything(42)` (Lightning), `set_seed(42)` (accelerate, transformers) called by the
    script are its seed calls, as `torch.manual_seed` is: they reset the shared stream."""
    for name in LIBRARY_SEEDS:
        if name in sys.modules:
            _seed_function(sys.modules[name])
    sys.meta_path.insert(0, _AfterImport())


def _numpy_patches() -> None:
    random = np.random
    float64 = lambda arr, kwargs: arr  # noqa: E731
    patches = {
        "rand": lambda a, k: _rng.random(tuple(int(s) for s in a)),
        "random": lambda a, k: _rng.random(a[0] if a else k.get("size")),
        "random_sample": lambda a, k: _rng.random(a[0] if a else k.get("size")),
        "randn": lambda a, k: _rng.standard_normal(tuple(int(s) for s in a)),
        "standard_normal": lambda a, k: _rng.standard_normal(a[0] if a else k.get("size")),
        "randint": lambda a, k: _np_randint(a, k),
        "permutation": lambda a, k: _np_permutation(a[0]),
    }
    for name, make in patches.items():
        setattr(random, name, _shared(getattr(random, name), make, float64))
    native_shuffle = random.shuffle

    def shuffle(x):
        if not _from_project():
            return native_shuffle(x)
        order = _rng.permutation(len(x))
        x[:] = [x[i] for i in order] if isinstance(x, list) else np.asarray(x)[order]

    random.shuffle = shuffle
    random.seed = _seeding(random.seed)


def _np_randint(args, kwargs):
    low = args[0] if args else kwargs["low"]
    high = args[1] if len(args) > 1 else kwargs.get("high")
    size = args[2] if len(args) > 2 else kwargs.get("size")
    if high is None:
        low, high = 0, low
    return _rng.integers(low, high, size=size)


def _np_permutation(x):
    if isinstance(x, (int, np.integer)):
        return _rng.permutation(int(x))
    return np.asarray(x)[_rng.permutation(len(x))]


def _shared_random_torch(torch) -> None:
    def tensor(arr, kwargs, default=None):
        t = torch.from_numpy(np.ascontiguousarray(arr))
        dtype = kwargs.get("dtype") or default
        t = t.to(dtype) if dtype is not None else t
        return t.requires_grad_(True) if kwargs.get("requires_grad") else t

    floats = lambda arr, k: tensor(arr, k, torch.get_default_dtype())  # noqa: E731
    ints = lambda arr, k: tensor(arr, k, torch.int64)  # noqa: E731
    torch.rand = _shared(torch.rand, lambda a, k: _rng.random(_size(a, k)), floats)
    torch.randn = _shared(torch.randn, lambda a, k: _rng.standard_normal(_size(a, k)), floats)
    torch.randint = _shared(torch.randint, lambda a, k: _rng.integers(*_int_args(a, k)[:2], size=_int_args(a, k)[2]), ints)
    torch.randperm = _shared(torch.randperm, lambda a, k: _rng.permutation(int(a[0] if a else k["n"])), ints)
    for name, draw in (("rand_like", _rng_random), ("randn_like", _rng_normal)):
        setattr(torch, name, _like(getattr(torch, name), draw,
                                   lambda arr, dtype: torch.from_numpy(np.ascontiguousarray(arr)).to(dtype)))
    torch.multinomial = _shared(torch.multinomial, lambda a, k: _multinomial(
        _array(a[0] if a else k["input"]), int(a[1] if len(a) > 1 else k["num_samples"]),
        bool(a[2] if len(a) > 2 else k.get("replacement", False))), ints)
    torch.manual_seed = _seeding(torch.manual_seed)
    torch.random.manual_seed = torch.manual_seed
    _numpy_patches()


def _shared_random_mindspore(mindspore) -> None:
    from mindspore import mint, ops

    def tensor(arr, kwargs, default):
        t = mindspore.Tensor(np.ascontiguousarray(arr))
        return t.astype(kwargs.get("dtype") or default)

    floats = lambda arr, k: tensor(arr, k, mindspore.float32)  # noqa: E731
    ints = lambda arr, k: tensor(arr, k, mindspore.int64)  # noqa: E731
    for owner in (mint, ops):
        for name, make, convert in (
            ("rand", lambda a, k: _rng.random(_size(a, k)), floats),
            ("randn", lambda a, k: _rng.standard_normal(_size(a, k)), floats),
            ("randint", lambda a, k: _rng.integers(*_int_args(a, k)[:2], size=_int_args(a, k)[2]), ints),
            ("randperm", lambda a, k: _rng.permutation(int(a[0] if a else k["n"])), ints),
            ("multinomial", lambda a, k: _multinomial(
                _array(a[0] if a else k["input"]), int(a[1] if len(a) > 1 else k["num_samples"]),
                bool(a[2] if len(a) > 2 else k.get("replacement", False))), ints),
        ):
            if hasattr(owner, name):
                setattr(owner, name, _shared(getattr(owner, name), make, convert))
        for name, draw in (("rand_like", _rng_random), ("randn_like", _rng_normal)):
            if hasattr(owner, name):
                setattr(owner, name, _like(getattr(owner, name), draw,
                                           lambda arr, dtype: mindspore.Tensor(np.ascontiguousarray(arr)).astype(dtype)))
    for owner in (mindspore,):
        for name in ("set_seed", "manual_seed"):
            if hasattr(owner, name):
                setattr(owner, name, _seeding(_keeping_global_generators(getattr(owner, name))))
    _numpy_patches()


# --------------------------------------------------------------------- one order for data loaders
CHUNK = 1024  # draws with replacement come in numbered blocks of this many, the same on both sides
_samplers = [0]  # the random samplers this side has built


def _sampler_key() -> tuple:
    """The key of the next random sampler this side builds: the script's seed and its number."""
    key = (_seed[0] % 2**32, _samplers[0])
    _samplers[0] += 1
    return key


def _permutation(key: tuple, epoch: int, n: int) -> np.ndarray:
    return np.random.default_rng([*key, 2, epoch]).permutation(n)


def _block(key: tuple, number: int, n: int) -> np.ndarray:
    return np.random.default_rng([*key, 1, number]).integers(0, n, size=CHUNK)


def _shared_sampling_torch(torch) -> None:
    from torch.utils.data import RandomSampler

    init = RandomSampler.__init__

    def sampler_init(self, *args, **kwargs):
        init(self, *args, **kwargs)
        self._torch2ms = {"key": _sampler_key(), "epoch": 0, "block": 0}

    def sampler_iter(self):
        state, n, num = self._torch2ms, len(self.data_source), self.num_samples
        while n > 0 and num > 0:
            if self.replacement:  # an epoch goes on through the blocks
                draws = _block(state["key"], state["block"], n)
                state["block"] += 1
            else:
                draws = _permutation(state["key"], state["epoch"], n)
                state["epoch"] += 1
            for i in draws[:num]:
                yield int(i)
            num -= min(num, len(draws))

    RandomSampler.__init__ = sampler_init
    RandomSampler.__iter__ = sampler_iter


class _Reordered:
    """A random-access source read in torch's order by a sequential MindSpore pipeline: item i of
    an epoch is the source's item at position i of that epoch's permutation (or of the blocks of
    draws with replacement). An epoch starts when item 0 is read (one reader: the pipeline runs
    with one worker here), so a pipeline that lists its sampler's indices twice per epoch, as
    MindSpore's does, cannot shift the order."""

    def __init__(self, source, replacement: bool, num_samples=None):
        self.source, self.replacement = source, bool(replacement)
        self.key, self.epoch, self.n = _sampler_key(), -1, len(source)
        num = self.n if num_samples is None else int(num_samples)
        if self.replacement:  # a MindSpore epoch is listed whole: whole blocks, not 1e10 draws
            num = min(num, CHUNK * max(1, -(-self.n // CHUNK)))
        self.length = max(0, min(num, self.n) if not self.replacement else num)
        self._order = None

    def __len__(self):
        return self.length

    def __getitem__(self, i):
        i = int(i)
        if i == 0 or self._order is None:
            self.epoch += 1
            if self.replacement:
                per_epoch = -(-self.length // CHUNK)
                blocks = [_block(self.key, self.epoch * per_epoch + b, self.n) for b in range(per_epoch)]
                self._order = np.concatenate(blocks)[: self.length] if blocks else np.zeros(0, np.int64)
            else:
                self._order = _permutation(self.key, self.epoch, self.n)
        return self.source[int(self._order[i])]


def _shared_sampling_mindspore(mindspore) -> None:
    from mindspore import dataset

    class SharedRandomSampler(dataset.RandomSampler):
        """`RandomSampler(replacement, num_samples)`: given to a GeneratorDataset, its source is
        read in torch's order (`_Reordered`); elsewhere MindSpore's own sampler."""

        def __init__(self, replacement=False, num_samples=None, **kwargs):
            super().__init__(replacement=replacement, num_samples=num_samples, **kwargs)
            self.torch2ms = (replacement, num_samples)

    dataset.RandomSampler = SharedRandomSampler
    if hasattr(dataset, "samplers"):
        dataset.samplers.RandomSampler = SharedRandomSampler
    generator_init = dataset.GeneratorDataset.__init__

    def generator_dataset_init(self, source, *args, **kwargs):
        sampler = kwargs.get("sampler")
        random_access = hasattr(source, "__getitem__") and hasattr(source, "__len__") and len(args) < 5
        if random_access and isinstance(sampler, SharedRandomSampler):
            source = _Reordered(source, *sampler.torch2ms)
            kwargs = dict(kwargs, sampler=None, shuffle=False, num_parallel_workers=1)
        elif random_access and kwargs.get("shuffle") and sampler is None:
            source = _Reordered(source, False)
            kwargs = dict(kwargs, shuffle=False, num_parallel_workers=1)
        return generator_init(self, source, *args, **kwargs)

    dataset.GeneratorDataset.__init__ = generator_dataset_init


def _seed_globals(seed: int = 0) -> None:
    """Python's `random` and numpy's global generator start from the same seed on both sides
    (right before the script runs, after the framework imports), so a batch drawn with
    `random.randint` or by library code using `np.random` lines up too."""
    import random

    random.seed(seed)
    getattr(np.random.seed, "__wrapped__", np.random.seed)(seed)  # the native seed, not the shared stream's


# --------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="torch2ms parity-run child")
    parser.add_argument("--side", choices=("torch", "mindspore"), required=True)
    parser.add_argument("--record", required=True)
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--roots", required=True, help="the project's folders, comma-separated")
    parser.add_argument("--rename", default="null", help="JSON: torch -> port parameter names")
    parser.add_argument("--guard", help="the workspace whose outputs/ the port must stand on")
    parser.add_argument("--model", default="[]", help="JSON: names in the script of the model(s) to capture")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    STATE.update(side=args.side, record=args.record, steps=args.steps,
                 roots=[str(Path(r).resolve()) + os.sep for r in args.roots.split(",") if r],
                 rename=json.loads(args.rename), names=list(json.loads(args.model)))
    script = str(Path(command[0]).resolve())
    if args.side == "torch":
        from torch2ms import torch_env

        torch_env.prepare()
        _install_torch()
    else:
        _install_mindspore()
    _seed_globals()
    sys.argv = [script, *command[1:]]
    # as `python sub/script.py` of a project installed for development (`pip install -e .`): the
    # script's folder first, then the project's root, so `scripts/train.py` imports the package
    folder = str(Path(script).parent)
    sys.path[0:1] = [folder] + [r.rstrip(os.sep) for r in STATE["roots"] if r.rstrip(os.sep) != folder]
    if args.guard:
        from torch2ms import loader

        guard = loader.outputs_guard(None, Path(script).parent)
        if guard is not None:
            sys.meta_path.insert(0, guard)
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as exc:
        if exc.code not in (None, 0):
            _save(error=f"the script exited with status {exc.code}")
            os._exit(1)
    except BaseException as exc:  # noqa: BLE001 - recorded for the parent, which says what failed
        frames = traceback.extract_tb(exc.__traceback__)
        where = next((f"{f.filename}:{f.lineno}" for f in reversed(frames) if f.filename.startswith(
            tuple(STATE["roots"]))), f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "")
        _save(error=f"{type(exc).__name__}: {exc}" + (f" (at {where})" if where else ""), crashed=True)
        traceback.print_exc()
        os._exit(1)
    _save()
    sys.stdout.flush()
    os._exit(0)
