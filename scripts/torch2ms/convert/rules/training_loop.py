"""Training loops and data pipelines: restructuring is left to a person, with precise notes.

DataLoader/Dataset, checkpoints, mixed precision, distributed wrappers and `optimizer.step()` /
`zero_grad()` are flagged with the MindSpore construct that replaces them (training_loop.yaml).
"""

from __future__ import annotations

import libcst as cst

from . import call, method, reference
from ._data import load

FAMILY = "training_loop"
_DATA = load(FAMILY)
_FLAGS = {k: " ".join(v.split()) for k, v in _DATA["flags"].items()}
_WORDS = tuple(_DATA["optimizer_words"])
_STEP_NOTE = " ".join(_DATA["step_note"].split())


def _note(qn: str) -> str | None:
    for key, note in _FLAGS.items():
        if qn == key or qn.startswith(key + "."):
            return note
    return None


def _flag_call(ctx, original, updated, qn):
    note = _note(qn)
    if note is None:
        return None
    ctx.flag(original, FAMILY, f"{qn}: {note}")
    return ctx.leave_torch(original, updated)


def _flag_reference(ctx, original, updated, qn):
    note = _note(qn)
    if note is None:
        return None
    ctx.flag(original, FAMILY, f"{qn}: {note}")
    return ctx.leave_torch(original, updated)


for _key in _FLAGS:
    call(_key, prefix=True)(_flag_call)
    reference(_key, prefix=True)(_flag_reference)


def _optimizer_like(expr: cst.BaseExpression) -> bool:
    name = expr.attr.value if isinstance(expr, cst.Attribute) else getattr(expr, "value", "")
    return isinstance(name, str) and any(w in name.lower() for w in _WORDS)


def _optimizer_method(ctx, original: cst.Call, updated: cst.Call):
    if not _optimizer_like(original.func.value):
        return None
    ctx.count_site(original)
    ctx.flag(original, FAMILY, f".{original.func.attr.value}(): {_STEP_NOTE}")
    return updated


for _name in _DATA["optimizer_methods"]:
    method(_name)(_optimizer_method)
