"""Apply and undo the replacement table.

A function is patched wherever it is reachable by name: every loaded module whose namespace holds
the original object (so `mint.cat` and its alias `mint.concat`, `ops.layer_norm` which
`mint.nn.LayerNorm.construct` calls, and `from mindspore.mint import arange` done elsewhere are all
covered). A method (`mint.nn.Dropout.construct`, `Tensor.xxx`) is set on its class. Undo restores
the recorded originals and, for modules imported while the fallback was on, any name still bound
to a replacement.
"""

from __future__ import annotations

import functools
import importlib
import sys
from pathlib import Path

import yaml

TABLE_PATH = Path(__file__).with_name("replacements.yaml")
_OWN_PREFIX = __name__.rpartition(".")[0]

_state: dict | None = None  # set while enabled


def is_enabled() -> bool:
    return _state is not None


@functools.lru_cache(maxsize=1)
def load_table() -> tuple[tuple[str, str], ...]:
    data = yaml.safe_load(TABLE_PATH.read_text()) or {}
    return tuple((str(api), str(impl)) for api, impl in data.items())


def _roots() -> dict:
    import mindspore
    from mindspore import mint, ops

    return {"mint": mint, "ops": ops, "Tensor": mindspore.Tensor, "mindspore": mindspore}


def resolve(api: str):
    """`mint.nn.functional.gelu` -> (owner object, attribute name, current value)."""
    head, *rest = api.split(".")
    owner = _roots()[head]
    for part in rest[:-1]:
        owner = getattr(owner, part)
    return owner, rest[-1], getattr(owner, rest[-1])


def _implementation(spec: str):
    module, _, func = spec.rpartition(".")
    return getattr(importlib.import_module(f"{_OWN_PREFIX}.{module}"), func)


def _foreign_modules():
    for name, module in list(sys.modules.items()):
        if module is None or name.startswith(_OWN_PREFIX):
            continue
        namespace = getattr(module, "__dict__", None)
        if isinstance(namespace, dict):
            yield module, namespace


def _thin_wrapper(impl):
    # One distinct object per original, so undo can map every replacement back unambiguously.
    @functools.wraps(impl)
    def replacement(*args, **kwargs):
        return impl(*args, **kwargs)

    return replacement


def enable() -> None:
    global _state
    if _state is not None:
        return
    replacements: dict[int, tuple[object, object]] = {}  # id(original) -> (original, replacement)
    methods: list[tuple[type, str, object, bool]] = []  # class, name, original, was in __dict__
    for api, spec in load_table():
        owner, name, original = resolve(api)
        impl = _implementation(spec)
        if isinstance(owner, type):
            had = name in owner.__dict__
            methods.append((owner, name, owner.__dict__.get(name), had))
            setattr(owner, name, impl)
        elif id(original) not in replacements:
            replacements[id(original)] = (original, _thin_wrapper(impl))
    bindings: list[tuple[object, str, object]] = []
    for module, namespace in _foreign_modules():
        for key, value in list(namespace.items()):
            hit = replacements.get(id(value))
            if hit is not None and hit[0] is value:
                bindings.append((module, key, value))
                setattr(module, key, hit[1])
    _state = {"replacements": replacements, "bindings": bindings, "methods": methods}


def disable() -> None:
    global _state
    if _state is None:
        return
    for module, key, original in _state["bindings"]:
        setattr(module, key, original)
    # Modules imported while enabled may have bound a replacement with `from ... import`.
    back = {id(rep): orig for orig, rep in _state["replacements"].values()}
    for module, namespace in _foreign_modules():
        for key, value in list(namespace.items()):
            if id(value) in back:
                setattr(module, key, back[id(value)])
    for owner, name, original, had in reversed(_state["methods"]):
        if had:
            setattr(owner, name, original)
        else:
            delattr(owner, name)
    _state = None
