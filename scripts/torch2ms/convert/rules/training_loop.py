"""Training loops and data pipelines: restructuring is left to a person, with precise notes.

DataLoader/Dataset, checkpoints, mixed precision, distributed wrappers and `optimizer.step()` /
`zero_grad()` are flagged with the MindSpore construct that replaces them (training_loop.yaml).
"""

from __future__ import annotations

import dataclasses

import libcst as cst
from libcst.helpers import get_full_name_for_node

from . import call, method, reference
from ._data import load
from ._left import flag_arguments

FAMILY = "training_loop"
_DATA = load(FAMILY)
_FLAGS = {k: " ".join(v.split()) for k, v in _DATA["flags"].items()}
_WORDS = tuple(_DATA["optimizer_words"])
_STEP_NOTE = " ".join(_DATA["step_note"].split())
_UNKNOWN_STEP_NOTE = " ".join(_DATA["unknown_step_note"].split())
_NAMED_PARAMETERS_NOTE = " ".join(_DATA["named_parameters_note"].split())
_SCHEDULER_WORDS = tuple(_DATA["scheduler_words"])
# what the converted constructors resolve to, so that a second run sees the same bindings
_MS_SCHEDULERS = ("mindspore.experimental.optim.lr_scheduler.", "mindspore.nn.learning_rate_schedule.")
_MS_OPTIMIZERS = ("mindspore.mint.optim.", "mindspore.experimental.optim.", "mindspore.nn.optim.")


def _note(qn: str) -> str | None:
    for key, note in _FLAGS.items():
        if qn == key or qn.startswith(key + "."):
            return note
    return None


_METHOD_FLAGS = {k: " ".join(v.split()) for k, v in _DATA["method_flags"].items()}
_DATALOADER_KEYWORDS = {k: " ".join(v.split()) for k, v in _DATA["dataloader_keywords"].items()}


def _flag_call(ctx, original, updated, qn):
    note = _note(qn)
    if note is None:
        return None
    if qn.endswith(".DataLoader"):
        given = {a.keyword.value for a in original.args if a.keyword is not None}
        note = "; ".join([note] + [v for k, v in _DATALOADER_KEYWORDS.items() if k in given])
    ctx.flag(original, FAMILY, f"{qn}: {note}")
    left = ctx.leave_torch(original, updated)
    flag_arguments(ctx, original, qn)
    return left


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


def _is_scheduler(qn: str) -> bool:
    return qn.startswith("torch.optim.lr_scheduler.") or any(
        w in qn.rsplit(".", 1)[-1].lower() for w in _SCHEDULER_WORDS)


def note_optimizer_binding(ctx, node: cst.Assign) -> None:
    """Remember what each assigned name or attribute was bound to: optimizer or scheduler."""
    kinds = ctx.state.setdefault("optimizer_bindings", {})
    func = node.value.func if isinstance(node.value, cst.Call) else None
    qn = ctx.qualname(func) if func is not None else None
    kind = None
    if qn is not None and _is_scheduler(qn) or func is not None and ctx.resolves_to_prefix(
            func, *_MS_SCHEDULERS):
        kind = "scheduler"
    elif qn is not None and qn.startswith("torch.optim.") or func is not None and \
            ctx.resolves_to_prefix(func, *_MS_OPTIMIZERS):
        kind = "optimizer"
    for target in node.targets:
        key = ctx.code(target.target)
        if kind is None:
            kinds.pop(key, None)
        else:
            kinds[key] = kind


def note_optimizer_arguments(ctx, node: cst.Call, qn: str) -> None:
    """Mark the `.parameters()` / `.named_parameters()` calls inside an optimizer's arguments."""
    if _is_scheduler(qn):
        return
    found = ctx.state.setdefault("optimizer_parameters", {})

    class Find(cst.CSTVisitor):
        def visit_Call(self, n: cst.Call) -> None:
            if isinstance(n.func, cst.Attribute) and n.func.attr.value in (
                    "parameters", "named_parameters"):
                found[id(n)] = n.func.attr.value

    for arg in node.args:
        arg.value.visit(Find())


def note_other_optimizer(ctx, node: cst.Call) -> None:
    """An optimizer of another library or built by the project (`self.hparams.optimizer(params=
    self.parameters())`, `bnb.optim.AdamW8bit(...)`): a callee named like an optimizer, or a
    `params=` keyword."""
    func = node.func
    if not isinstance(func, (cst.Name, cst.Attribute)):
        return
    name = (get_full_name_for_node(func) or "").lower()
    if not name or any(w in name for w in _SCHEDULER_WORDS):
        return
    if any(w in part for part in name.split(".") for w in _WORDS) or any(a.keyword is not None and a.keyword.value == "params"
                                    for a in node.args):
        note_optimizer_arguments(ctx, node, name)


def optimizer_parameters(ctx, original: cst.Call) -> str | None:
    """"parameters" / "named_parameters" when the call is inside an optimizer's arguments."""
    return ctx.state.get("optimizer_parameters", {}).get(id(original))


def flag_named_parameters(ctx, original: cst.Call) -> None:
    ctx.flag(original, FAMILY, _NAMED_PARAMETERS_NOTE)


def _optimizer_method(ctx, original: cst.Call, updated: cst.Call):
    recv = original.func.value
    kind = ctx.state.get("optimizer_bindings", {}).get(ctx.code(recv))
    if kind == "scheduler":
        return None  # mindspore.experimental.optim.lr_scheduler keeps step()
    if kind is None and not _optimizer_like(recv):
        return None
    ctx.count_site(original)
    note = _STEP_NOTE if kind == "optimizer" else _UNKNOWN_STEP_NOTE
    ctx.flag(original, FAMILY, f".{original.func.attr.value}(): {note}")
    return updated


for _name in _DATA["optimizer_methods"]:
    method(_name)(_optimizer_method)


def _flag_method(ctx, original: cst.Call, updated: cst.Call):
    name = original.func.attr.value
    ctx.flag(original, FAMILY, f".{name}(): {_METHOD_FLAGS[name]}")
    return updated


for _name in _METHOD_FLAGS:
    method(_name)(_flag_method)


_DATASET_CLASSES = tuple(_DATA["dataset_classes"])
_DATASET_METHODS = frozenset(_DATA["dataset_methods"])
_DATASET_NUMPY = _DATA["dataset_numpy"]


def _in_dataset_item_method(ctx) -> bool:
    if not ctx.class_stack:
        return False
    function = next((s for s in reversed(ctx.statements) if isinstance(s, cst.FunctionDef)), None)
    if function is None or function.name.value not in _DATASET_METHODS:
        return False
    return any(ctx.qualname(b.value) in _DATASET_CLASSES for b in ctx.class_stack[-1].bases)


def dataset_numpy_call(ctx, original: cst.Call, qn: str):
    """A torch call inside a Dataset's __init__/__getitem__/__iter__: kept and flagged with its
    numpy form (the class's own marker says to return numpy arrays), else None."""
    if not qn.startswith("torch.") or not _in_dataset_item_method(ctx):
        return None
    numpy = _DATASET_NUMPY.get(qn, _DATA["dataset_numpy_other"])
    ctx.flag(original, FAMILY, f"{qn} in a Dataset: GeneratorDataset sources hold and return "
                               f"numpy arrays, write {numpy}")
    return ctx.leave_torch(original, original)


def _file_builds_a_scheduler(ctx) -> bool:
    if "builds_scheduler" not in ctx.state:
        found = False

        class Find(cst.CSTVisitor):
            def visit_Attribute(self, n: cst.Attribute) -> bool:
                nonlocal found
                qn = ctx.qualname(n)
                found = found or bool(qn and qn.startswith("torch.optim.lr_scheduler."))
                return not found

            def visit_Name(self, n: cst.Name) -> None:
                nonlocal found
                qn = ctx.qualname(n)
                found = found or bool(qn and qn.startswith("torch.optim.lr_scheduler."))

        ctx.module.visit(Find())
        ctx.state["builds_scheduler"] = found
    return ctx.state["builds_scheduler"]


@call(*_DATA["with_scheduler"])
def optimizer_with_scheduler(ctx, original: cst.Call, updated: cst.Call, qn: str):
    """`torch.optim.SGD` in a file with a scheduler -> the optimizer that follows schedulers."""
    entry = ctx.table.get(qn)
    if entry is None or not _file_builds_a_scheduler(ctx):
        return None
    from ..apply import apply_call_mapping
    entry = dataclasses.replace(entry, to=_DATA["with_scheduler"][qn])
    return apply_call_mapping(ctx, entry, original, updated)
