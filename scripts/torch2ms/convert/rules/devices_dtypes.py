"""Dtypes (`torch.float16` -> `ms.float16`) and device handling (flagged with one precise note)."""

from __future__ import annotations

import libcst as cst

from . import call, reference
from ._data import load

FAMILY = "devices_dtypes"
_DATA = load(FAMILY)
DTYPES: dict[str, str] = _DATA["dtypes"]
DEVICE_NOTE: str = " ".join(_DATA["device_note"].split())


@reference(*DTYPES)
def dtype(ctx, original, updated, qn):
    return ctx.edit(original, FAMILY, ctx.render(DTYPES[qn]))


@reference(*_DATA["tensor_types"])
def tensor_type(ctx, original, updated, qn):
    """`Optional[torch.FloatTensor]` -> `Optional[ms.Tensor]` (annotations, isinstance)."""
    return ctx.edit(original, FAMILY, ctx.render("mindspore.Tensor"))


@call(*_DATA["device_calls"])
def device_call(ctx, original, updated, qn):
    ctx.flag(original, FAMILY, f"{qn}(): {DEVICE_NOTE}")
    return ctx.leave_torch(original, updated)


@reference("torch.device", "torch.cuda", prefix=True)
def device_reference(ctx, original, updated, qn):
    ctx.flag(original, FAMILY, f"{qn}: {DEVICE_NOTE}")
    return ctx.leave_torch(original, updated)


# data that is a tensor's values, never a size
_DATA_NODES = (cst.List, cst.Tuple, cst.ListComp, cst.Float, cst.UnaryOperation)


@call(*_DATA["tensor_type_dtypes"])
def typed_tensor(ctx, original: cst.Call, updated: cst.Call, qn: str):
    """`torch.LongTensor(data)` -> `ms.tensor(data, dtype=ms.int64)`; `torch.FloatTensor(3, 4)`
    (a size: uninitialised values) -> `mint.empty(3, 4, dtype=ms.float32)`."""
    dtype = ctx.code(ctx.render(_DATA["tensor_type_dtypes"][qn]))
    args = list(updated.args)
    if not args or any(a.star or a.keyword is not None for a in args):
        ctx.flag(original, FAMILY, f"{qn}(...): from data -> mindspore.tensor(data, dtype={dtype}); "
                                   f"of a size -> mindspore.mint.empty(*size, dtype={dtype})")
        return ctx.leave_torch(original, updated)
    if len(args) > 1 or isinstance(args[0].value, cst.Integer):
        # several arguments are always a size (the data form takes one)
        text = ", ".join(ctx.code(a.value) for a in args)
        new = cst.parse_expression(f"{ctx.code(ctx.render('mindspore.mint.empty'))}({text}, dtype={dtype})")
        return ctx.edit(original, FAMILY, new)
    data = args[0].value
    if not isinstance(data, _DATA_NODES):
        # a name or a call may hold an int: then it is a size
        ctx.flag(original, FAMILY, f"{qn}(x) -> mindspore.tensor(x, dtype={dtype}) if x is data; "
                                   f"if x is an int (a size): mindspore.mint.empty(x, dtype={dtype})")
    new = cst.parse_expression(f"{ctx.code(ctx.render('mindspore.tensor'))}({ctx.code(data)}, dtype={dtype})")
    return ctx.edit(original, FAMILY, new)
