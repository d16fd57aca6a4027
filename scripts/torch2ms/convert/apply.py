"""Applying one mapping-table entry to a call: rename the callee, bind and rewrite arguments.

Positional arguments are bound to names through the entry's `params` (torch's order). An
argument listed in `unsupported` blocks the conversion (flagged); one in `drop` is removed and
flagged (unless it is passed as None, which changes nothing), one in `drop_silent` is removed
quietly; `rename` changes keywords; `defaults` are added when the caller relied on torch's.
Positional arguments after a removed one become keywords so that nothing shifts.
"""

from __future__ import annotations

import re

import libcst as cst

from .mappings import Mapping

RULE = "mapping"


def _is_none(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "None"


def _bind(entry: Mapping, args) -> list[tuple[str | None, cst.Arg]]:
    """(torch parameter name or None when unknown, arg) for each argument."""
    bound = []
    for i, arg in enumerate(args):
        if arg.star:
            bound.append((None, arg))
        elif arg.keyword is not None:
            bound.append((arg.keyword.value, arg))
        else:
            bound.append((_positional_name(entry.params, i), arg))
    return bound


def _positional_name(params: tuple[str, ...], i: int) -> str | None:
    """The parameter the i-th positional argument binds to; `*name` takes all the rest."""
    for j, p in enumerate(params):
        if p.startswith("*"):
            return p[1:] if i >= j else params[i]
    return params[i] if i < len(params) else None


def changes_call(entry: Mapping, args, current_name: str | None = None) -> bool:
    """Whether applying `entry` would change this call at all."""
    if current_name is not None and entry.to != current_name:
        return True
    given = {name for name, _ in _bind(entry, args) if name}
    keywords = {a.keyword.value for a in args if a.keyword is not None}
    positional = {name for name, a in _bind(entry, args) if name and a.keyword is None}
    return bool(given & (set(entry.drop) | set(entry.drop_silent) | set(entry.unsupported))
                or keywords & set(entry.rename) or (set(entry.defaults) - given)
                or positional & set(entry.keyword) or keywords & set(entry.positional)
                or given & set(entry.coerce))


_DEFAULT_NOTE = re.compile(r"default value of `?(\w+)`? is different")


def _note_for(entry: Mapping, given: set[str]) -> str:
    """The entry's note for a flag, unless it only warns of a default the call does not use."""
    match = _DEFAULT_NOTE.search(entry.note or "")
    if not entry.note or match and match.group(1) in given:
        return ""
    return f" ({entry.note})"


def _param_index(params: tuple[str, ...], name: str) -> int:
    return params.index(name) if name in params else params.index("*" + name)


def _insert_positionals(ctx, original, label: str, args: list[cst.Arg], moved) -> bool:
    """Put the moved keywords after the positional arguments, when each lands at its own
    position; else flag (an earlier parameter was not given positionally)."""
    count = sum(1 for a in args if a.keyword is None and not a.star)
    if any(index != count + k for k, (index, _) in enumerate(moved)):
        ctx.flag(original, RULE, f"{label}: the target takes "
                                 f"{', '.join(ctx.code(a.value) for _, a in moved)} positionally only, "
                                 "after the parameters before it: pass them all positionally")
        return False
    comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    args[count:count] = [a.with_changes(comma=comma) for _, a in moved]
    if count + len(moved) == len(args):  # nothing follows: no trailing comma
        args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return True


def _rewrite_args(ctx, entry: Mapping, original: cst.Call, args, label: str):
    """New argument list, or None when an unsupported argument blocks the conversion."""
    bound = _bind(entry, args)
    given = {name for name, _ in bound if name}
    has_star = any(a.star for a in args)
    for name, reason in entry.unsupported.items():
        if name in given:
            ctx.flag(original, RULE, f"{label}: argument `{name}` is not supported: {reason}")
            return None
    if has_star and (entry.unsupported or entry.drop or entry.rename):
        ctx.flag(original, RULE, f"{label}: arguments passed through * or ** are not checked "
                                 f"against the mapping (dropped: {', '.join(entry.drop) or '-'}, "
                                 f"renamed: {', '.join(entry.rename) or '-'})")
    new_args: list[cst.Arg] = []
    to_keyword = False
    moved: list[tuple[int, cst.Arg]] = []  # keywords of positional-only target parameters
    for name, arg in bound:
        if name in entry.positional and arg.keyword is not None and not has_star:
            moved.append((_param_index(entry.params, name),
                          arg.with_changes(keyword=None, equal=cst.MaybeSentinel.DEFAULT)))
            continue
        if name in entry.drop_silent or name in entry.drop:
            if name not in entry.drop_silent and not _is_none(arg.value):
                note = _note_for(entry, given)
                ctx.flag(original, RULE, f"{label}: argument `{name}` dropped, MindSpore has no "
                                         f"counterpart; check the behaviour{note}")
            if arg.keyword is None:
                to_keyword = True
            continue
        if name in entry.keyword and arg.keyword is None and not arg.star:
            to_keyword = True  # keyword-only in the target: this one and those after it
        if name is not None and name in entry.coerce:
            value = _coerced(ctx, original, label, name, arg.value)
            if value is not arg.value:
                arg = arg.with_changes(value=value)
        if name is not None and name in entry.rename and arg.keyword is not None:
            arg = arg.with_changes(keyword=cst.Name(entry.rename[name]))
        elif (to_keyword and name is not None and arg.keyword is None and not arg.star
              and f"*{name}" not in entry.params):
            arg = arg.with_changes(keyword=cst.Name(entry.rename.get(name, name)),
                                   equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                                         whitespace_after=cst.SimpleWhitespace("")))
        new_args.append(arg)
    if moved and not _insert_positionals(ctx, original, label, new_args, sorted(moved, key=lambda m: m[0])):
        return None
    if not has_star:
        for name, value in entry.defaults.items():
            if name not in given:
                new_args.append(cst.Arg(
                    keyword=cst.Name(entry.rename.get(name, name)), value=cst.parse_expression(value),
                    equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                          whitespace_after=cst.SimpleWhitespace(""))))
    if entry.pack:
        new_args = _pack(entry, new_args)
    # the last argument must not keep a trailing comma that belonged to a removed one
    if new_args and len(new_args) < len(args) and args[-1].comma is cst.MaybeSentinel.DEFAULT:
        new_args[-1] = new_args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    _fix_commas(new_args)
    return new_args


def _float_literal(expr: cst.BaseExpression) -> cst.BaseExpression | None:
    """`2` -> `2.0`, `(2, 3)` -> `(2.0, 3.0)`; a float literal as it is; else None."""
    if isinstance(expr, cst.Float):
        return expr
    if isinstance(expr, cst.Integer):
        return cst.Float(f"{int(expr.value, 0)}.0", lpar=expr.lpar, rpar=expr.rpar)
    if isinstance(expr, (cst.Tuple, cst.List)) and expr.elements \
            and not any(isinstance(e, cst.StarredElement) for e in expr.elements):
        values = [_float_literal(e.value) for e in expr.elements]
        if any(v is None for v in values):
            return None
        return expr.with_changes(elements=[e.with_changes(value=v)
                                           for e, v in zip(expr.elements, values)])
    return None


def _coerced(ctx, original, label: str, name: str, value: cst.BaseExpression):
    """The argument as the target's type (`coerce: {scale_factor: float}`): a literal is
    rewritten; any other expression is flagged (its type is known only at run time)."""
    if _is_none(value):
        return value
    literal = _float_literal(value)
    if literal is not None:
        return literal
    ctx.flag(original, RULE, f"{label}: `{name}` must be a float (or a tuple of floats): the "
                             f"target rejects an int; pass float({ctx.code(value)}) if it can be one")
    return value


def _pack(entry: Mapping, args: list[cst.Arg]) -> list[cst.Arg]:
    """`zeros(2, 3, dtype=d)` -> `zeros((2, 3), dtype=d)` for a target taking one shape tuple."""
    star = next(i for i, p in enumerate(entry.params) if p.startswith("*"))
    positional = [a for a in args if a.keyword is None and not a.star]
    packed = positional[star:]
    if len(packed) < 2 or any(a.star for a in args):
        return args
    comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    elements = [cst.Element(a.value, comma=comma if i < len(packed) - 1 else cst.MaybeSentinel.DEFAULT)
                for i, a in enumerate(packed)]
    tuple_arg = cst.Arg(cst.Tuple(elements), comma=packed[-1].comma)
    first = args.index(packed[0])
    rest = [a for a in args if not any(a is p for p in packed)]
    return [*rest[:first], tuple_arg, *rest[first:]]


def _fix_commas(args: list[cst.Arg]) -> None:
    """Every argument but the last needs a comma (an added or moved one may lack it)."""
    for i, arg in enumerate(args[:-1]):
        if arg.comma is cst.MaybeSentinel.DEFAULT:
            args[i] = arg.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))


def apply_call_mapping(ctx, entry: Mapping, original: cst.Call, updated: cst.Call):
    qn = entry.torch
    if entry.to is None:
        ctx.flag(original, RULE, f"{qn} has no MindSpore counterpart: {entry.note}")
        return ctx.leave_torch(original, updated)
    new_args = _rewrite_args(ctx, entry, original, updated.args, qn)
    if new_args is None:
        return ctx.leave_torch(original, updated)
    new = updated.with_changes(func=ctx.render(entry.to), args=new_args)
    return ctx.edit(original, RULE, new, before=ctx.code(original.func), after=ctx.code(new.func))


def apply_method_mapping(ctx, entry: Mapping, original: cst.Call, updated: cst.Call):
    """`x.name(...)` per a `Tensor.name` entry, on receivers known to be tensors only."""
    from .rules.tensor_methods import UNAMBIGUOUS

    name = original.func.attr.value
    target = entry.to
    if not changes_call(entry, original.args, name):
        return updated
    label = f"Tensor.{name}"
    receiver_known = ctx.is_tensor(original.func.value) or name in UNAMBIGUOUS
    ctx.count_site(original)
    if not receiver_known:
        what = f"-> {target}" if target else "has no counterpart"
        ctx.flag(original, "tensor_methods", f".{name}(): if the receiver is a tensor, {label} "
                                             f"{what}; receiver type unknown, left as is")
        return updated
    if target is None:
        ctx.flag(original, RULE, f"{label} has no MindSpore counterpart: {entry.note}")
        return updated
    new_args = _rewrite_args(ctx, entry, original, updated.args, label)
    if new_args is None:
        return updated
    receiver = updated.func.value
    if entry.method_target_is_function:
        first = cst.Arg(value=receiver, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
                        if new_args else cst.MaybeSentinel.DEFAULT)
        new = updated.with_changes(func=ctx.render(target), args=[first, *new_args])
    else:
        new = updated.with_changes(func=updated.func.with_changes(attr=cst.Name(target)),
                                   args=new_args)
    return ctx.edit(original, RULE, new)
