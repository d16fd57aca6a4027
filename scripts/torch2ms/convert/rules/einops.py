"""einops -> mindspore.mint: calls with a literal pattern written out at conversion time.

einops has no MindSpore backend. `rearrange`, `repeat` and `reduce` (and the layers `Rearrange`
and `Reduce` of `einops.layers.torch`) whose pattern is a string literal are read with einops'
own parser and recipe (`einops.parsing.ParsedExpression`, `_prepare_transformation_recipe`,
then `_reconstruct_from_shape_uncached` run on symbolic lengths), which give the steps einops
itself takes: reshape, permute, reduction, new axes, reshape. They are written with mint into a
function placed in the converted file, one per pattern:

    x = rearrange(x, "b n (h d) -> b h n d", h=self.heads)
    ->  x = einops_rearrange_1(x, h=self.heads)

    def einops_rearrange_1(x, h):
        \"\"\"einops.rearrange(x, "b n (h d) -> b h n d", h=h), written with mint.\"\"\"
        b, n, h_d = x.shape
        x = mint.reshape(x, (b, n, h, h_d // h))
        return mint.permute(x, (0, 2, 1, 3))

The lengths come from the input's shape and from the keyword axis lengths, at run time. An
ellipsis is folded into one axis first (`math.prod` of its lengths) and unfolded at the end.
A layer becomes a small nn.Cell calling the function. Everything else is marked: patterns that
are not literals, callable reductions, lists of tensors, `einsum`, `pack`/`unpack` and the other
names (`einops.yaml`). einops is needed only here, at conversion time: without it every einops
call is marked. Lengths are not checked against the input as einops checks them: a wrong one
makes the reshape raise.
"""

from __future__ import annotations

import importlib
import keyword

import libcst as cst

from . import call, node, reference
from ._data import load
from .imports import import_block_end

FAMILY = "einops"
_DATA = load(FAMILY)
FUNCTIONS: dict[str, str] = _DATA["functions"]
LAYERS: dict[str, str] = _DATA["layers"]
REDUCTIONS: dict[str, dict] = _DATA["reductions"]
_NOTES = sorted(_DATA["notes"].items(), key=lambda kv: -len(kv[0]))
_STATE = "einops"
# names the written function needs besides the axis names
_TAKEN = frozenset({"mint", "math", "ellipsis"})


def _text(key: str) -> str:
    return " ".join(_DATA[key].split())


def note_for(qn: str) -> str:
    return " ".join(next(v for k, v in _NOTES if qn == k or qn.startswith(k + ".")).split())


class Unsupported(Exception):
    """The call cannot be written out; the message is the marker's."""


# ------------------------------------------------------------------ symbolic lengths
class Sym:
    """A length known at run time, as the source text that computes it. einops' recipe code runs
    on these as on ints (it multiplies and floor-divides lengths), which writes the expressions."""

    __slots__ = ("text", "atom", "names")

    def __init__(self, text: str, atom: bool = True, names: frozenset = frozenset()):
        self.text, self.atom, self.names = text, atom, names or frozenset({text})

    def _op(self, op: str, left, right) -> "Sym | int":
        if op == "*" and left == 1:
            return right
        if right == 1:
            return left
        r_text = str(right) if isinstance(right, int) else (
            right.text if right.atom else f"({right.text})")
        l_text = str(left) if isinstance(left, int) else left.text
        names = (getattr(left, "names", frozenset()) | getattr(right, "names", frozenset()))
        return Sym(f"{l_text} {op} {r_text}", atom=False, names=names)

    def __mul__(self, other):
        return self._op("*", self, other)

    def __rmul__(self, other):
        return self._op("*", other, self)

    def __floordiv__(self, other):
        return self._op("//", self, other)


def _render(length) -> str:
    return str(length) if isinstance(length, int) else length.text


def _names_in(lengths) -> frozenset:
    """The variables the lengths are computed from."""
    return frozenset().union(*(v.names for v in lengths if not isinstance(v, int)))


def _shape(lengths, ellipsis_at: int | None = None) -> str:
    parts = [_render(v) for v in lengths]
    if ellipsis_at is not None:
        parts[ellipsis_at] = "*ellipsis"
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


# ------------------------------------------------------------------ the plan of one pattern
def _einops():
    """einops' parser and recipe functions; ImportError when einops is not installed."""
    einops = importlib.import_module("einops")
    recipe = importlib.import_module("einops.einops")
    parsing = importlib.import_module("einops.parsing")
    return einops, recipe, parsing


def _unique(name: str, used: set[str]) -> str:
    while name in used or keyword.iskeyword(name):
        name += "_"
    used.add(name)
    return name


def write_function(op: str, pattern: str, reduction: str | None, axes: tuple[str, ...],
                   fname: str, mint: str, prod: str) -> str:
    """The source of a function `fname(tensor, <axes>)` doing `op` with `pattern` in mint.

    `mint` and `prod` are how the file writes `mindspore.mint` and `math.prod`. Raises
    Unsupported (einops rejects the pattern, an axis name cannot be a variable) and ImportError
    (einops is not installed)."""
    einops, recipes, parsing = _einops()
    if pattern.count("->") != 1:
        raise Unsupported(f"{_text('rejected')}: the pattern needs one '->'")
    left_text, right_text = pattern.split("->")
    try:
        left = parsing.ParsedExpression(left_text)
        right = parsing.ParsedExpression(right_text)
        operation = reduction if op == "reduce" else op
        recipe = recipes._prepare_transformation_recipe(pattern, operation, axes, len(left.composition))
    except einops.EinopsError as exc:
        raise Unsupported(f"{_text('rejected')}: {' '.join(str(exc).split())}") from None
    identifiers = {str(a) for a in left.identifiers | right.identifiers if isinstance(a, str)}
    if any(keyword.iskeyword(a) or a in _TAKEN or a == mint.split(".")[0] for a in identifiers):
        raise Unsupported(_text("names"))
    used = set(identifiers) | set(_TAKEN)
    tensor = next(n for n in ("x", "tensor", "t", "x_") if n not in identifiers)
    used.add(tensor)

    # the input's dimensions: one variable each (an ellipsis: the tuple of its lengths)
    ndim, ell = len(left.composition), parsing._ellipsis
    variables, lengths, picks = [], [], []
    after = None
    for i, group in enumerate(left.composition):
        index = str(i) if after is None else str(i - ndim)
        if group == ell:
            after = ndim - 1 - i
            variables.append("ellipsis")
            lengths.append(Sym(f"{prod}(ellipsis)", names=frozenset({"ellipsis"})))
            picks.append(f"{tensor}.shape[{i}:{-after if after else ''}]")
            continue
        if not group:  # `()` or `1`: a length-1 axis
            variables.append(None)
            lengths.append(1)
        else:
            name = group[0] if len(group) == 1 and isinstance(group[0], str) else _unique(
                "_".join(str(a) if isinstance(a, str) else str(a.value) for a in group), used)
            variables.append(name)
            lengths.append(Sym(name))
        picks.append(f"{tensor}.shape[{index}]")
    params = {a: Sym(a) for a in axes}
    (init, order, reduced, added, final, _) = recipes._reconstruct_from_shape_uncached(
        recipe, lengths, list(params.items()))

    # the steps, with the shape the tensor has after each
    steps: list[tuple[str, str, frozenset]] = []  # (kind, expression with {} for the tensor, names)
    if init is None and left.has_ellipsis:
        init = list(lengths)  # each input dimension is one axis: fold the ellipsis
    current = list(init) if init is not None else list(lengths)
    if init is not None:
        steps.append(("reshape", f"{mint}.reshape({{}}, {_shape(init)})", _names_in(init)))
    kept = len(order) - len(reduced) if order is not None else None
    if order is not None and reduced and order[:kept] == sorted(order[:kept]):
        # einops moves the reduced axes last, then reduces: the kept axes stay in order, so
        # reduce them where they are
        current = [current[k] for k in order]
        reduced = sorted(order[kept:])
        order = None
    elif order is not None:
        steps.append(("permute", f"{mint}.permute({{}}, {tuple(order)})", frozenset()))
        current = [current[k] for k in order]
    if reduced:
        spec = REDUCTIONS[reduction]
        if spec["dims"] == "tuple":
            dims = str(reduced[0]) if len(reduced) == 1 else str(tuple(reduced))
            steps.append(("reduce", f"{mint}.{spec['to'].rsplit('.', 1)[-1]}({{}}, dim={dims})", frozenset()))
        else:
            for axis in sorted(reduced, reverse=True):
                steps.append(("reduce", f"{mint}.{spec['to'].rsplit('.', 1)[-1]}({{}}, dim={axis})", frozenset()))
        current = current[:len(current) - len(reduced)]
    if added:
        for position in sorted(added):
            steps.append(("unsqueeze", f"{mint}.unsqueeze({{}}, {position})", frozenset()))
            current.insert(position, added[position])
        target = [added[p] if p in added else -1 for p in range(len(current))]
        steps.append(("broadcast", f"{mint}.broadcast_to({{}}, {_shape(target)})", _names_in(target)))
    groups = [] if final is None else list(final)
    right_ellipsis = next((k for k, g in enumerate(right.composition) if g == ell), None)
    if right_ellipsis is not None and final is None:
        groups = list(current)  # each output group is one axis: unfold the ellipsis
    if groups:
        names = _names_in(groups) | ({"ellipsis"} if right_ellipsis is not None else set())
        steps.append(("reshape", f"{mint}.reshape({{}}, {_shape(groups, right_ellipsis)})", frozenset(names)))
    # a reshape followed by a reshape: only the second matters
    steps = [s for k, s in enumerate(steps)
             if not (s[0] == "reshape" and k + 1 < len(steps) and steps[k + 1][0] == "reshape")]

    needed = set().union(*(n for _, _, n in steps)) & {v for v in variables if v is not None}
    head = f"einops.{op}({tensor}, \"{' '.join(pattern.split())}\""
    head += f", \"{reduction}\"" if reduction else ""
    head += "".join(f", {a}={a}" for a in axes) + ")"
    out = [f"def {fname}({', '.join([tensor, *axes])}):",
           f'    """{head}, written with mint."""']
    if needed:
        if left.has_ellipsis:
            names = [v for v in variables if v in needed]
            values = [p for v, p in zip(variables, picks) if v in needed]
            out.append(f"    {', '.join(names)} = {', '.join(values)}")
        else:
            out.append(f"    {', '.join(v or '_' for v in variables)}"
                       f"{',' if len(variables) == 1 else ''} = {tensor}.shape")
    if not steps:
        out.append(f"    return {tensor}")
    for k, (_, expr, _) in enumerate(steps):
        call_text = expr.format(tensor)
        out.append(f"    return {call_text}" if k == len(steps) - 1 else f"    {tensor} = {call_text}")
    return "\n".join(out) + "\n"


def write_layer(op: str, pattern: str, reduction: str | None, cname: str, fname: str, cell: str) -> str:
    """The source of an nn.Cell class `cname` that applies `fname` (the layer's lengths kept as
    einops' layer keeps them, in `axes_lengths`)."""
    shown = f"\"{' '.join(pattern.split())}\"" + (f", \"{reduction}\"" if reduction else "")
    return (f"class {cname}({cell}):\n"
            f'    """einops.layers.torch.{op.capitalize()}({shown}), written with mint."""\n\n'
            f"    def __init__(self, **axes_lengths):\n"
            f"        super().__init__()\n"
            f"        self.axes_lengths = axes_lengths\n\n"
            f"    def construct(self, x):\n"
            f"        return {fname}(x, **self.axes_lengths)\n")


# ------------------------------------------------------------------ call sites
def _literal(expr: cst.BaseExpression) -> str | None:
    if isinstance(expr, (cst.SimpleString, cst.ConcatenatedString)):
        value = expr.evaluated_value
        return value if isinstance(value, str) else None
    return None


def _split_args(op: str, args, layer: bool):
    """(tensor arg, pattern expr, reduction expr, keyword axis args) of a call; Unsupported
    when the arguments are not of that form."""
    names = (["pattern"] if layer else ["tensor", "pattern"]) + (["reduction"] if op == "reduce" else [])
    found: dict[str, cst.Arg] = {}
    axes: list[cst.Arg] = []
    positional = 0
    for arg in args:
        if arg.star:
            raise Unsupported(_text("arguments"))
        if arg.keyword is None:
            if positional >= len(names):
                raise Unsupported(_text("arguments"))
            found[names[positional]] = arg
            positional += 1
        elif arg.keyword.value in names and arg.keyword.value not in found:
            found[arg.keyword.value] = arg
        else:
            axes.append(arg)
    if set(found) != set(names):
        raise Unsupported(_text("arguments"))
    reduction = None
    if op == "reduce":
        reduction = _literal(found["reduction"].value)
        if reduction not in REDUCTIONS:
            raise Unsupported(_text("reduction_not_literal"))
    pattern = _literal(found["pattern"].value)
    if pattern is None:
        raise Unsupported(_text("not_literal"))
    return found.get("tensor"), pattern, reduction, axes


def _function_for(ctx, op: str, pattern: str, reduction: str | None, axes: tuple[str, ...]) -> str:
    """The name of the written function for this pattern (written once per file)."""
    state = ctx.state.setdefault(_STATE, {"functions": {}, "layers": {}})
    key = (op, " ".join(pattern.split()), reduction, tuple(sorted(axes)))
    if key not in state["functions"]:
        mint = ctx.namer.text("mindspore.mint")
        prod = ctx.namer.text("math.prod") if "..." in pattern else "math.prod"
        fname = _free_name(ctx, f"einops_{op}_{{}}", state)
        text = write_function(op, pattern, reduction, tuple(sorted(axes)), fname, mint, prod)
        state["functions"][key] = (fname, text)
    return state["functions"][key][0]


def _free_name(ctx, template: str, state: dict) -> str:
    taken = {n for n, _ in state["functions"].values()} | {n for n, _ in state["layers"].values()}
    k = 1
    while template.format(k) in taken or template.format(k) in ctx.namer.bindings:
        k += 1
    return template.format(k)


def _unconverted(ctx, original, updated, message: str):
    ctx.flag(original, FAMILY, message)
    return ctx.leave_torch(original, updated)


@call(*FUNCTIONS, *LAYERS)
def einops_call(ctx, original: cst.Call, updated: cst.Call, qn: str):
    layer = qn in LAYERS
    op = LAYERS[qn] if layer else FUNCTIONS[qn]
    try:
        tensor, pattern, reduction, axes = _split_args(op, updated.args, layer)
        if tensor is not None and isinstance(tensor.value, (cst.List, cst.Tuple)):
            raise Unsupported(_text("list_input"))
        try:
            fname = _function_for(ctx, op, pattern, reduction, tuple(a.keyword.value for a in axes))
        except ImportError:
            raise Unsupported(_text("not_installed")) from None
        except (AttributeError, TypeError) as exc:  # another einops than the one read here
            raise Unsupported(f"{_text('version')} ({type(exc).__name__}: {exc})") from None
    except Unsupported as exc:
        return _unconverted(ctx, original, updated, f"{qn}: {exc}")
    state = ctx.state[_STATE]
    if layer:
        key = (qn, fname)
        if key not in state["layers"]:
            cname = _free_name(ctx, f"Einops{op.capitalize()}{{}}", state)
            state["layers"][key] = (cname, write_layer(op, pattern, reduction, cname, fname,
                                                       ctx.namer.text("mindspore.nn.Cell")))
        name = state["layers"][key][0]
        args = list(axes)
    else:
        name = fname
        args = [tensor.with_changes(keyword=None, equal=cst.MaybeSentinel.DEFAULT), *axes]
    if args:
        args[-1] = args[-1].with_changes(comma=updated.args[-1].comma)
    new = updated.with_changes(func=cst.Name(name), args=args)
    return ctx.edit(original, FAMILY, new, before=ctx.code(original.func),
                    after=f"{name} (mint, written into the file)")


@call("einops", prefix=True)
def other_call(ctx, original: cst.Call, updated: cst.Call, qn: str):
    return _unconverted(ctx, original, updated, f"{qn}: {note_for(qn)}")


@reference("einops", prefix=True)
def other_reference(ctx, original, updated, qn: str):
    return _unconverted(ctx, original, updated, f"{qn}: {note_for(qn)}")


@node(cst.Module)
def insert_functions(ctx, original: cst.Module, updated: cst.Module):
    """The written functions and layers, after the module's imports."""
    state = ctx.state.get(_STATE)
    if not state or not (state["functions"] or state["layers"]):
        return None
    texts = [t for _, t in state["functions"].values()] + [t for _, t in state["layers"].values()]
    blank = [cst.EmptyLine(), cst.EmptyLine()]
    new = [cst.parse_statement(t).with_changes(leading_lines=blank) for t in texts]
    body = list(updated.body)
    k = import_block_end(body)
    rest = body[k:]
    if rest and not rest[0].leading_lines:
        rest[0] = rest[0].with_changes(leading_lines=blank)
    return updated.with_changes(body=[*body[:k], *new, *rest])
