"""Names a file reads but never defines: what is left after a definition or an import is removed.

Python's own `symtable` decides, per scope, which names resolve to the module (it knows class
scopes, comprehensions, `global`/`nonlocal`, parameters, `del`); the syntax tree gives the lines.
A name counts as defined at module level when anything binds it there (assignment, import, def,
class, `for`, `with`, `except ... as`, also inside `if`/`try`), or when a function declares it
`global` and assigns it. A star-import of a project module beside the file (`from model import *`,
`from .model import *`) gives the names that module defines (its `__all__` when it is a literal);
a file with any other star-import is skipped: its names cannot be known statically.
Annotations that are never evaluated (all of them under `from __future__ import annotations`,
those of local variables always, string annotations always) are not read.
"""

from __future__ import annotations

import ast
import builtins
import symtable

from torch2ms.check.findings import Finding
from torch2ms.check.names import nodes

# module attributes the interpreter sets before the first line runs
MODULE_NAMES = frozenset({"__name__", "__file__", "__doc__", "__spec__", "__loader__", "__package__",
                          "__builtins__", "__path__", "__cached__", "__annotations__", "__dict__",
                          "__debug__"})
CLASS_NAMES = frozenset({"__module__", "__qualname__"})
BUILTINS = frozenset(dir(builtins))

_SCOPE_NAMES = {ast.Lambda: "lambda", ast.ListComp: "listcomp", ast.SetComp: "setcomp",
                ast.DictComp: "dictcomp", ast.GeneratorExp: "genexpr"}


def undefined_names(source: str, tree: ast.Module, filename: str = "<file>", folder=None) -> list[Finding]:
    starred = star_names(tree, folder)
    if starred is None:
        return []
    try:
        top = symtable.symtable(source, filename, "exec")
    except SyntaxError:  # e.g. a `nonlocal` without a binding: the import check reports it
        return []
    future_annotations = any(isinstance(n, ast.ImportFrom) and n.module == "__future__"
                             and any(a.name == "annotations" for a in n.names) for n in tree.body)
    defined = _module_defined(top) | MODULE_NAMES | BUILTINS | starred
    walker = _Walker(defined, future_annotations)
    walker.visit_scope(tree.body, top)
    return [Finding(line, "undefined-name",
                    f"`{name}` is not defined: a NameError when this line runs "
                    "(was its definition or import removed?)")
            for line, name in sorted(walker.found)]


def star_names(tree: ast.Module, folder, depth: int = 0) -> set[str] | None:
    """The names the file's star-imports bring in: each must be a module beside it (`folder`), read
    without running it. None when one cannot be followed (a library's, or a package's)."""
    from pathlib import Path

    out: set[str] = set()
    for node in nodes(tree):
        if not (isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names)):
            continue
        if folder is None or depth > 3 or not node.module or node.level > 1 or "." in node.module:
            return None
        path = Path(folder) / f"{node.module}.py"
        try:
            other = ast.parse(path.read_text(encoding="utf-8"))
        except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
            return None
        names, listed = _exported(other)
        if names is None:
            return None
        out |= names
        if not listed:
            more = star_names(other, folder, depth + 1)  # its own star-imports pass on too
            if more is None:
                return None
            out |= {n for n in more if not n.startswith("_")}
    return out


def _exported(tree: ast.Module) -> tuple[set[str] | None, bool]:
    """What `from module import *` binds (None when it cannot be known), and whether a literal
    `__all__` says so; without one, the module's public top-level names."""
    for n in tree.body:
        if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in n.targets):
            try:
                return {str(x) for x in ast.literal_eval(n.value)}, True
            except ValueError:
                return None, True
    top = symtable.symtable(ast.unparse(tree), "<star>", "exec")
    return {s.get_name() for s in top.get_symbols()
            if (s.is_assigned() or s.is_imported() or s.is_namespace()) and not s.get_name().startswith("_")}, False


def _module_defined(top: symtable.SymbolTable) -> set[str]:
    out = {s.get_name() for s in top.get_symbols() if s.is_assigned() or s.is_imported() or s.is_namespace()}
    stack = list(top.get_children())
    while stack:
        table = stack.pop()
        out |= {s.get_name() for s in table.get_symbols() if s.is_declared_global() and s.is_assigned()}
        stack += table.get_children()
    return out


class _Walker:
    def __init__(self, defined: set[str], future_annotations: bool):
        self.defined = defined
        self.future_annotations = future_annotations
        self.found: set[tuple[int, str]] = set()
        self._undefined: dict[int, set[str]] = {}
        self._children: dict[int, dict[tuple[str, int], list]] = {}

    # ---- per-table facts
    def undefined(self, table) -> set[str]:
        key = id(table)
        if key not in self._undefined:
            if table.get_type() == "module":
                names = {s.get_name() for s in table.get_symbols() if s.is_referenced()}
            else:
                names = {s.get_name() for s in table.get_symbols() if s.is_referenced() and s.is_global()}
                if table.get_type() == "class":
                    names -= CLASS_NAMES
            self._undefined[key] = names - self.defined
        return self._undefined[key]

    def child(self, table, name: str, line: int):
        """The symbol table of the scope `name` opened on `line` (None: inlined or unknown)."""
        if id(table) not in self._children:
            kids: dict[tuple[str, int], list] = {}
            for c in table.get_children():
                kids.setdefault((c.get_name(), c.get_lineno()), []).append(c)
            self._children[id(table)] = kids
        found = self._children[id(table)].get((name, line))
        return found.pop(0) if found else None

    # ---- the walk
    def visit_scope(self, body, table) -> None:
        for node in body:
            self.visit(node, table)

    def visit(self, node, table) -> None:
        if node is None:
            return
        if isinstance(node, list):
            for item in node:
                self.visit(item, table)
            return
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load) and node.id in self.undefined(table):
                self.found.add((node.lineno, node.id))
            return
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.visit(node.decorator_list, table)
            self.visit(node.args.defaults, table)
            self.visit([d for d in node.args.kw_defaults if d is not None], table)
            if not self.future_annotations:
                args = node.args.posonlyargs + node.args.args + node.args.kwonlyargs
                args += [a for a in (node.args.vararg, node.args.kwarg) if a is not None]
                self.visit([a.annotation for a in args if a.annotation is not None], table)
                self.visit(node.returns, table)
            inner = self.child(table, node.name, node.lineno) or table
            self.visit_scope(node.body, inner)
            return
        if isinstance(node, ast.ClassDef):
            self.visit(node.decorator_list, table)
            self.visit(node.bases, table)
            self.visit([k.value for k in node.keywords], table)
            inner = self.child(table, node.name, node.lineno) or table
            self.visit_scope(node.body, inner)
            return
        if isinstance(node, ast.Lambda):
            self.visit(node.args.defaults, table)
            self.visit([d for d in node.args.kw_defaults if d is not None], table)
            self.visit(node.body, self.child(table, "lambda", node.lineno) or table)
            return
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            # the first iterable is evaluated outside, everything else inside the comprehension
            self.visit(node.generators[0].iter, table)
            inner = self.child(table, _SCOPE_NAMES[type(node)], node.lineno) or table
            for i, gen in enumerate(node.generators):
                if i:
                    self.visit(gen.iter, inner)
                self.visit(gen.ifs, inner)
            for field in ("elt", "key", "value"):
                self.visit(getattr(node, field, None), inner)
            return
        if isinstance(node, ast.AnnAssign):
            # a local variable's annotation is never evaluated; module/class ones are (unless deferred)
            if not self.future_annotations and table.get_type() != "function":
                self.visit(node.annotation, table)
            self.visit(node.value, table)
            return
        for child in ast.iter_child_nodes(node):
            self.visit(child, table)
