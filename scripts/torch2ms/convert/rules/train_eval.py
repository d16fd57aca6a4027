"""`model.eval()` / `model.train(mode)` -> `model.set_train(False / mode)` on known modules.

A Cell starts in inference mode, so dropping these calls would silently change results. The
receiver must be known to be a module (`self` in a module class, a name or attribute assigned a
module); `trainer.train()` of another library stays, flagged only when the receiver is unknown.
"""

from __future__ import annotations

import libcst as cst

from . import method
from .modules import is_module

FAMILY = "train_eval"


def _set_train(ctx, original: cst.Call, updated: cst.Call, value: cst.BaseExpression):
    new = updated.with_changes(func=updated.func.with_changes(attr=cst.Name("set_train")),
                               args=[cst.Arg(value)])
    ctx.count_site(original)
    return ctx.edit(original, FAMILY, new)


@method("eval")
def eval_(ctx, original: cst.Call, updated: cst.Call):
    if original.args:
        return None
    if is_module(ctx, original.func.value):
        return _set_train(ctx, original, updated, cst.Name("False"))
    ctx.flag(original, FAMILY, ".eval(): if the receiver is a model (a Cell), write "
                               ".set_train(False); receiver type unknown, left as is")
    return updated


@method("train")
def train(ctx, original: cst.Call, updated: cst.Call):
    if len(original.args) > 1 or any(a.star or a.keyword is not None for a in original.args):
        return None  # not nn.Module.train(mode): another library's train(...)
    if is_module(ctx, original.func.value):
        value = updated.args[0].value if updated.args else cst.Name("True")
        return _set_train(ctx, original, updated, value)
    ctx.flag(original, FAMILY, ".train(): if the receiver is a model (a Cell), write "
                               ".set_train(True); receiver type unknown, left as is")
    return updated
