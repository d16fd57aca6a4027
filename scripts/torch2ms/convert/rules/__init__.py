"""The rule registry, pyupgrade-style: each family is one module that registers its handlers.

A handler receives the converter (`ctx`, see `engine.Converter` for what it offers), the
original node (for name resolution) and the updated node (to build on), and returns the new
node, or None when it does not apply (the next handler, then the mapping table, gets a turn).

- `@call("torch.manual_seed", prefix=False)`: a call whose callee resolves to that torch name
  (or to a name under it with prefix=True). Handlers here win over the mapping table.
- `@reference("torch.nn.Module")`: a name used without being called (class bases, isinstance).
- `@method("size")`: a method call `<expr>.size(...)` whose callee is not a torch name;
  `@method("*")` is asked first for every method name (objects a library built: `_objects.py`).
- `@node(cst.With)`: any node of that type, after its children were converted.
- `@keep_class`: a predicate `(ctx, ClassDef) -> str | None`; a class it names (its base stays
  on a torch library: a `LightningModule`) is left as it is, body and all, until a person
  restructures it. Inside it the torch names keep their imports and are counted as flagged, and
  only handlers registered with `kept=True` (`@method("log", kept=True)`) run: they add the
  markers that say how to restructure it.

The `imports` family (`imports.py`) is not a handler: it runs once after the main pass, on
what the pass recorded (torch imports still used, MindSpore names written).
"""

from __future__ import annotations

import importlib
from collections import defaultdict
from typing import Callable

FAMILIES = (
    # the families of libraries without a counterpart come first: their method handlers
    # (`accelerator.backward(loss)`) must win over the torch ones (`loss.backward()`)
    "accelerate",
    "lightning",
    "torchmetrics",
    "serving",
    "modules",
    "tensor_methods",
    "devices_dtypes",
    "autograd",
    "train_eval",
    "seeds",
    "hf_ecosystem",
    "attention",
    "training_loop",
    "torchvision",
    "diffusers",
    "timm",
    "tokenizers",
)

CALLS: dict[str, list[Callable]] = defaultdict(list)
CALL_PREFIXES: list[tuple[str, Callable]] = []
REFERENCES: dict[str, list[Callable]] = defaultdict(list)
REFERENCE_PREFIXES: list[tuple[str, Callable]] = []
METHODS: dict[str, list[Callable]] = defaultdict(list)
NODES: dict[type, list[Callable]] = defaultdict(list)
KEEP_CLASS: list[Callable] = []

_loaded = False


def call(*names: str, prefix: bool = False):
    def register(fn):
        for name in names:
            (CALL_PREFIXES.append((name, fn)) if prefix else CALLS[name].append(fn))
        return fn
    return register


def reference(*names: str, prefix: bool = False):
    def register(fn):
        for name in names:
            (REFERENCE_PREFIXES.append((name, fn)) if prefix else REFERENCES[name].append(fn))
        return fn
    return register


def method(*names: str, kept: bool = False):
    def register(fn):
        fn.kept = kept or getattr(fn, "kept", False)
        for name in names:
            METHODS[name].append(fn)
        return fn
    return register


def node(*types: type, kept: bool = False):
    def register(fn):
        fn.kept = kept or getattr(fn, "kept", False)
        for t in types:
            NODES[t].append(fn)
        return fn
    return register


def keep_class(fn):
    KEEP_CLASS.append(fn)
    return fn


def kept_reason(ctx, cls) -> str | None:
    """Why the class stays on a torch library (the first predicate that says so), else None."""
    for fn in KEEP_CLASS:
        reason = fn(ctx, cls)
        if reason:
            return reason
    return None


def _matching(exact: dict, prefixes: list, name: str) -> list[Callable]:
    found = list(exact.get(name, ()))
    found += [fn for p, fn in prefixes if name == p or name.startswith(p + ".")]
    return found


def method_handlers(name: str) -> list[Callable]:
    """The handlers of a method name: the "*" ones first, then those registered for it."""
    wildcard = METHODS.get("*")
    if not wildcard:
        return METHODS.get(name, ())
    return [*wildcard, *METHODS.get(name, ())]


def call_handlers(name: str) -> list[Callable]:
    return _matching(CALLS, CALL_PREFIXES, name)


def reference_handlers(name: str) -> list[Callable]:
    return _matching(REFERENCES, REFERENCE_PREFIXES, name)


def load_all() -> None:
    """Import every family once, so that each registers its handlers."""
    global _loaded
    if not _loaded:
        for family in FAMILIES:
            importlib.import_module(f"{__name__}.{family}")
        _loaded = True
