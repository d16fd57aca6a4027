"""Names a star import brings: `from .parts import *` of a project module that imports torch.

A file whose torch names arrive through `from .parts import *` (`nn` bound in parts.py by
`import torch.nn as nn`) is converted as if it imported them itself: the engine's name
resolution records, at the star import, the public imports of the module it reaches (those in
`__all__` when the module defines it as a literal list), following that module's own star
imports. Only the project's own files are read, from the input folder; nothing is imported.

    star = star_imports(code, source_path, rel)   # {(level, module): ["import torch.nn as nn", ...]}
    convert_source(code, rel, star=star)
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

MAX_DEPTH = 4


def _module_file(root: Path, here: list, level: int, module: str) -> Path | None:
    """The project file `from <level dots><module> import *` in package `here` reaches."""
    parts = [p for p in module.split(".") if p]
    if level:
        if level - 1 > len(here):
            return None
        bases = [here[: len(here) - (level - 1)]]
    else:
        bases = [here, []] if here else [[]]
    for base in bases:
        stem = root.joinpath(*base, *parts)
        for cand in (stem.with_name(stem.name + ".py") if parts else None, stem / "__init__.py"):
            if cand is not None and cand.is_file():
                return cand
    return None


def _literal_all(tree: ast.Module) -> set | None:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                return None
            return {v for v in value if isinstance(v, str)} if isinstance(value, (list, tuple)) else None
    return None


def _bindings(path: Path, root: Path, depth: int, seen: set) -> list:
    """Source lines of the imports `from <path's module> import *` binds in the importer."""
    if depth > MAX_DEPTH or path in seen:
        return []
    seen.add(path)
    try:
        tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
    except (OSError, SyntaxError, ValueError):
        return []
    public = _literal_all(tree)
    here = list(path.relative_to(root).parts[:-1])
    out = []

    def exported(name: str) -> bool:
        return name in public if public is not None else not name.startswith("_")

    for node in tree.body:
        if isinstance(node, ast.Import):
            for a in node.names:
                bound = a.asname or a.name.split(".")[0]
                if exported(bound):
                    out.append(f"import {a.name}" + (f" as {a.asname}" if a.asname else ""))
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for a in node.names:
                if a.name == "*":
                    continue
                if exported(a.asname or a.name):
                    out.append(f"from {node.module} import {a.name}" + (f" as {a.asname}" if a.asname else ""))
        if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
            target = _module_file(root, here, node.level or 0, node.module or "")
            if target is not None:
                out += [line for line in _bindings(target, root, depth + 1, seen)
                        if public is None or line.rpartition(" ")[2] in public]
    return out


def star_imports(code: str, source: str | Path, rel: str) -> dict:
    """{(level, module): import lines} for each star import of `code` (the file `source`, at
    `rel` in its project) that reaches a project module binding torch-ecosystem names."""
    if "import *" not in code:
        return {}
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return {}
    source = Path(os.path.abspath(source))
    depth = len(Path(rel).parts)
    root = source.parents[depth - 1] if depth else source.parent
    here = list(Path(rel).parts[:-1])
    from .naming import is_torch_name

    found = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names)):
            continue
        target = _module_file(root, here, node.level or 0, node.module or "")
        if target is None:
            continue
        lines = [line for line in _bindings(target, root, 0, set())
                 if is_torch_name(line.split()[1])]
        if lines:
            found[(node.level or 0, node.module or "")] = list(dict.fromkeys(lines))
    return found
