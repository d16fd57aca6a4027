"""timm -> mindcv 0.3.0: `create_model` by the name table, the factories and members flagged.

`timm.create_model("name", pretrained=..., num_classes=..., in_chans=...)` becomes
`mindcv.create_model("<mindcv name>", ...)` (`timm.yaml`, `models:`); a name that is not a literal
is kept and flagged (mindcv's names differ), one outside the table is flagged. Pretrained
weights are mindcv's own checkpoints (flagged). Members of a model built so (`get_classifier`,
`reset_classifier`, `default_cfg`, ...) are flagged with the mindcv equivalent; the data,
optimizer, scheduler and loss factories and the rest of timm are flagged with their mindcv
counterpart (`notes:`).
"""

from __future__ import annotations

import libcst as cst

from . import call, method, node, reference
from ._data import load

FAMILY = "timm"
_DATA = load(FAMILY)
MODELS = _DATA["models"]
_KEYWORDS = _DATA["create_model_keywords"]
_MEMBERS = {k: " ".join(v.split()) for k, v in _DATA["model_members"].items()}
_NOTES = sorted(_DATA["notes"].items(), key=lambda kv: -len(kv[0]))
_CREATE = ("timm.create_model", "timm.models.create_model", "timm.models._factory.create_model")


def note_for(qn: str) -> str:
    return next(v for k, v in _NOTES if qn == k or qn.startswith(k + "."))


@call(*_CREATE)
def create_model(ctx, original: cst.Call, updated: cst.Call, qn: str):
    args = list(updated.args)
    if not args or args[0].keyword is not None and args[0].keyword.value != "model_name" or any(a.star for a in args):
        ctx.flag(original, FAMILY, f"{qn}: pass the model name first: -> mindcv.create_model(name, ...)")
        return ctx.leave_torch(original, updated)
    name_arg, rest = args[0], args[1:]
    notes = []
    if isinstance(name_arg.value, cst.SimpleString):
        timm_name = name_arg.value.evaluated_value
        base, _, tag = timm_name.partition(".")
        spec = MODELS.get(base)
        if spec is None:
            ctx.flag(original, FAMILY, f"{qn}(\"{timm_name}\"): not in mindcv's name table: mindcv.list_models() "
                                       "lists mindcv's models (mindcv.create_model(name, num_classes=..., "
                                       "pretrained=...)); otherwise port the timm model by hand")
            return ctx.leave_torch(original, updated)
        name_text = f'"{spec["to"]}"'
        if tag:
            notes.append(f"the pretrained tag .{tag} has no mindcv counterpart (mindcv has one checkpoint per model)")
        notes.append("same parameter count as timm's (checked); the outputs were not compared: check them "
                     "with torch2ms parity" if spec["status"] == "verified" else
                     "mindcv's model has another parameter count than timm's: its layers differ")
    else:
        name_text = ctx.code(name_arg.value)
        notes.append("the model name is not a literal: mindcv's names differ from timm's "
                     "(docs/rules/ecosystem.md, timm: vit_base_patch16_224 -> vit_b_16_224, "
                     "mobilenetv3_large_100 -> mobilenet_v3_large_100)")
    kept = []
    for arg in rest:
        key = arg.keyword.value if arg.keyword is not None else None
        if key == "pretrained":
            if not (isinstance(arg.value, cst.Name) and arg.value.value == "False"):
                notes.append("pretrained loads mindcv's own ImageNet checkpoint, not timm's weights (other numbers)")
                kept.append(f"pretrained={ctx.code(arg.value)}")
        elif key in _KEYWORDS:
            kept.append(f"{_KEYWORDS[key]}={ctx.code(arg.value)}")
        elif key == "checkpoint_path":
            notes.append("checkpoint_path: a timm (torch) checkpoint does not load into mindcv: transfer the "
                         "weights by name (torch2ms parity) and save a MindSpore checkpoint for checkpoint_path=")
            kept.append(f"checkpoint_path={ctx.code(arg.value)}")
        else:
            ctx.flag(original, FAMILY, f"{qn}: argument `{key or ctx.code(arg.value)}` is not handled: check what "
                                       f"mindcv.create_model({name_text}) accepts")
            return ctx.leave_torch(original, updated)
    text = f"{ctx.namer.text('mindcv.create_model')}({', '.join([name_text, *kept])})"
    ctx.flag(original, FAMILY, f"{qn} -> mindcv.create_model: " + "; ".join(notes))
    target = ctx.assigned_to(original)
    if target is not None:
        ctx.state.setdefault("timm_models", set()).add(target)
    return ctx.edit(original, FAMILY, cst.parse_expression(text), before=ctx.code(original.func),
                    after=f"mindcv.create_model({name_text})")


def _is_timm_model(ctx, expr: cst.BaseExpression) -> bool:
    return ctx.code(expr) in ctx.state.get("timm_models", ())


@method(*_MEMBERS)
def model_member_call(ctx, original: cst.Call, updated: cst.Call):
    if not _is_timm_model(ctx, original.func.value):
        return None
    name = original.func.attr.value
    ctx.count_site(original)
    ctx.flag(original, FAMILY, f".{name}() of a timm model: {_MEMBERS[name]}")
    return updated


@node(cst.Attribute, attrs=("default_cfg", "pretrained_cfg"))
def model_member_attribute(ctx, original: cst.Attribute, updated):
    name = original.attr.value
    if name in ("default_cfg", "pretrained_cfg") and _is_timm_model(ctx, original.value):
        ctx.flag(original, FAMILY, f".{name} of a timm model: {_MEMBERS[name]}")
    return None


@call("timm", prefix=True)
def other_call(ctx, original: cst.Call, updated: cst.Call, qn: str):
    ctx.flag(original, FAMILY, f"{qn}: {note_for(qn)}")
    return ctx.leave_torch(original, updated)


@reference("timm", prefix=True)
def other_reference(ctx, original, updated, qn: str):
    ctx.flag(original, FAMILY, f"{qn}: {note_for(qn)}")
    return ctx.leave_torch(original, updated)
