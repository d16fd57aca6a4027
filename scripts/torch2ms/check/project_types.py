"""What the project's own names hold: its classes (Cells or not) and what its factories return.

A converted file calls the project's own code: `model = create_model(...)` (a factory of
another module returning a `UNetModel(nn.Cell)`), `self.mp_trainer = MixedPrecisionTrainer(...)`
(a class of the project with its own `backward`). The torch idiom checks ask this module what a
receiver is before they judge a method called on it:

- `cls_of(chain)`: the project class a receiver was built from (in this file, imported by name
  from a module beside it, or through a project module: `script_util.create_model(...)`), with
  the module it lives in; `None` when it cannot be followed;
- `is_cell(cls)`: whether that class is a MindSpore Cell (a base from mindspore/mindone, a base
  named `Cell`, or a project Cell);
- `defines(cls, name)`: whether the class or a project base defines the method `name`;
- `keywords(call)`: the keyword parameters of the project function or method a call names.

The modules are read (ast), never run; what cannot be followed stays unknown and is not judged.
"""

from __future__ import annotations

import ast
from pathlib import Path

from torch2ms.check.names import dotted, nodes

DEPTH = 4  # factories calling factories: how far a return value is followed


class _Module:
    """One project module: its top-level classes and functions, and the names it imports."""

    def __init__(self, tree: ast.Module, path: Path | None):
        self.tree = tree
        self.path = path
        self.folder = path.parent if path is not None else None
        self.defs = {n.name: n for n in tree.body
                     if isinstance(n, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))}
        self.imports: dict[str, tuple[str, int, str | None]] = {}  # local -> (module, level, name)
        for node in nodes(tree):
            if isinstance(node, ast.ImportFrom) and node.module is not None or \
                    isinstance(node, ast.ImportFrom) and node.level:
                for alias in node.names:
                    if alias.name != "*":
                        self.imports[alias.asname or alias.name] = (node.module or "", node.level, alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        self.imports[alias.asname] = (alias.name, 0, None)


class ProjectTypes:
    def __init__(self, tree: ast.Module, folder: Path | None):
        self.folder = Path(folder) if folder is not None else None
        self._parsed: dict[Path, _Module | None] = {}
        self.here = _Module(tree, None)
        self.here.folder = self.folder
        self.tree = tree
        self._assigned = self._assignments(tree)

    # ------------------------------------------------------------ modules
    def _find(self, folder: Path | None, module: str, level: int) -> Path | None:
        """The file of a project module named by an import (never an installed package's)."""
        if folder is None or level > 2:
            return None
        parts = [p for p in module.split(".") if p]
        if level:
            base = folder
            for _ in range(level - 1):
                base = base.parent
            bases = [base]
        else:
            bases = [folder, *list(folder.parents)[:3]]
        for base in bases:
            path = base.joinpath(*parts)
            for candidate in (path.with_suffix(".py"), path / "__init__.py"):
                if parts and candidate.is_file():
                    return candidate
        return None

    def _module(self, path: Path | None) -> _Module | None:
        if path is None:
            return None
        path = path.resolve()
        if path not in self._parsed:
            try:
                self._parsed[path] = _Module(ast.parse(path.read_text(encoding="utf-8")), path)
            except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
                self._parsed[path] = None
        return self._parsed[path]

    def _lookup(self, mod: _Module, chain: str, depth: int = 0):
        """What a dotted name of `mod` stands for: ("def", node, module) or ("module", module)."""
        if depth > DEPTH:
            return None
        head, _, rest = chain.partition(".")
        if head in mod.defs and not rest:
            return "def", mod.defs[head], mod
        if head not in mod.imports:
            return None
        module, level, name = mod.imports[head]
        if name is not None:  # from X import name: a definition of X, or the submodule X.name
            target = self._module(self._find(mod.folder, module, level))
            found = self._lookup(target, name, depth + 1) if target is not None else None
            if found is None:
                sub = self._module(self._find(mod.folder, f"{module}.{name}" if module else name, level))
                found = ("module", sub) if sub is not None else None
        else:
            target = self._module(self._find(mod.folder, module, level))
            found = ("module", target) if target is not None else None
        if found is None or not rest:
            return found
        if found[0] == "module":
            return self._lookup(found[1], rest, depth + 1) if "." not in rest else None
        return None

    def definition(self, name: str):
        """(FunctionDef or ClassDef, its file) of a name this file imports from a project module."""
        if name not in self.here.imports:
            return None
        found = self._lookup(self.here, name)
        if found is None or found[0] != "def" or found[2].path is None:
            return None
        return found[1], found[2].path

    # ------------------------------------------------------------ classes
    def _class_of_call(self, mod: _Module, value: ast.AST, index: int | None, depth: int = 0):
        """(ClassDef, module) a call's result is an instance of, following factories."""
        if depth > DEPTH or not isinstance(value, ast.Call):
            return None
        chain = dotted(value.func)
        found = self._lookup(mod, chain) if chain else None
        if found is None or found[0] != "def":
            return None
        _, node, where = found
        if isinstance(node, ast.ClassDef):
            return (node, where) if index is None else None
        returned = [n.value for n in ast.walk(node) if isinstance(n, ast.Return) and n.value is not None]
        local = self._assignments(node)
        results = set()
        for ret in returned:
            if index is not None:
                if not isinstance(ret, ast.Tuple) or index >= len(ret.elts):
                    return None
                ret = ret.elts[index]
            cls = self._value_class(where, ret, local, depth + 1)
            if cls is None:
                return None
            results.add((id(cls[0]), cls))
        return next(iter(results))[1] if len(results) == 1 else None

    def _value_class(self, mod: _Module, value: ast.AST, local: dict, depth: int):
        if isinstance(value, ast.Name) and value.id in local:
            return self._class_of_call(mod, *local[value.id], depth)
        return self._class_of_call(mod, value, None, depth)

    @staticmethod
    def _assignments(scope: ast.AST) -> dict[str, tuple[ast.AST, int | None]]:
        """name -> (value, tuple index) for names assigned once in `scope` (`a, b = f()` too);
        a name assigned twice is dropped (what it holds depends on the path)."""
        seen: dict[str, list] = {}
        for node in ast.walk(scope):
            if not isinstance(node, ast.Assign):
                continue
            for target in node.targets:
                if isinstance(target, (ast.Name, ast.Attribute)) and dotted(target):
                    seen.setdefault(dotted(target), []).append((node.value, None))
                elif isinstance(target, ast.Tuple):
                    for i, elt in enumerate(target.elts):
                        if dotted(elt):
                            seen.setdefault(dotted(elt), []).append((node.value, i))
        return {k: v[0] for k, v in seen.items() if len(v) == 1}

    def cls_of(self, chain: str | None):
        """(ClassDef, module) of the project class the receiver `chain` was built from, or None."""
        if not chain or chain not in self._assigned:
            return None
        value, index = self._assigned[chain]
        return self._class_of_call(self.here, value, index)

    def _bases(self, cls: ast.ClassDef, mod: _Module):
        for base in cls.bases:
            chain = dotted(base)
            found = self._lookup(mod, chain) if chain else None
            if found is not None and found[0] == "def" and isinstance(found[1], ast.ClassDef):
                yield chain, (found[1], found[2])
            else:
                yield chain, None

    def is_cell(self, found, depth: int = 0) -> bool:
        cls, mod = found
        if depth > DEPTH:
            return False
        for chain, project in self._bases(cls, mod):
            if project is not None:
                if self.is_cell(project, depth + 1):
                    return True
                continue
            if not chain:
                continue
            head = chain.split(".")[0]
            origin = mod.imports.get(head)
            root = head if origin is None else origin[0].split(".")[0] if not origin[1] else None
            if chain.rsplit(".", 1)[-1] == "Cell" or root in ("mindspore", "mindone"):
                return True
        return False

    def defines(self, found, name: str, depth: int = 0) -> bool:
        cls, mod = found
        if depth > DEPTH:
            return False
        if any(isinstance(b, (ast.FunctionDef, ast.AsyncFunctionDef)) and b.name == name for b in cls.body):
            return True
        return any(project is not None and self.defines(project, name, depth + 1)
                   for _, project in self._bases(cls, mod))

    # ------------------------------------------------------------ calls
    def keywords(self, call: ast.Call, enclosing: ast.ClassDef | None = None) -> set[str] | None:
        """The keyword parameters of the project function or method `call` names: a method of
        the enclosing class (`self.f(...)`), of a receiver built from a project class, or a
        function of a project module (`utils.f(...)`)."""
        func = call.func
        if not isinstance(func, ast.Attribute):
            return None
        recv = dotted(func.value)
        target = None
        if recv == "self" and enclosing is not None:
            target = self._method((enclosing, self.here), func.attr)
        elif recv is not None:
            found = self._lookup(self.here, recv)
            if found is not None and found[0] == "module":
                node = found[1].defs.get(func.attr)
                target = (node, False) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else None
            else:
                cls = self.cls_of(recv)
                target = self._method(cls, func.attr) if cls is not None else None
        if target is None:
            return None
        node, bound_method = target
        args = node.args
        names = [a.arg for a in [*args.args, *args.kwonlyargs]]
        return set(names[1:] if bound_method and args.args else names) | ({"**"} if args.kwarg else set())

    def _method(self, found, name: str, depth: int = 0):
        cls, mod = found
        if depth > DEPTH:
            return None
        for b in cls.body:
            if isinstance(b, (ast.FunctionDef, ast.AsyncFunctionDef)) and b.name == name:
                static = any(getattr(d, "id", None) == "staticmethod" for d in b.decorator_list)
                return b, not static
        for _, project in self._bases(cls, mod):
            if project is not None:
                hit = self._method(project, name, depth + 1)
                if hit is not None:
                    return hit
        return None
