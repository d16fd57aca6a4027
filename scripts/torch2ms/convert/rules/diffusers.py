"""diffusers -> mindone.diffusers: the same names, imported from mindone (like transformers').

A diffusers name that mindone.diffusers (mindone 0.5.0) has (its top-level exports and the public names
of its submodules, `diffusers.yaml`; a deeper path to a top-level export becomes that export) is
rewritten to it; `from_pretrained(torch_dtype=...)` becomes
`mindspore_dtype=...`. API differences are handled here or flagged:
- `get_scheduler(name, optimizer=opt, ...)` returns a torch LambdaLR; mindone's takes `lr=` and
  returns the list of per-step learning rates. It becomes
  `mindspore.experimental.optim.lr_scheduler.LambdaLR(opt, <factor of step>)` over mindone's list
  for lr=1.0, so `lr_scheduler.step()` / `get_last_lr()` keep working with the optimizer (the
  same rates for the num_training_steps steps; past them the rate stays at the last one).
- `training_utils` (EMAModel, compute_snr, ...) needs ml_dtypes: converted and flagged.
- mindone's models and schedulers return tuples by default (`return_dict=False`): in a file that
  uses diffusers, `<call>.sample` / `.prev_sample` / `.latent_dist` / `.images` become `<call>[0]`.
Names mindone lacks are flagged with what to write instead.
"""

from __future__ import annotations

import libcst as cst

from . import call, node, reference
from ._data import load
from .hf_ecosystem import mindspore_dtype

FAMILY = "diffusers"
_DATA = load(FAMILY)
EXPORTS = frozenset(_DATA["mindone_exports"])
NAMES = {k: frozenset(v) for k, v in _DATA["mindone_names"].items()}
_NOTES = sorted(_DATA["notes"].items(), key=lambda kv: -len(kv[0]))
_NO_COUNTERPART = sorted(_DATA["no_counterpart"].items(), key=lambda kv: -len(kv[0]))
_SCHEDULER = "diffusers.optimization.get_scheduler"


def _longest(table, qn: str) -> str | None:
    return next((v for k, v in table if qn == k or qn.startswith(k + ".")), None)


def target(qn: str) -> str | None:
    """The mindone.diffusers name for a diffusers name, or None when mindone lacks it."""
    parts = qn.split(".")[1:]
    if not parts:
        return None
    if parts[0] in EXPORTS:
        return "mindone." + qn
    for k in range(len(parts) - 1, 0, -1):
        sub = ".".join(parts[:k])
        if sub in NAMES:
            if parts[k] in NAMES[sub]:
                return "mindone." + qn
            break
    if len(parts) > 1 and parts[-1] in EXPORTS:
        # a deep path (diffusers.models.unets.unet_2d.UNet2DModel) to a class mindone.diffusers
        # exports at its top
        return "mindone.diffusers." + parts[-1]
    return None


def _convert(ctx, original, qn: str):
    """(new expression, or None) after flagging `original` (the reference or call) where needed."""
    ctx.state["diffusers_used"] = True
    exact = dict(_NO_COUNTERPART).get(qn)
    new = target(qn) if exact is None else None
    if new is None:
        ctx.flag(original, FAMILY, f"{qn}: {exact or _longest(_NO_COUNTERPART, qn)}")
        return None
    note = _longest(_NOTES, qn)
    if note:
        ctx.flag(original, FAMILY, f"{qn} -> {new}: {note}")
    return ctx.render(new)


@reference("diffusers", prefix=True)
def diffusers_reference(ctx, original, updated, qn: str):
    new = _convert(ctx, original, qn)
    if new is None:
        return ctx.leave_torch(original, updated)
    return ctx.edit(original, FAMILY, new)


@call(_SCHEDULER)
def get_scheduler(ctx, original: cst.Call, updated: cst.Call, qn: str):
    params = ["name", "optimizer", "step_rules", "num_warmup_steps", "num_training_steps", "num_cycles",
              "power", "last_epoch"]
    bound: dict[str, cst.Arg] = {}
    for i, arg in enumerate(updated.args):
        name = arg.keyword.value if arg.keyword is not None else (params[i] if i < len(params) and not arg.star else None)
        if name is None or name not in params:
            ctx.flag(original, FAMILY, f"{qn}: arguments not understood: mindone's get_scheduler(name, lr=..., "
                                       "num_warmup_steps=..., num_training_steps=...) returns per-step rates")
            return ctx.leave_torch(original, updated)
        bound[name] = arg
    if "optimizer" not in bound or "last_epoch" in bound:
        ctx.flag(original, FAMILY, f"{qn}: pass optimizer= (and no last_epoch=): mindone's get_scheduler("
                                   "name, lr=...) returns per-step rates, not a scheduler")
        return ctx.leave_torch(original, updated)
    rates = ", ".join([ctx.code(bound["name"].value), "lr=1.0"] + [
        f"{k}={ctx.code(bound[k].value)}" for k in params[2:7] if k in bound])
    lambda_lr = ctx.namer.text("mindspore.experimental.optim.lr_scheduler.LambdaLR")
    factors = f"{ctx.namer.text('mindone.diffusers.optimization.get_scheduler')}({rates})"
    text = (f"{lambda_lr}({ctx.code(bound['optimizer'].value)}, "
            f"lambda step, _f={factors}: _f[min(int(step), len(_f) - 1)])")
    return ctx.edit(original, FAMILY, cst.parse_expression(text), before=ctx.code(original.func),
                    after="LambdaLR over mindone.diffusers.optimization.get_scheduler(..., lr=1.0)")


@call("diffusers", prefix=True)
def diffusers_call(ctx, original: cst.Call, updated: cst.Call, qn: str):
    new = _convert(ctx, original, qn)
    if new is None:
        return ctx.leave_torch(original, updated)
    result = updated.with_changes(func=new, args=mindspore_dtype(updated.args))
    return ctx.edit(original, FAMILY, result, before=ctx.code(original.func), after=ctx.code(new))


_FIRST_OUTPUT = ("sample", "prev_sample", "latent_dist", "images")


def _is_callee(ctx, attribute: cst.Attribute) -> bool:
    """`dist.sample()`: the attribute is called (a method), not an output field."""
    found = []

    class Find(cst.CSTVisitor):
        def visit_Call(self, c: cst.Call):
            if c.func is attribute:
                found.append(c)

    if ctx.statements:
        ctx.statements[-1].visit(Find())
    return bool(found)


@node(cst.Attribute, attrs=_FIRST_OUTPUT)
def first_output(ctx, original: cst.Attribute, updated: cst.Attribute):
    """`unet(x, t).sample` -> `unet(x, t)[0]`: mindone returns the output tuple by default."""
    if not ctx.state.get("diffusers_used") or original.attr.value not in _FIRST_OUTPUT \
            or not isinstance(original.value, cst.Call) or _is_callee(ctx, original):
        return None
    new = cst.Subscript(value=updated.value, slice=[cst.SubscriptElement(cst.Index(cst.Integer("0")))])
    return ctx.edit(original, FAMILY, new, after=f"{ctx.code(updated.value)}[0]")
