"""lightning -> the plain MindSpore loop: no counterpart, so nothing of it is converted.

- A class whose base is a `LightningModule`, `LightningDataModule` or callback stays as it is,
  body and all (`kept_bases` in lightning.yaml): one marker on the class says how to restructure
  it, its hooks (`training_step`, `configure_optimizers`, ...) and `self.log(...)`-style calls get
  the marker of the piece of the loop they become, and the torch code inside keeps its imports.
  Once the class is restructured (layers and forward in an `nn.Module`, the loop outside), a
  second `torch2ms convert` converts it.
- Every other lightning name is flagged (`names`); the methods and attributes of a `Trainer`,
  `Fabric` or `LightningCLI` object get their own markers (`objects`, see `_objects.py`).
- `seed_everything` maps 1:1 to `mindspore.set_seed` (the mapping table).
"""

from __future__ import annotations

import dataclasses

import libcst as cst

from . import _objects, call, keep_class, node
from ._data import load

FAMILY = "lightning"
_DATA = load(FAMILY)
ROOTS = ("lightning", "pytorch_lightning", "lightning_fabric")
_KEPT = {k: " ".join(v.split()) for k, v in _DATA["kept_bases"].items()}
_KEPT_OTHER = " ".join(_DATA["kept_other"].split())
_KEPT_MODULES = _DATA["kept_modules"]
_HOOKS = {base: {k: " ".join(v.split()) for k, v in hooks.items()}
          for base, hooks in _DATA["hooks"].items()}
_SELF = _objects.Kind(methods={k: " ".join(v.split()) for k, v in _DATA["self_methods"].items()})
_STATE = "lightning_classes"  # id(ClassDef) -> the kept base it stands for


def _base_kind(ctx, base: cst.BaseExpression) -> str | None:
    """"LightningModule" / "LightningDataModule" / "Callback" / "other" for a lightning base, or
    the kind of a class of this file that is itself kept; None for anything else."""
    qn = ctx.qualname(base)
    if qn is not None and qn.split(".", 1)[0] in ROOTS:
        last = qn.rsplit(".", 1)[-1]
        if last in _KEPT:
            return last
        for module, kind in _KEPT_MODULES.items():
            if f".{module}." in f".{qn}":
                return kind
        return "other" if last[:1].isupper() else None
    if isinstance(base, cst.Name):
        return ctx.state.get("lightning_class_names", {}).get(base.value)
    return None


@keep_class
def lightning_class(ctx, cls: cst.ClassDef) -> str | None:
    for base in cls.bases:
        kind = _base_kind(ctx, base.value)
        if kind is not None:
            ctx.state.setdefault(_STATE, {})[id(cls)] = kind
            ctx.state.setdefault("lightning_class_names", {})[cls.name.value] = kind
            return _KEPT.get(kind, _KEPT_OTHER)
    return None


@node(cst.ClassDef, kept=True)
def mark_class(ctx, original: cst.ClassDef, updated: cst.ClassDef):
    kind = ctx.state.get(_STATE, {}).get(id(original))
    if kind is None or ctx.in_kept:
        return None  # not a lightning class, or nested in one (the outer class is marked)
    ctx.flag(original, FAMILY, _KEPT.get(kind, _KEPT_OTHER))
    return None


def _kept_kind(ctx) -> str | None:
    kinds = ctx.state.get(_STATE)
    if not kinds or not ctx.class_stack:
        return None
    return kinds.get(id(ctx.class_stack[-1]))


@node(cst.FunctionDef, kept=True)
def mark_hook(ctx, original: cst.FunctionDef, updated: cst.FunctionDef):
    kind = _kept_kind(ctx)
    if kind is None or len(ctx.tensor_names) != 1:
        return None  # not directly in a lightning class
    text = _HOOKS.get(kind, {}).get(original.name.value)
    if text is None:
        return None
    ctx.flag(original, FAMILY, f"{kind}.{original.name.value}: {text}")
    return None


_SEEDS = ("lightning.seed_everything", "lightning.pytorch.seed_everything",
          "lightning.fabric.seed_everything", "lightning.pytorch.utilities.seed.seed_everything",
          "lightning.fabric.utilities.seed.seed_everything")


@call(*_SEEDS)
def seed_everything(ctx, original: cst.Call, updated: cst.Call, qn: str):
    """The `lightning` package's seed_everything is pytorch_lightning's: its table entry applies."""
    entry = ctx.table.get("pytorch_lightning.seed_everything")
    if entry is None:
        return None
    from ..apply import apply_call_mapping
    return apply_call_mapping(ctx, dataclasses.replace(entry, torch=qn), original, updated)


def _self_kind(ctx):
    return _SELF if _kept_kind(ctx) == "LightningModule" else None


_objects.flag_names(FAMILY, ROOTS, _DATA["names"], _DATA["other"])
_objects.register(FAMILY, ROOTS, _DATA["objects"], self_kind=_self_kind)
