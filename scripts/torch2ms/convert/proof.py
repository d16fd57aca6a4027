"""Checks of a conversion that do not trust the engine: used by the tree test and the benchmark.

For one source file: the output parses (checked with the `ast` module, not libcst), converting
it again changes nothing, every comment of the input is still in the output, and every
reference to a torch import left in the output sits on a statement carrying a TODO marker (or
in a class carrying one: a class kept on its library as a whole, such as a LightningModule).
"""

from __future__ import annotations

import ast
import io
import time
import tokenize
from collections import Counter
from dataclasses import asdict, dataclass, field

MARKER = "# TODO(torch2ms):"
# the words every marker of a class kept whole on its library ends with (rules.keep_class)
KEPT_CLASS = "the torch code in this class is left as it is"


@dataclass
class Proof:
    path: str
    lines: int = 0
    parse_seconds: float = 0.0
    convert_seconds: float = 0.0
    found: int = 0
    converted: int = 0
    flagged: int = 0
    error: str | None = None
    parses: bool = True
    idempotent: bool = True
    lost_comments: list[str] = field(default_factory=list)
    lost_statements: dict[str, int] = field(default_factory=dict)  # statement kind -> missing
    unmarked: list[int] = field(default_factory=list)  # lines of torch references without a TODO

    @property
    def ok(self) -> bool:
        return (self.parses and self.idempotent and not self.lost_comments
                and not self.lost_statements and not self.unmarked)

    def to_dict(self) -> dict:
        return asdict(self)


def comments(code: str) -> Counter:
    found: Counter = Counter()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code).readline):
            if tok.type == tokenize.COMMENT and not tok.string.startswith(MARKER):
                found[tok.string.strip()] += 1
    except (tokenize.TokenError, SyntaxError):
        pass
    return found


# statements a conversion may remove or add: imports, `pass` and the `with` of a dropped context
_EDITABLE = (ast.Import, ast.ImportFrom, ast.Pass, ast.With)


# methods whose call on a model, as a statement, the rules may drop (device moves)
_DEVICE_MOVES = ("to", "cuda", "cpu")


def _rewritten_by_rules(node: ast.stmt) -> bool:
    """Statements the rules replace on purpose: `self.register_buffer(..., persistent=False)`
    (an assignment after), `x, y = x.to(d), y.to(d)` (removed: it assigns each name to itself),
    `model.to(d)` / `model.cuda()` as a statement (removed: it only names its receiver)."""
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        call = node.value
        if (isinstance(call.func, ast.Attribute) and call.func.attr in _DEVICE_MOVES
                and isinstance(call.func.value, (ast.Name, ast.Attribute))):
            return True
        return (isinstance(call.func, ast.Attribute) and call.func.attr == "register_buffer"
                and any(k.arg == "persistent" and isinstance(k.value, ast.Constant)
                        and k.value.value is False for k in call.keywords))
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
        targets = target.elts if isinstance(target, ast.Tuple) else [target]
        values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
        return len(targets) == len(values) and all(
            isinstance(v, ast.Call) and isinstance(v.func, ast.Attribute) and v.func.attr == "to"
            and ast.dump(v.func.value) == ast.dump(t, include_attributes=False).replace(
                "ctx=Store()", "ctx=Load()")
            for t, v in zip(targets, values))
    return False


def statement_kinds(tree: ast.AST, source: bool = False) -> Counter:
    return Counter(type(n).__name__ for n in ast.walk(tree)
                   if isinstance(n, ast.stmt) and not isinstance(n, _EDITABLE)
                   and not (source and _rewritten_by_rules(n)))


def _torch_names(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == "torch":
                    names.add(a.asname or a.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module \
                and node.module.split(".")[0] == "torch":
            names.update(a.asname or a.name for a in node.names)
    return names


def unmarked_torch_references(code: str) -> list[int]:
    """Lines of torch references (and torch imports) whose statement carries no TODO marker."""
    tree = ast.parse(code)
    names = _torch_names(tree)
    if not names:
        return []
    lines = code.splitlines()

    def marked(stmt: ast.stmt, saying: str = "") -> bool:
        """Whether the statement carries a marker (one with `saying` in it, when given)."""
        first = min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", [])])
        i = first - 2  # comment lines directly above
        while i >= 0 and lines[i].lstrip().startswith("#"):
            if lines[i].lstrip().startswith(MARKER) and saying in lines[i]:
                return True
            i -= 1
        body = getattr(stmt, "body", None)
        last = (body[0].lineno - 1) if isinstance(body, list) and body and \
            isinstance(body[0], ast.stmt) else stmt.end_lineno
        return any(MARKER in lines[j - 1] and saying in lines[j - 1].split(MARKER, 1)[1]
                   for j in range(stmt.lineno, max(last, stmt.lineno) + 1))

    bad = []

    def local_names(fn) -> set[str]:
        """Names a function binds itself (parameters, assignments): they shadow the imports."""
        args = fn.args
        bound = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs,
                                 *[x for x in (args.vararg, args.kwarg) if x]]}
        for n in ast.walk(fn):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                bound.add(n.id)
        return bound

    def visit(node: ast.AST, stmt: ast.stmt | None, shadowed: frozenset = frozenset()) -> None:
        if isinstance(node, ast.ClassDef) and marked(node, KEPT_CLASS):
            return  # a class kept whole on its library: its marker covers what is inside
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            shadowed = shadowed | frozenset(local_names(node) & names)
        if isinstance(node, ast.stmt):
            stmt = node
            if isinstance(node, (ast.Import, ast.ImportFrom)) and node.lineno and \
                    any((a.asname or a.name.split(".")[0]) in names for a in node.names) and \
                    (isinstance(node, ast.Import) or (node.module or "").split(".")[0] == "torch"):
                if not marked(node):
                    bad.append(node.lineno)
        if isinstance(node, ast.Name) and node.id in names and node.id not in shadowed \
                and stmt is not None and not marked(stmt):
            bad.append(node.lineno)
        for child in ast.iter_child_nodes(node):
            visit(child, stmt, shadowed)

    visit(tree, None)
    return sorted(set(bad))


def prove(path: str, code: str | None = None) -> Proof:
    """Convert one file and check the result; times parse-only and conversion on the same text."""
    import libcst as cst

    from .engine import convert_source

    if code is None:
        with open(path, encoding="utf-8") as fh:
            code = fh.read()
    proof = Proof(path=path, lines=code.count("\n"))
    start = time.perf_counter()
    try:
        cst.parse_module(code)
    except cst.ParserSyntaxError as exc:
        proof.error = f"input does not parse: {exc}"
        return proof
    proof.parse_seconds = time.perf_counter() - start
    start = time.perf_counter()
    result = convert_source(code, path)
    proof.convert_seconds = time.perf_counter() - start
    proof.found, proof.converted, proof.flagged = result.found, result.converted, result.flagged
    try:
        out_tree = ast.parse(result.code)
    except SyntaxError as exc:
        proof.parses = False
        proof.error = f"output does not parse: {exc}"
        return proof
    proof.idempotent = convert_source(result.code, path).code == result.code
    missing = comments(code) - comments(result.code)
    proof.lost_comments = sorted(missing)
    proof.unmarked = unmarked_torch_references(result.code)
    missing = statement_kinds(ast.parse(code), source=True) - statement_kinds(out_tree)
    proof.lost_statements = dict(missing)
    return proof
