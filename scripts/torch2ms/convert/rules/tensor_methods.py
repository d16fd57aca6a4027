"""Tensor methods whose torch form cannot run on MindSpore: `.size()`, `.cuda()`, `.cpu()`, `.to()`.

Which expressions are tensors is inferred locally: parameters annotated as tensors, names
assigned from torch calls, from methods of tensors, from arithmetic or indexing of tensors, and
`self.x` attributes assigned a tensor or a Parameter in the class. A method that exists on many
kinds of objects is only rewritten on such receivers; `cfg.max(...)` or `d.view()` stay.
"""

from __future__ import annotations

import libcst as cst

from . import method, node
from ._data import load

FAMILY = "tensor_methods"
_DATA = load(FAMILY)
UNAMBIGUOUS = frozenset(_DATA["unambiguous"])
_NON_TENSOR_RESULTS = frozenset(_DATA["non_tensor_results"])
_TENSOR_TYPES = frozenset(_DATA["tensor_types"])
_NON_TENSOR_CALLS = frozenset(_DATA["non_tensor_calls"])
_DEVICE_FUNCTIONS = frozenset(_DATA["device_functions"])
_DEVICE_PREFIXES = ("cuda", "cpu", "mps", "xla", "npu", "meta")


# ------------------------------------------------------------------ what is a tensor
def _mentions_tensor_type(ctx, annotation: cst.BaseExpression) -> bool:
    """True for `torch.Tensor`, `Optional[torch.Tensor]`, `torch.Tensor | None`, ..."""
    if isinstance(annotation, (cst.Name, cst.Attribute)):
        qn = ctx.qualname(annotation)
        return qn in _TENSOR_TYPES or ctx.resolves_to(annotation, *_TENSOR_TYPES)
    if isinstance(annotation, cst.Subscript):
        return any(_mentions_tensor_type(ctx, e.slice.value) for e in annotation.slice
                   if isinstance(e.slice, cst.Index))
    if isinstance(annotation, cst.BinaryOperation):
        return _mentions_tensor_type(ctx, annotation.left) or _mentions_tensor_type(ctx, annotation.right)
    return False


def _class_tensors(ctx) -> set[str]:
    if not ctx.class_stack:
        return set()
    return ctx.class_tensors.setdefault(id(ctx.class_stack[-1]), set())


def _last_name(expr: cst.BaseExpression) -> str:
    if isinstance(expr, cst.Attribute):
        return expr.attr.value
    return expr.value if isinstance(expr, cst.Name) else ""


def is_tensor(ctx, expr: cst.BaseExpression) -> bool:
    if isinstance(expr, cst.Name):
        return expr.value in ctx.tensor_names[-1] or expr.value in ctx.tensor_names[0]
    if isinstance(expr, cst.Attribute):
        if isinstance(expr.value, cst.Name) and expr.value.value == "self":
            return expr.attr.value in _class_tensors(ctx)
        return expr.attr.value in ("data", "grad", "T", "mT") and is_tensor(ctx, expr.value)
    if isinstance(expr, cst.Call):
        qn = ctx.qualname(expr.func)
        if qn is not None:
            return (qn.startswith("torch.") and qn not in _NON_TENSOR_CALLS
                    and (not qn.startswith("torch.nn.") or qn.startswith("torch.nn.functional."))
                    and not qn.startswith(("torch.cuda.", "torch.backends.", "torch.distributed.",
                                           "torch.utils.", "torch.optim.", "torch.jit.")))
        if ctx.resolves_to_prefix(expr.func, "mindspore.mint.", "mindspore.ops.") \
                and _last_name(expr.func)[:1].islower():
            return True  # a function of converted code (a layer class would be upper case)
        if (isinstance(expr.func, cst.Attribute) and isinstance(expr.func.value, cst.Name)
                and expr.func.value.value == "self" and ctx.class_stack
                and expr.func.attr.value in ctx.class_modules.get(id(ctx.class_stack[-1]), ())):
            return True  # the output of a layer: self.proj(x)
        if isinstance(expr.func, cst.Attribute):
            return (expr.func.attr.value not in _NON_TENSOR_RESULTS
                    and is_tensor(ctx, expr.func.value))
        return False
    if isinstance(expr, cst.BinaryOperation):
        return is_tensor(ctx, expr.left) or is_tensor(ctx, expr.right)
    if isinstance(expr, cst.UnaryOperation):
        return is_tensor(ctx, expr.expression)
    if isinstance(expr, cst.Subscript):
        return is_tensor(ctx, expr.value)
    return False


def note_parameters(ctx, fn: cst.FunctionDef) -> None:
    params = [*fn.params.posonly_params, *fn.params.params, *fn.params.kwonly_params]
    for p in params:
        if p.annotation is not None and _mentions_tensor_type(ctx, p.annotation.annotation):
            ctx.tensor_names[-1].add(p.name.value)


def _is_parameter_call(ctx, expr) -> bool:
    return isinstance(expr, cst.Call) and ctx.resolves_to(
        expr.func, "torch.nn.Parameter", "torch.nn.parameter.Parameter", "mindspore.Parameter")


def note_assignment(ctx, node: cst.Assign | cst.AnnAssign) -> None:
    value = node.value
    if value is None:
        return
    tensor = is_tensor(ctx, value) or _is_parameter_call(ctx, value)
    if isinstance(node, cst.AnnAssign):
        tensor = tensor or _mentions_tensor_type(ctx, node.annotation.annotation)
        targets = [node.target]
    else:
        targets = [t.target for t in node.targets]
    from .modules import constructs_module
    module = constructs_module(ctx, value)
    for target in targets:
        if isinstance(target, cst.Name):
            (ctx.tensor_names[-1].add if tensor else ctx.tensor_names[-1].discard)(target.value)
            (ctx.module_names[-1].add if module else ctx.module_names[-1].discard)(target.value)
        elif (isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name)
              and target.value.value == "self" and ctx.class_stack):
            if tensor:
                _class_tensors(ctx).add(target.attr.value)
            if module:
                ctx.class_modules.setdefault(id(ctx.class_stack[-1]), set()).add(target.attr.value)


def note_buffer(ctx, call: cst.Call) -> None:
    """`self.register_buffer("name", ...)` makes `self.name` a tensor."""
    if call.args and isinstance(call.args[0].value, cst.SimpleString):
        _class_tensors(ctx).add(call.args[0].value.evaluated_value)


# ------------------------------------------------------------------ device and dtype arguments
def is_device(ctx, expr: cst.BaseExpression) -> bool:
    if isinstance(expr, cst.SimpleString):
        return str(expr.evaluated_value).split(":")[0] in _DEVICE_PREFIXES
    if isinstance(expr, cst.FormattedString):
        return any(isinstance(p, cst.FormattedStringText) and p.value.startswith(_DEVICE_PREFIXES)
                   for p in expr.parts[:1])
    if isinstance(expr, cst.Call):
        if ctx.resolves_to(expr.func, "torch.device"):
            return True
        last = expr.func.attr.value if isinstance(expr.func, cst.Attribute) else getattr(expr.func, "value", "")
        return not expr.args and isinstance(last, str) and (
            last in _DEVICE_FUNCTIONS or "device" in last.lower())
    if isinstance(expr, cst.Name):
        return "device" in expr.value.lower()
    if isinstance(expr, cst.Attribute):
        return "device" in expr.attr.value.lower()
    return False


def is_dtype(ctx, expr: cst.BaseExpression) -> bool:
    """A torch dtype, its MindSpore name (as converted), or a name saying `dtype`."""
    from .devices_dtypes import DTYPES

    if isinstance(expr, cst.Name) and expr.value in ("bool", "int", "float", "complex"):
        return True  # Python types stand for dtypes in .to()
    if isinstance(expr, (cst.Name, cst.Attribute)):
        qn = ctx.qualname(expr)
        if qn is not None:
            return qn in DTYPES
        if ctx.resolves_to(expr, *DTYPES.values()):
            return True
        last = expr.value if isinstance(expr, cst.Name) else expr.attr.value
        return "dtype" in last.lower()
    return False


# ------------------------------------------------------------------ rewrites
@method("size")
def size(ctx, original: cst.Call, updated: cst.Call):
    args = updated.args
    if len(args) > 1 or any(a.star for a in args):
        return None
    if args and args[0].keyword is not None and args[0].keyword.value != "dim":
        return None
    if not (is_tensor(ctx, original.func.value) or "size" in UNAMBIGUOUS):
        return None
    ctx.count_site(original)
    shape = cst.Attribute(value=updated.func.value, attr=cst.Name("shape"))
    new = shape if not args else cst.Subscript(
        value=shape, slice=[cst.SubscriptElement(cst.Index(args[0].value))])
    return ctx.edit(original, FAMILY, new)


def _drop_call(ctx, original, updated, why: str):
    ctx.count_site(original)
    return ctx.edit(original, FAMILY, updated.func.value,
                    after=ctx.code(original.func.value) + f"  ({why})")


@method("cuda")
def cuda(ctx, original, updated):
    return _drop_call(ctx, original, updated, "device placement is global in MindSpore")


@method("cpu")
def cpu(ctx, original, updated):
    if original.args:
        return None
    return _drop_call(ctx, original, updated, "device placement is global in MindSpore")


@method("pin_memory")
def pin_memory(ctx, original, updated):
    """`x.pin_memory()`: page-locked host memory for a faster copy to the GPU; MindSpore has no
    per-tensor device, so it goes with the `.to(device)` it prepared."""
    if original.args:
        return None
    return _drop_call(ctx, original, updated, "device placement is global in MindSpore")


def _only_beside_other_handlers(ctx) -> bool:
    """layer_call changes nothing by itself: it only keeps the other handlers off a layer's call,
    so the calls no other handler reacts to need not be visited for it."""
    return False


@method("*", when=_only_beside_other_handlers)
def layer_call(ctx, original: cst.Call, updated: cst.Call):
    """`self.relu(x)` where the class set `self.relu = nn.ReLU()`: the call of a layer, not the
    Tensor method of that name: left alone, with no marker."""
    func = original.func
    if (isinstance(func.value, cst.Name) and func.value.value == "self" and ctx.class_stack
            and func.attr.value in ctx.class_modules.get(id(ctx.class_stack[-1]), ())):
        return updated
    return None


@method("to")
def to(ctx, original: cst.Call, updated: cst.Call):
    """`.to(device)` is dropped; `.to(dtype)` stays; `.to(device, dtype)` keeps the dtype."""
    keep, dropped, unknown = [], [], False
    for o, u in zip(original.args, updated.args):
        name = o.keyword.value if o.keyword is not None else None
        if o.star:
            unknown = True
        elif name in ("non_blocking", "copy", "memory_format"):
            dropped.append(o)
        elif name == "device" or (name is None and is_device(ctx, o.value)):
            dropped.append(o)
        elif name == "dtype" or (name is None and is_dtype(ctx, o.value)):
            keep.append(u)
        else:
            unknown = True
    if unknown:
        # `.to(other)` takes other's dtype and device; `.to(x)` with an unknown x cannot be told
        # apart from a device or a dtype
        if is_tensor(ctx, original.func.value):
            ctx.count_site(original)
            ctx.flag(original, FAMILY, ".to(...) with an argument that is neither a known device "
                                       "nor a dtype: keep only a dtype (devices are global in MindSpore)")
        return updated
    if not dropped:
        return None
    ctx.count_site(original)
    for arg in dropped:
        ctx.discard(arg)  # a marker on `accelerator.device` goes with the argument
    if not keep:
        return ctx.edit(original, FAMILY, updated.func.value,
                        after=ctx.code(original.func.value) + "  (device placement is global)")
    first = keep[0].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    if first.keyword is not None:
        first = first.with_changes(keyword=None, equal=cst.MaybeSentinel.DEFAULT)
    return ctx.edit(original, FAMILY, updated.with_changes(args=[first]))


def _self_assignment(ctx, stmt: cst.SimpleStatementLine) -> bool:
    if len(stmt.body) != 1 or not isinstance(stmt.body[0], cst.Assign):
        return False
    assign = stmt.body[0]
    return len(assign.targets) == 1 and ctx.code(assign.targets[0].target).replace(" ", "") \
        == ctx.code(assign.value).replace(" ", "").strip("()")


@node(cst.SimpleStatementLine)
def drop_self_assignment(ctx, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine):
    """`x, y = x.to(dev), y.to(dev)` became `x, y = x, y`: a no-op, removed (unless it carries a
    comment at its end, which must not be lost; comments above it move to the next statement)."""
    if updated is original:  # unchanged (the converter keeps unchanged nodes as they were)
        return None
    if not _self_assignment(ctx, updated) or _self_assignment(ctx, original):
        return None
    if updated.trailing_whitespace.comment is not None:
        return None
    ctx.edit(original, FAMILY, updated, before=ctx.code(original.body[0]).strip(),
             after="(removed: assigns each name to itself)")
    if any(line.comment is not None for line in updated.leading_lines):
        # the enclosing block removes it and moves its comments down (see carry_comments)
        _removed(ctx)[id(updated)] = updated
        return updated
    return cst.RemoveFromParent()


def _removed(ctx) -> dict:
    """Statements to remove whose comment lines stay: by id (holding them keeps the ids unique)."""
    return ctx.state.setdefault("removed_with_comments", {})


@node(cst.IndentedBlock, cst.Module)
def carry_comments(ctx, original, updated):
    """The statements marked by drop_self_assignment removed; their comments go to the next one
    (or to the block's end)."""
    removed = ctx.state.get("removed_with_comments")
    if not removed or not any(id(stmt) in removed for stmt in updated.body):
        return None
    body, pending = [], []
    for stmt in updated.body:
        if id(stmt) in removed:
            pending += stmt.leading_lines
            continue
        if pending:
            stmt = stmt.with_changes(leading_lines=[*pending, *stmt.leading_lines])
            pending = []
        body.append(stmt)
    if isinstance(updated, cst.IndentedBlock) and not body:
        body = [cst.SimpleStatementLine([cst.Pass()], leading_lines=pending)]
        pending = []
    return updated.with_changes(body=body, footer=[*pending, *updated.footer])


@node(cst.SimpleStatementLine)
def drop_bare_receiver(ctx, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine):
    """`model.to(device)` as a statement became the bare `model`: a no-op, removed (unless it
    carries a comment, which must not be lost)."""
    if len(updated.body) != 1 or not isinstance(updated.body[0], cst.Expr):
        return None
    if not isinstance(updated.body[0].value, (cst.Name, cst.Attribute)):
        return None
    if not isinstance(original.body[0], cst.Expr) or not isinstance(original.body[0].value, cst.Call):
        return None
    comments = [line for line in updated.leading_lines if line.comment is not None]
    if comments or updated.trailing_whitespace.comment is not None:
        return None
    ctx.edit(original, FAMILY, updated, before=ctx.code(original.body[0]).strip(),
             after="(removed: a statement that only names its receiver)")
    return cst.RemoveFromParent()
