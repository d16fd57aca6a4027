"""Calls of the project's own functions and classes bind to their signatures.

An edit that changes a function of the project (a `device` parameter dropped or made required)
must change its callers too: each call of a function or class defined in the file, or imported
from a project module (`from .utils import f`, `from utils import f`, a package's re-export), is
bound to the definition's parameters as Python would bind it: too many positional arguments, a keyword it
does not declare, a required parameter not given are findings. The modules are read, never run.
Calls through `*args`/`**kwargs`, and definitions taking them, are bound only as far as they can.
"""

from __future__ import annotations

import ast
from pathlib import Path

from torch2ms.check.findings import Finding
from torch2ms.check.names import nodes


class _Signature:
    def __init__(self, args: ast.arguments, skip_first: bool, where: str):
        positional = [a.arg for a in [*args.posonlyargs, *args.args]]
        defaults = len(args.defaults)
        required_pos = positional[:len(positional) - defaults] if defaults else positional
        if skip_first and positional:
            positional, required_pos = positional[1:], required_pos[1:]
        self.positional = positional
        self.positional_only = {a.arg for a in args.posonlyargs}
        self.keyword_only = [a.arg for a in args.kwonlyargs]
        self.required = required_pos + [a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults)
                                        if d is None]
        self.var_pos = args.vararg is not None
        self.var_kw = args.kwarg is not None
        self.where = where

    @property
    def keywords(self) -> set[str]:
        return (set(self.positional) - self.positional_only) | set(self.keyword_only)

    def shown(self) -> str:
        parts = list(self.positional) + (["*args"] if self.var_pos else []) + self.keyword_only
        return ", ".join(parts + (["**kwargs"] if self.var_kw else []))


def _definitions(tree: ast.Module, where: str) -> dict[str, _Signature]:
    """Top-level functions, and classes by their __init__ (a class without one is not judged)."""
    out: dict[str, _Signature] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if not any(_decorated_away(d) for d in node.decorator_list):
                out[node.name] = _Signature(node.args, False, where)
        elif isinstance(node, ast.ClassDef):
            init = next((b for b in node.body if isinstance(b, ast.FunctionDef) and b.name == "__init__"), None)
            if init is not None and not node.decorator_list and not node.keywords:
                out[node.name] = _Signature(init.args, True, where)
    return out


def _decorated_away(decorator: ast.AST) -> bool:
    """A decorator may change the signature (functools.wraps, click): only a few are known not to."""
    name = decorator.attr if isinstance(decorator, ast.Attribute) else getattr(decorator, "id", None)
    if isinstance(decorator, ast.Call):
        return True
    return name not in ("staticmethod", "jit", "lru_cache", "cache")


def project_signatures(tree: ast.Module, folder: Path | None, project=None) -> dict[str, _Signature]:
    """The file's own definitions, and those it imports by name from the project's modules (found
    by the check's one reader of project modules, `project_types.ProjectTypes`)."""
    found = _definitions(tree, "this file")
    if folder is None:
        return found
    if project is None:
        from torch2ms.check.project_types import ProjectTypes

        project = ProjectTypes(tree, folder)
    for node in tree.body:
        if not isinstance(node, ast.ImportFrom):
            continue
        for alias in node.names:
            local = alias.asname or alias.name
            definition = project.definition(local)
            if definition is None:
                continue
            defn, path = definition
            theirs = _definitions(ast.Module(body=[defn], type_ignores=[]), path.name)
            if defn.name in theirs:
                found[local] = theirs[defn.name]
    return found


def _rebound(tree: ast.Module) -> set[str]:
    """Names assigned again at module level (the definition may not be what is called)."""
    out = set()
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            out.update(t.id for t in targets if isinstance(t, ast.Name))
    return out


def call_findings(tree: ast.Module, folder: Path | None = None, project=None) -> list[Finding]:
    sigs = project_signatures(tree, folder, project)
    for name in _rebound(tree):
        sigs.pop(name, None)
    out = []
    for node in nodes(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in sigs:
            out += _bind(node, node.func.id, sigs[node.func.id])
    return out


def _bind(call: ast.Call, name: str, sig: _Signature) -> list[Finding]:
    starred = any(isinstance(a, ast.Starred) for a in call.args)
    splat = any(kw.arg is None for kw in call.keywords)
    where = f"{name}({sig.shown()}) in {sig.where}"
    out = []
    n_pos = len(call.args)
    if not starred and not sig.var_pos and n_pos > len(sig.positional):
        out.append(Finding(call.lineno, "api-signature",
                           f"{name}() takes at most {len(sig.positional)} positional arguments, "
                           f"{n_pos} given ({where}): was its signature changed?"))
    filled = set(sig.positional[:n_pos]) if not starred else set()
    given = set()
    for kw in call.keywords:
        if kw.arg is None:
            continue
        given.add(kw.arg)
        if kw.arg not in sig.keywords and not sig.var_kw:
            out.append(Finding(kw.value.lineno, "api-signature",
                               f"{name}() has no parameter {kw.arg!r} ({where}): was its signature changed?"))
        elif kw.arg in filled:
            out.append(Finding(kw.value.lineno, "api-signature",
                               f"{name}() gets {kw.arg!r} both by position and by keyword ({where})"))
    if not starred and not splat:
        lacking = [p for p in sig.required if p not in filled and p not in given]
        if lacking:
            out.append(Finding(call.lineno, "api-signature",
                               f"{name}() is missing required argument(s) {', '.join(lacking)} "
                               f"({where}): was its signature changed?"))
    return out


def declared_keywords(tree: ast.Module, folder: Path | None = None, project=None):
    """`params(call) -> set | None`: the keyword parameters of the project function a call
    names (a `device=` the project's own function declares is no torch idiom)."""
    sigs = project_signatures(tree, folder, project)

    def params(call: ast.Call) -> set[str] | None:
        if isinstance(call.func, ast.Name) and call.func.id in sigs:
            return sigs[call.func.id].keywords
        return None

    return params
