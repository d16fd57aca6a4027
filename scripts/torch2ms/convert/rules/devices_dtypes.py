"""Dtypes (`torch.float16` -> `ms.float16`) and device handling (flagged with one precise note)."""

from __future__ import annotations

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
