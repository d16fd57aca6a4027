"""The rule registry, pyupgrade-style: each family is one module that registers its handlers.

A handler receives the converter (`ctx`, see `engine.Converter` for what it offers), the
original node (for name resolution) and the updated node (to build on), and returns the new
node, or None when it does not apply (the next handler, then the mapping table, gets a turn).

- `@call("torch.manual_seed", prefix=False)`: a call whose callee resolves to that torch name
  (or to a name under it with prefix=True). Handlers here win over the mapping table.
- `@reference("torch.nn.Module")`: a name used without being called (class bases, isinstance).
- `@method("size")`: a method call `<expr>.size(...)` whose callee is not a torch name;
  `@method("*")` is asked first for every method name (objects a library built: `_objects.py`).
- `@node(cst.With)`: any node of that type, after its children were converted. The converter
  visits only the expressions that can hold something a rule handles (`engine.py`), so a handler
  of an expression type (Call, Attribute, ...) says what it reacts to: `attrs=` (attribute
  names, `x.sample`), `keywords=` (call keywords, `return_tensors=`), `when=` (a predicate on
  the converter, asked once per file: true means any node of the type, in that file). A handler
  that says none of these reacts to every node of its type, and nothing is skipped.
- `@keep_class`: a predicate `(ctx, ClassDef) -> str | None`; a class it names (its base stays
  on a torch library: a `LightningModule`) is left as it is, body and all, until a person
  restructures it. Inside it the torch names keep their imports and are counted as flagged, and
  only handlers registered with `kept=True` (`@method("log", kept=True)`) run: they add the
  markers that say how to restructure it.

The `imports` family (`imports.py`) is not a handler: it runs once after the main pass, on
what the pass recorded (torch imports still used, MindSpore names written).
"""

from __future__ import annotations

import functools
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
    "einops",
    "tokenizers",
    "left_arguments",  # last: its catch-all takes the torch calls nothing else converts
)

CALLS: dict[str, list[Callable]] = defaultdict(list)
CALL_PREFIXES: list[tuple[str, Callable]] = []
REFERENCES: dict[str, list[Callable]] = defaultdict(list)
REFERENCE_PREFIXES: list[tuple[str, Callable]] = []
METHODS: dict[str, list[Callable]] = defaultdict(list)
NODES: dict[type, list[Callable]] = defaultdict(list)
KEEP_CLASS: list[Callable] = []

_loaded = False


def _changed() -> None:
    """A registration: the lookups cached per name start again."""
    call_handlers.cache_clear()
    reference_handlers.cache_clear()
    method_handlers.cache_clear()


def call(*names: str, prefix: bool = False):
    def register(fn):
        for name in names:
            (CALL_PREFIXES.append((name, fn)) if prefix else CALLS[name].append(fn))
        _changed()
        return fn
    return register


def reference(*names: str, prefix: bool = False):
    def register(fn):
        for name in names:
            (REFERENCE_PREFIXES.append((name, fn)) if prefix else REFERENCES[name].append(fn))
        _changed()
        return fn
    return register


def method(*names: str, kept: bool = False, when: Callable | None = None):
    """`when`: for "*" only, a predicate on the converter (once per file) outside which the
    handler never applies (the converter then skips the method calls nothing else handles)."""
    def register(fn):
        fn.kept = kept or getattr(fn, "kept", False)
        fn.when = when
        for name in names:
            METHODS[name].append(fn)
        _changed()
        return fn
    return register


def node(*types: type, kept: bool = False, attrs: tuple[str, ...] = (),
         keywords: tuple[str, ...] = (), when: Callable | None = None):
    def register(fn):
        fn.kept = kept or getattr(fn, "kept", False)
        fn.triggers = (tuple(attrs), tuple(keywords), when) if attrs or keywords or when else None
        for t in types:
            NODES[t].append(fn)
        return fn
    return register


def handled_names(table) -> tuple[frozenset[str], frozenset[str]]:
    """(attribute names, call keywords) the handlers and the table react to: the method names
    (`x.size()`, and every `Tensor.*` entry of the table) and what expression handlers declare."""
    attrs = {name for name in METHODS if name != "*"}
    attrs.update(k[len("Tensor."):] for k in table if k.startswith("Tensor."))
    keywords = set()
    for handlers in NODES.values():
        for fn in handlers:
            triggers = getattr(fn, "triggers", None)
            if triggers is not None:
                attrs.update(triggers[0])
                keywords.update(triggers[1])
    return frozenset(attrs), frozenset(keywords)


def visit_everything(ctx, expression_types) -> bool:
    """Whether a handler may react to any node of an expression type in this file: one that
    declares no trigger, or whose `when` holds (then the converter skips nothing)."""
    for t in expression_types:
        for fn in NODES.get(t, ()):
            triggers = getattr(fn, "triggers", None)
            if triggers is None or (triggers[2] is not None and triggers[2](ctx)):
                return True
    for fn in METHODS.get("*", ()):
        if fn.when is None or fn.when(ctx):
            return True
    return False


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


@functools.lru_cache(maxsize=None)
def method_handlers(name: str) -> tuple[Callable, ...]:
    """The handlers of a method name: the "*" ones first, then those registered for it."""
    return (*METHODS.get("*", ()), *METHODS.get(name, ()))


@functools.lru_cache(maxsize=None)
def call_handlers(name: str) -> tuple[Callable, ...]:
    return tuple(_matching(CALLS, CALL_PREFIXES, name))


@functools.lru_cache(maxsize=None)
def reference_handlers(name: str) -> tuple[Callable, ...]:
    return tuple(_matching(REFERENCES, REFERENCE_PREFIXES, name))


def load_all() -> None:
    """Import every family once, so that each registers its handlers."""
    global _loaded
    if not _loaded:
        for family in FAMILIES:
            importlib.import_module(f"{__name__}.{family}")
        _loaded = True
