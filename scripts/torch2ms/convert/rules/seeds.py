"""Seeds: `torch.manual_seed(s)` and the CUDA variants -> `mindspore.set_seed(s)`; determinism
switches of cuDNN have no MindSpore counterpart and are flagged."""

from __future__ import annotations

import libcst as cst

from . import call, node, reference

FAMILY = "seeds"


@call("torch.manual_seed", "torch.cuda.manual_seed", "torch.cuda.manual_seed_all",
      "torch.random.manual_seed")
def manual_seed(ctx, original, updated, qn):
    if len(original.args) != 1 or original.args[0].star:
        return None
    new = updated.with_changes(func=ctx.render("mindspore.set_seed"))
    stmt = ctx.statements[-1] if ctx.statements else None
    if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 \
            and isinstance(stmt.body[0], cst.Expr) and stmt.body[0].value is original:
        # `torch.manual_seed(s)` then `torch.cuda.manual_seed(s)` in one block: one global seed
        block = id(ctx.statements[-2]) if len(ctx.statements) > 1 else 0
        seen = ctx.state.setdefault("seeds_set", set())
        key = (block, ctx.code(original.args[0].value))
        if key in seen:
            ctx.state.setdefault("seeds_again", set()).add(id(stmt))
        seen.add(key)
    return ctx.edit(original, FAMILY, new, before=ctx.code(original.func), after=ctx.code(new.func))


@node(cst.SimpleStatementLine)
def seed_set_again(ctx, original, updated):
    """The second `mindspore.set_seed(s)` of a block (torch seeded the CPU and the GPU generators
    apart; MindSpore has one seed) is removed, unless a comment is on it."""
    if id(original) not in ctx.state.get("seeds_again", ()):
        return None
    if updated.trailing_whitespace.comment is not None \
            or any(line.comment is not None for line in updated.leading_lines):
        return None
    ctx.edit(original, FAMILY, updated, before=ctx.code(original.body[0]).strip(),
             after="(removed: the seed is already set by the statement above)")
    return cst.RemoveFromParent()


@call("torch.use_deterministic_algorithms")
def deterministic(ctx, original, updated, qn):
    ctx.flag(original, FAMILY, f"{qn}(): no MindSpore counterpart; "
                               "mindspore.set_context(deterministic='ON') is the closest setting")
    return ctx.leave_torch(original, updated)


@reference("torch.backends.cudnn", prefix=True)
def cudnn(ctx, original, updated, qn):
    ctx.flag(original, FAMILY, f"{qn}: cuDNN switches have no MindSpore counterpart "
                               "(mindspore.set_context(deterministic='ON') for determinism)")
    return ctx.leave_torch(original, updated)
