"""Every mindspore/mindone name the file uses exists, and calls bind to their signatures.

Names are resolved statically through the file's imports and the cached ApiIndex; the checked
file is never imported.
"""

from __future__ import annotations

import ast

from torch2ms.check.api_index import (KEYWORD_ONLY, installed_versions, POSITIONAL_ONLY, POSITIONAL_OR_KEYWORD, ROOTS,
                                      VAR_KEYWORD, VAR_POSITIONAL, ApiIndex)
from torch2ms.check.cell_members import cell_member_findings
from torch2ms.check.findings import Finding
from torch2ms.check.names import Binding, chains, dotted, imported_modules, nodes, qualify

SHOWN_PARAMS = 8


def _ours(qualname: str | None) -> bool:
    return bool(qualname) and qualname.split(".")[0] in ROOTS


class ApiUsage:
    """Resolves the file's mindspore/mindone names; `params(call)` serves the torch idiom check."""

    def __init__(self, tree: ast.AST, bindings: list[Binding], index: ApiIndex):
        self.tree = tree
        self.index = index
        self.bound = {b.name: b.qualname for b in bindings if _ours(b.qualname)}
        self.bindings = [b for b in bindings if _ours(b.qualname)]

    def _entry(self, func: ast.AST):
        chain = dotted(func)
        q = qualify(chain, self.bound) if chain else None
        if not _ours(q):
            return None, None
        entry, missing = self.index.resolve(q)
        return (None, q) if missing else (entry, q)

    def params(self, call: ast.Call) -> set[str] | None:
        entry, _ = self._entry(call.func)
        sig = entry.get("sig") if entry else None
        return {p[0] for p in sig if p[1] in (POSITIONAL_OR_KEYWORD, KEYWORD_ONLY)} if sig else None

    def findings(self) -> list[Finding]:
        out: list[Finding] = []
        reported: set[str] = set()

        def missing_finding(line, shown, missing):
            if missing in reported:
                return
            reported.add(missing)
            root = missing.split(".")[0]
            version = installed_versions((root,)).get(root) or "?"
            out.append(Finding(line, "api-missing", f"{shown}: {missing} does not exist in the installed "
                                                    f"{root} {version}"))

        roots: dict[str, int] = {}
        for mod, line in imported_modules(self.tree):
            roots.setdefault(mod.split(".")[0], line)
        for root, line in sorted(roots.items()):
            if root in ROOTS and "error" in self.index.module(root):
                # never pass a file whose names could not be looked up
                out.append(Finding(line, "api-missing", f"cannot check the {root} names: {root} does not "
                                                        f"import here ({self.index.module(root)['error']})"))
        for mod, line in imported_modules(self.tree):  # `import mindspore.foo` binds only `mindspore`
            if _ours(mod):
                _, missing = self.index.resolve(mod)
                if missing:
                    missing_finding(line, f"import of {mod}", missing)
        for b in self.bindings:  # `from mindspore.mint import gelux`, `import mindone.foo as f`
            _, missing = self.index.resolve(b.qualname)
            if missing:
                missing_finding(b.line, f"import of {b.qualname}", missing)
        for node, chain in chains(self.tree):
            q = qualify(chain, self.bound)
            if not _ours(q) or "." not in chain:  # a bare imported name was checked at its import
                continue
            _, missing = self.index.resolve(q)
            if missing:
                missing_finding(node.lineno, chain, missing)
        for node in nodes(self.tree):
            if isinstance(node, ast.Call):
                out += self._bind(node)
        out += cell_member_findings(self.tree, self.bound, self.index)
        return out

    def _bind(self, call: ast.Call) -> list[Finding]:
        entry, q = self._entry(call.func)
        sig = entry.get("sig") if entry else None
        if not sig:
            return []
        if entry["k"] == "class" and any(p[1] == VAR_POSITIONAL for p in sig) and any(p[1] == VAR_KEYWORD for p in sig):
            return []
        name = dotted(call.func)
        out = []
        starred = any(isinstance(a, ast.Starred) for a in call.args)
        splat = any(kw.arg is None for kw in call.keywords)
        positional = [p for p in sig if p[1] in (POSITIONAL_ONLY, POSITIONAL_OR_KEYWORD)]
        var_pos = any(p[1] == VAR_POSITIONAL for p in sig)
        var_kw = any(p[1] == VAR_KEYWORD for p in sig)
        keywordable = {p[0] for p in sig if p[1] in (POSITIONAL_OR_KEYWORD, KEYWORD_ONLY)}
        shown = ", ".join(p[0] + ("=…" if p[2] else "") for p in sig[:SHOWN_PARAMS])
        shown += ", …" if len(sig) > SHOWN_PARAMS else ""
        n_pos = len(call.args)
        if not starred and not var_pos and n_pos > len(positional):
            out.append(Finding(call.lineno, "api-signature",
                               f"{name}() takes at most {len(positional)} positional arguments, "
                               f"{n_pos} given ({q}({shown}))"))
        filled = {p[0] for p in positional[:n_pos]} if not starred else set()
        given = set()
        for kw in call.keywords:
            if kw.arg is None:
                continue
            given.add(kw.arg)
            if kw.arg not in keywordable and not var_kw:
                out.append(Finding(kw.value.lineno, "api-signature",
                                   f"{name}() has no keyword argument {kw.arg!r} ({q}({shown}))"))
            elif kw.arg in filled:
                out.append(Finding(kw.value.lineno, "api-signature",
                                   f"{name}() gets {kw.arg!r} both by position and by keyword"))
        out += _literal_types(call, q, name, positional if not starred else [])
        if not starred and not splat:
            required = [p[0] for p in sig if not p[2] and p[1] in (POSITIONAL_ONLY, POSITIONAL_OR_KEYWORD, KEYWORD_ONLY)]
            lacking = [p for p in required if p not in filled and p not in given and p not in ("self", "cls")]
            if lacking and n_pos <= len(positional):
                out.append(Finding(call.lineno, "api-signature",
                                   f"{name}() is missing required argument(s) {', '.join(lacking)} ({q}({shown}))"))
        return out



def _int_literal(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return type(node.value) is int
    if isinstance(node, (ast.Tuple, ast.List)):
        return any(_int_literal(e) for e in node.elts)
    return False


def _literal_types(call: ast.Call, q: str, name: str, positional: list) -> list[Finding]:
    """An int literal where the API takes a float (`argument_types` in rules.yaml)."""
    from torch2ms.check.torch_left import rules
    wanted = (rules().get("argument_types") or {}).get(q)
    if not wanted:
        return []
    given = {kw.arg: kw.value for kw in call.keywords if kw.arg is not None}
    for i, arg in enumerate(call.args):
        if i < len(positional):
            given.setdefault(positional[i][0], arg)
    out = []
    for param, kind in wanted.items():
        value = given.get(param)
        if kind == "float" and value is not None and _int_literal(value):
            out.append(Finding(value.lineno, "api-signature",
                               f"{name}(): {param}={ast.unparse(value)} is an int; {q} takes a "
                               f"float (or a tuple of floats) and raises a TypeError on an int"))
    return out
