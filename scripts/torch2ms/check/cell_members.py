"""`self.method(...)` calls inside a Cell must name something a Cell has.

Inside a class whose bases are `nn.Cell` or Cells of the same file, a call `self.x(...)` is fine
when `x` is defined in the class (or a same-file base), assigned as `self.x = ...`, or a member of
`mindspore.nn.Cell`. Anything else is torch's Module API left over (`self.named_modules()`,
`self.children()`, ...). Classes with other bases (mindone models, mixins) are not judged: their
members are not all known statically.
"""

from __future__ import annotations

import ast

from torch2ms.check.findings import Finding
from torch2ms.check.names import dotted, nodes, qualify

CELL = "mindspore.nn.Cell"


def _own_names(cls: ast.ClassDef) -> set[str]:
    names = set()
    for node in cls.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    for node in nodes(cls):
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, (ast.AnnAssign, ast.AugAssign)) else []
        for t in targets:
            for sub in nodes(t):
                if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) and sub.value.id == "self":
                    names.add(sub.attr)
    return names


def _dynamic(cls: ast.ClassDef) -> bool:
    """setattr(self, ...) or a __getattr__: members we cannot list."""
    for node in nodes(cls):
        if isinstance(node, ast.FunctionDef) and node.name in ("__getattr__", "__getattribute__"):
            return True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "setattr":
            return True
    return False


def cell_member_findings(tree: ast.AST, bound: dict[str, str], index) -> list[Finding]:
    entry, missing = index.resolve(CELL)
    if missing or not entry or "members" not in entry:
        return []
    from torch2ms.check.torch_left import rules

    cell_members = set(entry["members"]) | set(rules()["cell_external_attributes"])
    classes = {c.name: c for c in nodes(tree) if isinstance(c, ast.ClassDef)}
    known: dict[str, set[str] | None] = {}  # class name -> its members, None when not judged

    def members(name: str, seen=()) -> set[str] | None:
        if name in known:
            return known[name]
        cls = classes[name]
        if name in seen or _dynamic(cls) or not cls.bases:
            known[name] = None
            return None
        out = set(_own_names(cls))
        for base in cls.bases:
            chain = dotted(base)
            q = qualify(chain, bound) if chain else None
            if q == CELL:
                out |= cell_members
            elif chain in classes:
                sub = members(chain, seen + (name,))
                if sub is None:
                    known[name] = None
                    return None
                out |= sub
            else:
                known[name] = None
                return None
        known[name] = out
        return out

    findings = []
    for name, cls in classes.items():
        have = members(name)
        if have is None or not _is_cell(name, classes, bound):
            continue
        for node in nodes(cls):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "self"
                    and node.func.attr not in have
                    and not (node.func.attr.startswith("__") and node.func.attr.endswith("__"))):
                findings.append(Finding(node.lineno, "api-missing",
                                        f"self.{node.func.attr}(): class {name} is a Cell and a Cell has "
                                        f"no {node.func.attr} in the installed mindspore"))
    return findings


def _is_cell(name: str, classes: dict, bound: dict, seen=()) -> bool:
    for base in classes[name].bases:
        chain = dotted(base)
        if chain and qualify(chain, bound) == CELL:
            return True
        if chain in classes and chain not in seen and _is_cell(chain, classes, bound, seen + (name,)):
            return True
    return False
