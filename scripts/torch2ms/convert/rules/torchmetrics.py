"""torchmetrics -> `mindspore.train` metrics where one computes the same value, else a marker with
the numpy (or mint) recipe (`torchmetrics.yaml`).

A metric whose constructor converts (`Accuracy(task="multiclass", num_classes=10)` ->
`mindspore.train.Accuracy("classification")`) has its methods converted too: `compute()` ->
`eval()`, `reset()` -> `clear()`, `update(preds, target)` and a call `metric(preds, target)`
whose result is unused -> `update(...)` with the inputs the MindSpore metric expects
(Perplexity: probabilities of shape (N, C); MSE/MAE: flattened inputs). Anything else about it,
and every metric that stays on torchmetrics, is flagged. A custom `torchmetrics.Metric`
subclass stays as it is with the recipe of a `mindspore.train.Metric` subclass.
"""

from __future__ import annotations

import libcst as cst

from . import _objects, call, keep_class, method, node, reference
from ._data import load

FAMILY = "torchmetrics"
_DATA = load(FAMILY)
ROOTS = ("torchmetrics",)
_METRICS: dict[str, dict] = _DATA["metrics"]
_RECIPES = {k: " ".join(v.split()) for k, v in _DATA["recipes"].items()}
_FUNCTIONAL = {k: " ".join(v.split()) for k, v in _DATA["functional"].items()}
_OTHER = " ".join(_DATA["other"].split())
_FLAGGED_OBJECT = " ".join(_DATA["flagged_object"].split())
_CALL_RESULT = " ".join(_DATA["call_result"].split())
_INDICES = " ".join(_DATA["indices_note"].split())
_METHODS: dict[str, str] = _DATA["methods"]
_CONVERTED = "torchmetrics_converted"  # id(constructor call) -> the torchmetrics class name


def _recipe(qn: str) -> str:
    last = qn.rsplit(".", 1)[-1]
    if qn.startswith("torchmetrics.functional"):
        return _FUNCTIONAL.get(last, _OTHER)
    return _RECIPES.get(last, _OTHER)


def _same(expr: cst.BaseExpression, text: str) -> bool:
    want = cst.parse_expression(text)
    if isinstance(expr, cst.SimpleString) and isinstance(want, cst.SimpleString):
        return expr.evaluated_value == want.evaluated_value
    return cst.Module([]).code_for_node(expr) == cst.Module([]).code_for_node(want)


def _constructor(ctx, original: cst.Call, updated: cst.Call, spec: dict):
    """(the MindSpore constructor call, None) or (None, why it does not convert)."""
    required = spec.get("required") or {}
    renames = spec.get("keywords") or {}
    allowed = set(spec.get("allowed") or ())
    if any(a.keyword is None or a.star for a in original.args):
        return None, "pass its arguments by keyword to convert it"
    given = {a.keyword.value for a in original.args}
    missing = [k for k in spec.get("defaults_block") or () if k not in given]
    if missing:
        return None, (f"its default {missing[0]}= differs from mindspore.train's; "
                      f"{missing[0]}={required[missing[0]]} converts to {spec['to']}")
    args = [cst.Arg(cst.parse_expression(a)) for a in spec.get("args") or ()]
    for o, u in zip(original.args, updated.args):
        name = o.keyword.value
        if name in required:
            if not _same(o.value, required[name]):
                return None, (f"{name}={ctx.code(o.value)} has no counterpart in {spec['to']} "
                              f"(only {name}={required[name]} converts)")
        elif name in renames:
            args.append(u.with_changes(keyword=cst.Name(renames[name])))
        elif name not in allowed:
            return None, f"{name}= has no counterpart in {spec['to']}"
    if args:
        args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return cst.Call(func=ctx.render(spec["to"]), args=args), None


@call("torchmetrics", prefix=True)
def metric_call(ctx, original: cst.Call, updated: cst.Call, qn: str):
    spec = None if qn.startswith("torchmetrics.functional") else _METRICS.get(qn.rsplit(".", 1)[-1])
    if spec is not None:
        new, why = _constructor(ctx, original, updated, spec)
        if new is not None:
            ctx.state.setdefault(_CONVERTED, {})[id(original)] = qn.rsplit(".", 1)[-1]
            return ctx.edit(original, FAMILY, new)
        ctx.flag(original, FAMILY, f"{qn}: {why}")
        return ctx.leave_torch(original, updated)
    ctx.flag(original, FAMILY, f"{qn}: {_recipe(qn)}")
    return ctx.leave_torch(original, updated)


@reference("torchmetrics", prefix=True)
def metric_reference(ctx, original, updated, qn: str):
    ctx.flag(original, FAMILY, f"{qn}: {_recipe(qn)}")
    return ctx.leave_torch(original, updated)


def _inputs(ctx, updated: cst.Call) -> list[cst.BaseExpression] | None:
    """preds and target of `update(preds, target)` (positional or by torchmetrics' keywords)."""
    if len(updated.args) != 2 or any(a.star for a in updated.args):
        return None
    if all(a.keyword is None for a in updated.args):
        return [a.value for a in updated.args]
    by_name = {a.keyword.value: a.value for a in updated.args if a.keyword is not None}
    if set(by_name) == {"preds", "target"}:
        return [by_name["preds"], by_name["target"]]
    return None


def _reshape(expr: cst.BaseExpression, *dims: cst.BaseExpression) -> cst.Call:
    return cst.Call(func=cst.Attribute(value=expr, attr=cst.Name("reshape")),
                    args=[cst.Arg(d) for d in dims])


def _minus_one() -> cst.BaseExpression:
    return cst.UnaryOperation(operator=cst.Minus(), expression=cst.Integer("1"))


def _update_args(ctx, kind: str, preds, target):
    """The arguments of the MindSpore update, or None when they cannot be written safely."""
    how = _METRICS[kind]["update"]
    if how == "as is":
        return [preds, target]
    if how == "flatten":
        return [_reshape(preds, _minus_one()), _reshape(target, _minus_one())]
    if how == "probabilities":
        if not isinstance(preds, (cst.Name, cst.Attribute)):
            return None  # it is used twice (softmax and its last dimension)
        softmax = cst.Call(func=ctx.render("mindspore.mint.nn.functional.softmax"),
                           args=[cst.Arg(preds), cst.Arg(_minus_one(), keyword=cst.Name("dim"),
                                                         equal=cst.AssignEqual(
                                                             whitespace_before=cst.SimpleWhitespace(""),
                                                             whitespace_after=cst.SimpleWhitespace("")))])
        last = cst.Subscript(value=cst.Attribute(value=preds, attr=cst.Name("shape")),
                             slice=[cst.SubscriptElement(cst.Index(_minus_one()))])
        return [_reshape(softmax, _minus_one(), last), _reshape(target, _minus_one())]
    raise ValueError(f"torchmetrics.yaml: unknown update form {how!r}")


def convert_method(ctx, original: cst.Call, updated: cst.Call, built, name: str, uses_result: bool):
    """A method (or a call) of a torchmetrics object; flags it itself when it cannot convert."""
    kind = ctx.state.get(_CONVERTED, {}).get(built.call) if built is not None else None
    shown = f"{ctx.code(original.func)}(...)"
    if kind is None:
        ctx.flag(original, FAMILY, f"{shown}: {_FLAGGED_OBJECT}")
        return updated
    recv = updated.func.value if name != "__call__" else updated.func
    if name in _METHODS and not updated.args:
        new = updated.with_changes(func=cst.Attribute(value=recv, attr=cst.Name(_METHODS[name])))
        return ctx.edit(original, FAMILY, new)
    if name in ("update", "__call__"):
        if name == "__call__" and uses_result:
            ctx.flag(original, FAMILY, f"{shown}: {_CALL_RESULT}")
            return updated
        inputs = _inputs(ctx, updated)
        args = _update_args(ctx, kind, *inputs) if inputs is not None else None
        if args is None:
            ctx.flag(original, FAMILY, f"{shown}: write update(preds, target) with the inputs "
                                       f"mindspore.train.{_METRICS[kind]['to'].rsplit('.', 1)[-1]} "
                                       "expects (torchmetrics.yaml: update)")
            return updated
        new = cst.Call(func=cst.Attribute(value=recv, attr=cst.Name("update")),
                       args=[cst.Arg(a) for a in args])
        if _METRICS[kind].get("scores_only") and _indices(ctx, inputs[0]):
            ctx.flag(original, FAMILY, f"{shown}: {_INDICES}")
        return ctx.edit(original, FAMILY, new)
    ctx.flag(original, FAMILY, f"{shown}: mindspore.train metrics have update(preds, target), "
                               "eval() and clear() only (they compute in numpy on the host: no "
                               ".to(device))")
    return updated


_INDEX_NAMES = "torchmetrics_indices"  # names assigned class indices (an argmax)


def _has_argmax(expr: cst.BaseExpression) -> bool:
    found = False

    class Find(cst.CSTVisitor):
        def visit_Call(self, n: cst.Call) -> None:
            nonlocal found
            name = n.func.attr.value if isinstance(n.func, cst.Attribute) else \
                n.func.value if isinstance(n.func, cst.Name) else ""
            found = found or name == "argmax"

    expr.visit(Find())
    return found


def _indices(ctx, preds: cst.BaseExpression) -> bool:
    """Whether an update's preds are class indices: an argmax, or a name assigned one."""
    if isinstance(preds, cst.Name) and preds.value in ctx.state.get(_INDEX_NAMES, ()):
        return True
    return _has_argmax(preds)


@node(cst.Assign)
def note_indices(ctx, original: cst.Assign, updated):
    """`preds = logits.argmax(dim=1)`: preds holds class indices."""
    if "torchmetrics" not in ctx.imported_packages:
        return None
    names = ctx.state.setdefault(_INDEX_NAMES, set())
    indices = _has_argmax(original.value)
    for target in original.targets:
        if isinstance(target.target, cst.Name):
            (names.add if indices else names.discard)(target.target.value)
    return None


_MS_METRICS = "mindspore_metrics"  # receivers bound to a mindspore.train metric


@node(cst.Assign)
def note_mindspore_metric(ctx, original: cst.Assign, updated):
    """`acc = ms.train.Accuracy(...)` (a converted metric, on a second run): its eval() is the
    metric's, not a Cell's."""
    value = original.value
    is_metric = isinstance(value, cst.Call) and ctx.resolves_to_prefix(value.func, "mindspore.train.")
    found = ctx.state.setdefault(_MS_METRICS, set())
    for target in original.targets:
        (found.add if is_metric else found.discard)(ctx.code(target.target))
    return None


@method("eval")
def mindspore_metric_eval(ctx, original: cst.Call, updated: cst.Call):
    if ctx.code(original.func.value) in ctx.state.get(_MS_METRICS, ()):
        return updated
    return None


@keep_class
def custom_metric(ctx, cls: cst.ClassDef) -> str | None:
    for base in cls.bases:
        qn = ctx.qualname(base.value)
        if qn is not None and qn.startswith("torchmetrics") and qn.rsplit(".", 1)[-1] == "Metric":
            ctx.state.setdefault("torchmetrics_classes", set()).add(id(cls))
            return _RECIPES["Metric"]
    return None


@node(cst.ClassDef, kept=True)
def mark_custom_metric(ctx, original: cst.ClassDef, updated: cst.ClassDef):
    if id(original) in ctx.state.get("torchmetrics_classes", ()) and not ctx.in_kept:
        ctx.flag(original, FAMILY, f"torchmetrics.Metric: {_RECIPES['Metric']}; then run torch2ms "
                                   "convert on this output again: the torch code in this class "
                                   "is left as it is until then")
    return None


_objects.register(FAMILY, ROOTS, {"*": {"other": _FLAGGED_OBJECT,
                                        "methods": {"__call__": _FLAGGED_OBJECT}}},
                  convert=convert_method)
