"""Torch code in the arguments of a call left on torch gets a marker of its own.

A call a rule leaves on torch keeps its arguments as written (`leave_torch`), so the torch names
inside them stay too: `dist.all_gather(batch, th.tensor([n], dtype=th.int32))` keeps `th.tensor`
and `th.int32`. The call's marker speaks of the call only; each torch name left in its arguments
is named in a marker of its own, with what it becomes (the mapping table, the dtypes) once the
call is converted.

The family `left_arguments` marks the arguments of the torch calls nothing else converts.
"""

from __future__ import annotations

import libcst as cst


def flag_arguments(ctx, original: cst.Call, outer: str) -> None:
    """After `ctx.leave_torch(original, ...)`: a marker for each torch name in the arguments."""
    from .devices_dtypes import DTYPES

    found: dict[str, cst.CSTNode] = {}

    class Finder(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> bool:
            qn = ctx.qualname(node.func)
            if qn is None:
                return True
            found.setdefault(qn, node)
            for arg in node.args:
                arg.visit(self)
            return False

        def _reference(self, node) -> bool:
            qn = ctx.qualname(node)
            if qn is None:
                return True
            found.setdefault(qn, node)
            return False

        def visit_Attribute(self, node: cst.Attribute) -> bool:
            return self._reference(node)

        def visit_Name(self, node: cst.Name) -> bool:
            return self._reference(node)

    for arg in original.args:
        arg.value.visit(Finder())
    for qn, node in found.items():
        entry = ctx.table.get(qn)
        target = entry.to if entry is not None and entry.to else DTYPES.get(qn)
        then = f"{target} when the call is converted" if target else "no MindSpore mapping yet"
        ctx.flag(node, "left_arguments", f"{qn} in the arguments of {outer} (left on torch with "
                                         f"the call): {then}")

