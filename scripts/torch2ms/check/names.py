"""What the names of a module are bound to: imports (at any depth) and dotted attribute chains."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import lru_cache


@lru_cache(maxsize=128)
def nodes(tree: ast.AST) -> tuple[ast.AST, ...]:
    """All nodes under `tree` in ast.walk order, walked once: every check reads this list."""
    return tuple(ast.walk(tree))


@dataclass(frozen=True)
class Binding:
    name: str        # the local name
    qualname: str    # what it stands for, e.g. "mindspore.mint.nn.functional"
    line: int
    from_import: bool


def import_bindings(tree: ast.AST) -> list[Binding]:
    """Every absolute import in the file, also those inside functions and classes."""
    out = []
    for node in nodes(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    out.append(Binding(alias.asname, alias.name, node.lineno, False))
                else:  # `import a.b.c` binds `a`
                    out.append(Binding(alias.name.split(".")[0], alias.name.split(".")[0], node.lineno, False))
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            for alias in node.names:
                if alias.name == "*":
                    continue
                out.append(Binding(alias.asname or alias.name, f"{node.module}.{alias.name}",
                                   node.lineno, True))
    return out


def imported_modules(tree: ast.AST) -> list[tuple[str, int]]:
    """(module, line) for every absolute import statement, e.g. ("torch.nn", 3)."""
    out = []
    for node in nodes(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            out.append((node.module, node.lineno))
    return out


def dynamic_imports(tree: ast.AST) -> list[tuple[str, int]]:
    """`importlib.import_module("x")` and `__import__("x")` with a literal module name (or an
    f-string with a literal start)."""
    out = []
    for node in nodes(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        first = node.args[0]
        if isinstance(first, ast.JoinedStr) and first.values and isinstance(first.values[0], ast.Constant):
            first = first.values[0]  # f"torch.{name}": its literal start names the package
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            continue
        func = dotted(node.func)
        if func in ("__import__", "importlib.import_module", "import_module"):
            out.append((first.value.rstrip("."), node.lineno))
    return out


def dotted(node: ast.AST) -> str | None:
    """"a.b.c" for a chain of attributes on a name, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def qualify(chain: str, bound: dict[str, str]) -> str | None:
    """The chain with its first name replaced by what it is bound to (None when unbound)."""
    head, _, rest = chain.partition(".")
    target = bound.get(head)
    if target is None:
        return None
    return f"{target}.{rest}" if rest else target


def chains(tree: ast.AST):
    """Yield (node, dotted chain) for each outermost name/attribute chain that is read.

    `a.b.c` yields once for the whole chain, not again for `a.b` or `a`.
    """
    inner: set[int] = set()
    for node in nodes(tree):
        if id(node) in inner:
            continue
        if isinstance(node, ast.Attribute):
            chain = dotted(node)
            if chain is None:
                continue
            sub = node.value
            while isinstance(sub, ast.Attribute):
                inner.add(id(sub))
                sub = sub.value
            inner.add(id(sub))
            yield node, chain
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            yield node, node.id
