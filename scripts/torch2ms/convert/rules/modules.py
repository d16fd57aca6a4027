"""torch.nn.Module structure: Cell, construct, containers, Parameter, buffers.

- `nn.Module` -> `nn.Cell` (bases and isinstance), `forward` -> `construct` in module classes
  (and `self.forward(...)`, `super().forward(...)` calls in them).
- `nn.ModuleList` -> `nn.CellList`, `nn.Sequential` -> `nn.SequentialCell`, `nn.ModuleDict` ->
  `nn.CellDict`; a ModuleDict holding containers (which CellDict rejects) assigned in one
  statement becomes a plain `nn.Cell()` built completely before it is attached.
- `nn.Parameter(t, requires_grad)` -> `ms.Parameter(t, requires_grad=...)`.
- `register_buffer` exists on Cell with the same signature: only noted for tensor inference;
  `persistent=False` buffers become plain attributes (`self.b = t`).
- `named_parameters()`/`parameters()`/... on modules -> the Cell method names; `parameters()`
  passed to an optimizer -> `trainable_params()`, `named_parameters()` there is flagged.
"""

from __future__ import annotations

import libcst as cst

from . import call, method, node, reference
from ._data import load
from .tensor_methods import note_buffer
from .training_loop import flag_named_parameters, optimizer_parameters

FAMILY = "modules"
_DATA = load(FAMILY)
_CONTAINERS = {"torch.nn.ModuleList", "torch.nn.ModuleDict", "torch.nn.Sequential",
               "torch.nn.modules.container.ModuleList", "torch.nn.modules.container.ModuleDict",
               "torch.nn.modules.container.Sequential"}
_TARGETS = {"ModuleList": "mindspore.nn.CellList", "Sequential": "mindspore.nn.SequentialCell",
            "ModuleDict": "mindspore.nn.CellDict"}


@reference("torch.nn.Module", "torch.nn.modules.module.Module", prefix=True)
def module_base(ctx, original, updated, qn):
    """`nn.Module` -> `nn.Cell`, also `nn.Module.__init__` and other class attributes."""
    rest = qn.split(".Module", 1)[1]
    return ctx.edit(original, FAMILY, ctx.render("mindspore.nn.Cell" + rest))


@call("torch.nn.Module", "torch.nn.modules.module.Module", prefix=True)
def module_call(ctx, original, updated, qn):
    rest = qn.split(".Module", 1)[1]
    new = updated.with_changes(func=ctx.render("mindspore.nn.Cell" + rest))
    return ctx.edit(original, FAMILY, new, before=ctx.code(original.func), after=ctx.code(new.func))


def _is_module_base(ctx, base: cst.BaseExpression) -> bool:
    qn = ctx.qualname(base)
    if qn is not None:
        return qn.startswith("torch.nn.") and qn.rsplit(".", 1)[-1][:1].isupper() \
            or qn in _DATA["module_bases"]
    names = ctx.qualified_names(base) if isinstance(base, (cst.Name, cst.Attribute)) else None
    if names is None:
        return False
    if any(n.endswith(tuple(_DATA["module_base_suffixes"])) or n in _DATA["converted_module_bases"] for n in names):
        return True
    # a class of this file that is itself a module
    modules = ctx.state.setdefault("module_classes", set())
    return isinstance(base, cst.Name) and base.value in modules


def _is_module_class(ctx, cls: cst.ClassDef) -> bool:
    return any(_is_module_base(ctx, b.value) for b in cls.bases)


@node(cst.ClassDef)
def module_class(ctx, original: cst.ClassDef, updated: cst.ClassDef):
    if _is_module_class(ctx, original):
        ctx.state.setdefault("module_classes", set()).add(original.name.value)
    return None


def _in_module_class(ctx) -> bool:
    return bool(ctx.class_stack) and _is_module_class(ctx, ctx.class_stack[-1])


def _mixins(ctx) -> set[str]:
    """Classes of the file that are not modules but are bases of the file's module classes (a
    mixin holding `forward`): their `forward` must be `construct` too."""
    found = ctx.state.get("module_mixins")
    if found is None:
        classes = {c.name.value: c for c in ctx.module.body if isinstance(c, cst.ClassDef)}
        modules, found = set(), set()
        for cls in classes.values():
            if any(_is_module_base(ctx, b.value) or (isinstance(b.value, cst.Name)
                                                     and b.value.value in modules) for b in cls.bases):
                modules.add(cls.name.value)
        for name in modules:
            for b in classes[name].bases:
                if isinstance(b.value, cst.Name) and b.value.value in classes \
                        and b.value.value not in modules:
                    found.add(b.value.value)
        ctx.state["module_mixins"] = found
    return found


def _in_module_or_mixin(ctx) -> bool:
    return _in_module_class(ctx) or (
        bool(ctx.class_stack) and ctx.class_stack[-1].name.value in _mixins(ctx))


@node(cst.FunctionDef)
def forward_to_construct(ctx, original: cst.FunctionDef, updated: cst.FunctionDef):
    if original.name.value != "forward" or not _in_module_or_mixin(ctx):
        return None
    # a method directly in the class body (not a nested function)
    if len(ctx.tensor_names) != 1:
        return None
    new = updated.with_changes(name=cst.Name("construct"))
    return ctx.edit(original, FAMILY, new, before="def forward", after="def construct")


@method("forward")
def forward_call(ctx, original: cst.Call, updated: cst.Call):
    """`self.forward(...)` and `super().forward(...)` inside a module class."""
    recv = original.func.value
    is_self = isinstance(recv, cst.Name) and recv.value == "self"
    is_super = (isinstance(recv, cst.Call) and isinstance(recv.func, cst.Name)
                and recv.func.value == "super")
    if not (is_self or is_super) or not _in_module_or_mixin(ctx):
        return None
    new = updated.with_changes(func=updated.func.with_changes(attr=cst.Name("construct")))
    return ctx.edit(original, FAMILY, new)


def _holds_containers(ctx, call_node: cst.Call) -> bool:
    """Whether a ModuleDict(...) literal holds a ModuleList/ModuleDict/Sequential."""
    found = False

    class Find(cst.CSTVisitor):
        def visit_Call(self, n):
            nonlocal found
            if n is not call_node and (ctx.qualname(n.func) in _CONTAINERS or ctx.resolves_to(
                    n.func, "mindspore.nn.CellList", "mindspore.nn.CellDict",
                    "mindspore.nn.SequentialCell")):
                found = True  # a torch container, or one converted already

    for arg in call_node.args:
        arg.value.visit(Find())
    return found


def _holds_transforms(ctx, call_node: cst.Call) -> bool:
    """Whether an nn.Sequential(...) is given torchvision transforms (`T.RandomCrop(...)`)."""
    for arg in call_node.args:
        value = arg.value
        elements = [e.value for e in value.elements] if isinstance(value, (cst.List, cst.Tuple)) \
            else [value]
        for e in elements:
            if isinstance(e, cst.Call) and ctx.resolves_to_prefix(e.func, "torchvision.transforms"):
                return True
    return False


def _dict_items(value: cst.BaseExpression):
    """(key, value expr) pairs of `dict(k=v, ...)` or `{"k": v, ...}`, or None."""
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value == "dict":
        if all(a.keyword is not None and not a.star for a in value.args):
            return [(a.keyword.value, a.value) for a in value.args]
    if isinstance(value, cst.Dict):
        items = []
        for el in value.elements:
            if not isinstance(el, cst.DictElement) or not isinstance(el.key, cst.SimpleString):
                return None
            key = el.key.evaluated_value
            if not str(key).isidentifier():
                return None
            items.append((key, el.value))
        return items
    return None


@call(*sorted(_CONTAINERS))
def containers(ctx, original: cst.Call, updated: cst.Call, qn: str):
    kind = qn.rsplit(".", 1)[-1]
    if kind == "ModuleDict" and _holds_containers(ctx, original):
        stmt = ctx.statements[-1] if ctx.statements else None
        ok = (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1
              and isinstance(stmt.body[0], cst.Assign) and len(stmt.body[0].targets) == 1
              and stmt.body[0].value is original and len(original.args) == 1
              and _dict_items(original.args[0].value) is not None)
        if not ok:
            ctx.flag(original, FAMILY, "nn.ModuleDict holding a ModuleList/ModuleDict/Sequential: "
                                       "nn.CellDict rejects those; use a plain nn.Cell() with the "
                                       "entries set as attributes, built before it is attached")
            return ctx.leave_torch(original, updated)
        ctx.state.setdefault("cell_holders", set()).add(id(stmt))
        return ctx.edit(original, FAMILY, updated, before="nn.ModuleDict(...)",
                        after="nn.Cell() with attributes (CellDict cannot hold containers)")
    new = updated.with_changes(func=ctx.render(_TARGETS[kind]))
    if kind == "Sequential" and _holds_transforms(ctx, original):
        ctx.flag(original, FAMILY, "torchvision transforms inside nn.Sequential: their "
                                   "mindspore.dataset.vision counterparts are not Cells (a "
                                   "SequentialCell rejects them); apply them in the data pipeline "
                                   "(dataset.map(operations=[...])) or write the op with mint")
    if kind == "ModuleList" and len(updated.args) == 1 and not updated.args[0].star \
            and updated.args[0].keyword is None and not _is_list(updated.args[0].value):
        # CellList takes a list only (a tuple or a generator raises a TypeError)
        value = updated.args[0].value
        new = new.with_changes(args=[updated.args[0].with_changes(
            value=cst.Call(func=cst.Name("list"), args=[cst.Arg(value)]))])
        return ctx.edit(original, FAMILY, new)
    return ctx.edit(original, FAMILY, new, before=ctx.code(original.func), after=ctx.code(new.func))


def _is_list(value: cst.BaseExpression) -> bool:
    return isinstance(value, (cst.List, cst.ListComp)) or (
        isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value == "list")


@method("modules")
def modules_method(ctx, original: cst.Call, updated: cst.Call):
    """`m.modules()` -> the cells of `cells_and_names()` (a Cell has no modules(); like torch's
    it yields the cell itself first)."""
    if original.args or not is_module(ctx, original.func.value):
        return None
    ctx.count_site(original)
    receiver = updated.func.value
    new = cst.parse_expression("(cell for _, cell in X.cells_and_names())")
    new = new.with_deep_changes(new.for_in.iter.func, value=receiver)
    return ctx.edit(original, FAMILY, new)


@node(cst.SimpleStatementLine)
def cell_holder(ctx, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine):
    """`x = nn.ModuleDict(dict(a=..., h=nn.ModuleList(...)))` becomes a Cell built, then attached."""
    if id(original) not in ctx.state.get("cell_holders", ()):
        return None
    assign = updated.body[0]
    target = assign.targets[0].target
    items = _dict_items(assign.value.args[0].value)
    base = target.attr.value if isinstance(target, cst.Attribute) else ctx.code(target)
    local = cst.Name(f"{base}_cell" if base.isidentifier() else "cell")
    cell = ctx.render("mindspore.nn.Cell")
    first = cst.SimpleStatementLine(
        [cst.Assign([cst.AssignTarget(local)], cst.Call(func=cell))],
        leading_lines=updated.leading_lines)
    body = [first]
    for key, value in items:
        body.append(cst.SimpleStatementLine([cst.Assign(
            [cst.AssignTarget(cst.Attribute(value=local, attr=cst.Name(key)))], value)]))
    body.append(updated.with_changes(leading_lines=(), body=[assign.with_changes(value=local)]))
    return cst.FlattenSentinel(body)


@call("torch.nn.Parameter", "torch.nn.parameter.Parameter")
def parameter(ctx, original: cst.Call, updated: cst.Call, qn: str):
    args = list(updated.args)
    # MindSpore's second positional parameter is `name`: requires_grad must be a keyword
    if len(args) >= 2 and args[1].keyword is None and not args[1].star:
        args[1] = args[1].with_changes(
            keyword=cst.Name("requires_grad"),
            equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                  whitespace_after=cst.SimpleWhitespace("")))
    new = updated.with_changes(func=ctx.render("mindspore.Parameter"), args=args)
    target = _late_parameter_target(ctx, original)
    if target is not None:
        value = ctx.code(original.args[0].value) if original.args else ""
        if target in value.replace(" ", ""):
            # it replaces the Parameter it is built from: keep that one's full name
            comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
            args[-1] = args[-1].with_changes(comma=comma)
            args.append(cst.Arg(cst.parse_expression(f"{target}.name"), keyword=cst.Name("name"),
                                equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                                      whitespace_after=cst.SimpleWhitespace(""))))
            new = new.with_changes(args=args)
        else:
            ctx.flag(original, FAMILY, f"a Parameter assigned to {target} after the Cell was built "
                                       "is named after the attribute alone ('weight', not "
                                       "'encoder.pos.weight'), so checkpoints saved after it no "
                                       "longer match: pass name= the full name, or change the "
                                       "existing one with set_data(value, slice_shape=True)")
    return ctx.edit(original, FAMILY, new, before=ctx.code(original.func), after=ctx.code(new.func))


def _late_parameter_target(ctx, original: cst.Call) -> str | None:
    """`self.pos.weight = nn.Parameter(...)` in a method other than __init__ (the Cell's
    parameters are named already), without name=: the target's text."""
    if any(a.keyword is not None and a.keyword.value == "name" for a in original.args) \
            or len([a for a in original.args if a.keyword is None]) > 2:
        return None
    target = ctx.assigned_to(original)
    if target is None or not target.startswith("self."):
        return None
    functions = [s for s in ctx.statements if isinstance(s, cst.FunctionDef)]
    if not functions or functions[-1].name.value == "__init__" or not ctx.class_stack:
        return None
    return target.replace(" ", "")


@reference("torch.nn.Parameter", "torch.nn.parameter.Parameter")
def parameter_ref(ctx, original, updated, qn):
    return ctx.edit(original, FAMILY, ctx.render("mindspore.Parameter"))


@method("register_buffer")
def register_buffer(ctx, original: cst.Call, updated: cst.Call):
    note_buffer(ctx, original)
    return None


def _non_persistent_buffer(call: cst.BaseExpression) -> tuple[str, cst.BaseExpression] | None:
    """(name, value) of `self.register_buffer("name", value, persistent=False)`, else None."""
    if not (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)
            and call.func.attr.value == "register_buffer"
            and isinstance(call.func.value, cst.Name) and call.func.value.value == "self"):
        return None
    args = call.args
    persistent = [a for a in args if a.keyword is not None and a.keyword.value == "persistent"]
    positional = [a for a in args if a.keyword is None and not a.star]
    by_keyword = {a.keyword.value: a.value for a in args if a.keyword is not None}
    if len(positional) == 3:
        persistent = [positional[2]]
    if len(persistent) != 1 or not (isinstance(persistent[0].value, cst.Name)
                                    and persistent[0].value.value == "False"):
        return None
    name = positional[0].value if positional else by_keyword.get("name")
    value = positional[1].value if len(positional) > 1 else by_keyword.get("tensor")
    if not isinstance(name, cst.SimpleString) or value is None or any(a.star for a in args):
        return None
    text = name.evaluated_value
    return (text, value) if isinstance(text, str) and text.isidentifier() else None


@node(cst.Expr)
def non_persistent_buffer(ctx, original: cst.Expr, updated: cst.Expr):
    """`self.register_buffer("b", t, persistent=False)` -> `self.b = t` (CLAUDE.md: a plain
    attribute; it is left out of the checkpoint like in torch)."""
    if not _in_module_class(ctx) or _non_persistent_buffer(original.value) is None:
        return None
    found = _non_persistent_buffer(updated.value)
    if found is None:
        return None
    name, value = found
    new = cst.Assign([cst.AssignTarget(cst.Attribute(cst.Name("self"), cst.Name(name)))],
                     value, semicolon=updated.semicolon)
    return ctx.edit(original, FAMILY, new, before=f"self.register_buffer({name!r}, ..., persistent=False)",
                    after=f"self.{name} = ...")


def _named_like_a_model(expr: cst.BaseExpression) -> bool:
    name = expr.value if isinstance(expr, cst.Name) else (
        expr.attr.value if isinstance(expr, cst.Attribute) else "")
    return any(word in name.lower() for word in _DATA["module_name_words"])


def is_module(ctx, expr: cst.BaseExpression) -> bool:
    """A receiver known to be a module: self in a module class, a name or attribute assigned a
    module, or one named like a model (`model`, `self.encoder`)."""
    if _named_like_a_model(expr):
        return True
    if isinstance(expr, cst.Name):
        if expr.value == "self":
            return _in_module_class(ctx)
        return expr.value in ctx.module_names[-1] or expr.value in ctx.module_names[0]
    if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) \
            and expr.value.value == "self" and ctx.class_stack:
        return expr.attr.value in ctx.class_modules.get(id(ctx.class_stack[-1]), ())
    return False


def constructs_module(ctx, value: cst.BaseExpression) -> bool:
    if not isinstance(value, cst.Call):
        return False
    qn = ctx.qualname(value.func)
    if qn is not None:
        last = qn.rsplit(".", 1)[-1]
        return (qn.startswith("torch.nn.") and not qn.startswith("torch.nn.functional.")
                and last[:1].isupper() and last != "Parameter") or last == "from_pretrained" \
            or qn.startswith(("torchvision.models.", "timm.create_model", "timm.models.create_model"))
    if isinstance(value.func, cst.Name) and value.func.value in ctx.state.get("module_classes", ()):
        return True
    # a layer of converted code (mint.nn.ReLU()): half-converted files, and converting again
    name = (value.func.attr.value if isinstance(value.func, cst.Attribute) else
            value.func.value if isinstance(value.func, cst.Name) else None)
    return bool(name) and name[:1].isupper() and name != "Parameter" and ctx.resolves_to_prefix(
        value.func, "mindspore.mint.nn.", "mindspore.nn.") and not ctx.resolves_to_prefix(
        value.func, "mindspore.mint.nn.functional.")


def _rename_method(ctx, original, updated):
    name = original.func.attr.value
    in_optimizer = optimizer_parameters(ctx, original)
    if not in_optimizer and not is_module(ctx, original.func.value):
        return None
    target = _DATA["renamed_methods"][name]
    if in_optimizer == "parameters":
        # get_parameters() would also hand the BatchNorm statistics to the optimizer
        target = _DATA["optimizer_parameters"]
    elif in_optimizer == "named_parameters":
        flag_named_parameters(ctx, original)
    new = updated.with_changes(func=updated.func.with_changes(attr=cst.Name(target)))
    ctx.count_site(original)
    return ctx.edit(original, FAMILY, new)


for _name in _DATA["renamed_methods"]:
    method(_name)(_rename_method)
