"""transformers -> mindone.transformers for model classes; configs and tokenizers stay.

A transformers class that mindone.transformers 0.5.0 exports is rewritten to it (the list is
data, `hf_ecosystem.yaml`), and so is a name of one of its other modules that the same module of
mindone.transformers defines (`transformers.activations.ACT2FN` ->
`mindone.transformers.activations.ACT2FN`; `hf_modules.yaml`); `from_pretrained(torch_dtype=...)`
becomes `mindspore_dtype=...`. Configs, tokenizers and processors carry no tensors and stay;
other transformers names are flagged.
"""

from __future__ import annotations

import libcst as cst

from . import call, reference
from ._data import load

FAMILY = "hf_ecosystem"
_DATA = load(FAMILY)
_EXPORTS = frozenset(_DATA["mindone_exports"])
_KEEP_NAMES = frozenset(_DATA["keep_names"])
_KEEP_SUFFIXES = tuple(_DATA["keep_suffixes"])
_KEEP_PREFIXES = tuple(_DATA["keep_prefixes"])
_MODULES = {module: frozenset(names) for module, names in load("hf_modules")["modules"].items()}


def _in_module(qn: str) -> str | None:
    """`transformers.<module>.<name>...` as the same name of mindone.transformers' `<module>`,
    when mindone defines it there (the longest module that does)."""
    parts = qn.split(".")
    for i in range(len(parts) - 1, 1, -1):
        module, name = ".".join(parts[1:i]), parts[i]
        if name in _MODULES.get(module, ()):
            return ".".join(["mindone.transformers", module, name, *parts[i + 1:]])
    return None


def _split(qn: str) -> tuple[str | None, list[str]]:
    """The first part of `qn` naming a transformers class, and the attribute path after it."""
    parts = qn.split(".")
    for i, part in enumerate(parts[1:], start=1):
        if part[:1].isupper() or part in _KEEP_NAMES:
            return part, parts[i + 1:]
    return None, []


def _stays(qn: str, name: str | None) -> bool:
    if qn.startswith(_KEEP_PREFIXES) or any(qn == p or qn.startswith(p + ".") for p in _KEEP_PREFIXES):
        return True
    return name is not None and (name in _KEEP_NAMES or name.endswith(_KEEP_SUFFIXES))


def _convert(ctx, original, updated, qn):
    name, rest = _split(qn)
    if _stays(qn, name):
        ctx.keep(original)
        return "keep"
    if name in _EXPORTS:
        return ctx.render(".".join(["mindone.transformers", name, *rest]))
    moved = _in_module(qn)
    return ctx.render(moved) if moved else None


@reference("transformers", prefix=True)
def hf_reference(ctx, original, updated, qn):
    new = _convert(ctx, original, updated, qn)
    if new == "keep":
        return updated
    if new is None:
        ctx.flag(original, FAMILY, f"{qn} is not in mindone.transformers 0.5.0: port it by hand")
        return ctx.leave_torch(original, updated)
    return ctx.edit(original, FAMILY, new)


@call("transformers", prefix=True)
def hf_call(ctx, original: cst.Call, updated: cst.Call, qn: str):
    new = _convert(ctx, original.func, updated.func, qn)
    if new == "keep":
        ctx.keep(original)
        ctx.discount_site(original)
        return updated
    if new is None:
        ctx.flag(original, FAMILY, f"{qn} is not in mindone.transformers 0.5.0: port it by hand")
        return ctx.leave_torch(original, updated)
    result = updated.with_changes(func=new, args=mindspore_dtype(updated.args))
    return ctx.edit(original, FAMILY, result, before=ctx.code(original.func), after=ctx.code(new))


def mindspore_dtype(args) -> list:
    """`from_pretrained(..., torch_dtype=x)`: mindone's loaders call it `mindspore_dtype`."""
    return [a.with_changes(keyword=cst.Name("mindspore_dtype"))
            if a.keyword is not None and a.keyword.value == "torch_dtype" else a for a in args]
