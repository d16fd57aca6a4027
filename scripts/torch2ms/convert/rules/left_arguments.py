"""The last family: its catch-all `torch` handler takes the torch calls no other handler and no
table entry converts (`X has no MindSpore mapping yet`), so the torch names in their arguments
are marked too (`_left.flag_arguments`).
"""

from __future__ import annotations

import libcst as cst

from . import call
from ._left import flag_arguments


@call("torch", prefix=True)
def unmapped(ctx, original: cst.Call, updated: cst.Call, qn: str):
    """A torch call nothing converts: flagged and left as written, its arguments marked."""
    if ctx.table.get(qn) is not None:
        return None  # the mapping table converts it
    ctx.flag(original, "mapping", f"{qn} has no MindSpore mapping yet")
    left = ctx.leave_torch(original, updated)
    flag_arguments(ctx, original, qn)
    return left
