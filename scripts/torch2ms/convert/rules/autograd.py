"""Autograd: `no_grad`/`inference_mode` contexts and decorators are dropped (MindSpore builds no
graph outside `grad`/`value_and_grad`), `.detach()` -> `ops.stop_gradient(x)`, `backward` and
`torch.autograd.grad` are flagged (gradients come from `mindspore.value_and_grad`).
"""

from __future__ import annotations

import libcst as cst

from . import call, method, node, reference

FAMILY = "autograd"
_GRAD_CONTEXTS = ("torch.no_grad", "torch.inference_mode", "torch.autograd.no_grad",
                  "torch.autograd.grad_mode.no_grad")
_VALUE_AND_GRAD = ("MindSpore computes gradients functionally: grad_fn = "
                   "mindspore.value_and_grad(forward_fn, None, optimizer.parameters); "
                   "(loss, ...), grads = grad_fn(...); optimizer(grads)")


def _pending(ctx) -> set:
    return ctx.state.setdefault("grad_contexts", set())


@call(*_GRAD_CONTEXTS)
def grad_context(ctx, original: cst.Call, updated: cst.Call, qn: str):
    """Only the enclosing `with` or decorator can drop it: mark it for them."""
    if original.args:
        return None
    return _mark(ctx, original, updated, qn)


@reference(*_GRAD_CONTEXTS)
def grad_context_ref(ctx, original, updated, qn):
    return _mark(ctx, original, updated, qn)


def _mark(ctx, original, updated, qn):
    stmt = ctx.statements[-1] if ctx.statements else None
    in_with = isinstance(stmt, cst.With) and any(i.item is original for i in stmt.items)
    decorates = isinstance(stmt, cst.FunctionDef) and any(d.decorator is original
                                                          for d in stmt.decorators)
    if not (in_with or decorates):
        ctx.flag(original, FAMILY, f"{qn} outside a `with` or a decorator: MindSpore builds no "
                                   "graph outside value_and_grad, so it can usually go; "
                                   "mindspore._no_grad() is the context mindone uses")
        return ctx.leave_torch(original, updated)
    _pending(ctx).add(id(original))
    return updated


@node(cst.With)
def drop_grad_context(ctx, original: cst.With, updated: cst.With):
    marked = _pending(ctx)
    drop = [i for i, item in enumerate(original.items) if id(item.item) in marked]
    if not drop:
        return None
    for i in drop:
        ctx.edit(original.items[i].item, FAMILY, None, before=ctx.code(original.items[i].item),
                 after="(removed: no graph is built outside value_and_grad)")
    keep = [item for i, item in enumerate(updated.items) if i not in drop]
    if keep:
        keep[-1] = keep[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return updated.with_changes(items=keep)
    body = updated.body
    if not isinstance(body, cst.IndentedBlock):
        return cst.SimpleStatementLine(body.body, leading_lines=updated.leading_lines)
    stmts = list(body.body)
    # comments of the `with` line and of the block's end move onto the statements
    moved = list(updated.leading_lines)
    if body.header.comment is not None:
        moved.append(cst.EmptyLine(indent=True, comment=body.header.comment))
    stmts[0] = stmts[0].with_changes(leading_lines=[*moved, *stmts[0].leading_lines])
    if any(line.comment is not None for line in body.footer):
        # comments closing the block have no statement to stay with once it is gone
        stmts.append(cst.SimpleStatementLine([cst.Pass()], leading_lines=body.footer))
    return cst.FlattenSentinel(stmts)


@node(cst.FunctionDef)
def drop_grad_decorator(ctx, original: cst.FunctionDef, updated: cst.FunctionDef):
    marked = _pending(ctx)
    drop = [i for i, d in enumerate(original.decorators) if id(d.decorator) in marked]
    if not drop:
        return None
    for i in drop:
        ctx.edit(original.decorators[i].decorator, FAMILY, None,
                 before="@" + ctx.code(original.decorators[i].decorator),
                 after="(removed: no graph is built outside value_and_grad)")
    decorators = [d for i, d in enumerate(updated.decorators) if i not in drop]
    lines = [line for i, d in enumerate(updated.decorators) if i in drop for line in d.leading_lines]
    if decorators:
        decorators[0] = decorators[0].with_changes(leading_lines=[*lines, *decorators[0].leading_lines])
        return updated.with_changes(decorators=decorators)
    return updated.with_changes(decorators=(), leading_lines=[*updated.leading_lines, *lines])


@method("detach")
def detach(ctx, original: cst.Call, updated: cst.Call):
    if original.args:
        return None
    ctx.count_site(original)
    new = cst.Call(func=ctx.render("mindspore.ops.stop_gradient"),
                   args=[cst.Arg(updated.func.value)])
    return ctx.edit(original, FAMILY, new)


@method("backward")
def backward(ctx, original: cst.Call, updated: cst.Call):
    ctx.count_site(original)
    ctx.flag(original, FAMILY, f".backward(): {_VALUE_AND_GRAD}")
    return updated


@call("torch.autograd.grad", "torch.autograd.backward")
def autograd_grad(ctx, original, updated, qn):
    ctx.flag(original, FAMILY, f"{qn}(): {_VALUE_AND_GRAD}")
    return ctx.leave_torch(original, updated)


_ATOMS = (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.List, cst.Tuple, cst.Dict,
          cst.Set, cst.ListComp, cst.Integer, cst.Float, cst.SimpleString)


@call("torch.autograd.Variable", "torch.autograd.variable.Variable")
def variable(ctx, original: cst.Call, updated: cst.Call, qn: str):
    """`Variable(x)` -> `x` (a tensor is its own Variable since torch 0.4); `requires_grad=True`
    is flagged (MindSpore takes gradients of the inputs value_and_grad names)."""
    args = list(updated.args)
    if not args or args[0].keyword is not None or args[0].star:
        return None
    for arg in args[1:]:
        name = arg.keyword.value if arg.keyword is not None else None
        if name == "volatile" or (name == "requires_grad" and arg.value.deep_equals(cst.Name("False"))):
            continue  # no effect (volatile is ignored by torch too)
        if name == "requires_grad":
            ctx.flag(original, FAMILY, f"{qn}(x, requires_grad=...) -> x: MindSpore tensors carry no "
                                       "requires_grad: take the gradient with respect to x with "
                                       "mindspore.grad/value_and_grad(fn, grad_position=...), or make "
                                       "it a mindspore.Parameter")
            continue
        ctx.flag(original, FAMILY, f"{qn}: argument not understood, left as is")
        return ctx.leave_torch(original, updated)
    value = args[0].value
    if not isinstance(value, _ATOMS) and not value.lpar:
        value = value.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return ctx.edit(original, FAMILY, value, after=ctx.code(args[0].value))
