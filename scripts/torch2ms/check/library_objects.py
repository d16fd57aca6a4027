"""Method calls on objects a torch library built, and torch tensors asked of tokenizers.

The imports and names of the torch ecosystem are found by torch_left.py; what they leave behind
is the objects: `accelerator = Accelerator()` then `accelerator.prepare(...)`, `llm = LLM(...)`
then `llm.generate(...)`, `self.log(...)` in a LightningModule. Each name the file assigns is
given a type from what was assigned (a call of a torch-ecosystem class, of a MindSpore/mindone
API, of a class or function of this file; a parameter's annotation); then

- a method or attribute of an object built by a torch-ecosystem library is a finding;
- a method distinctive of those libraries (`library_methods` in rules.yaml: `prepare`,
  `gather_for_metrics`, `setup_dataloaders`, `log`, ...) on a receiver whose type cannot be
  followed is a finding that says so: it is never passed silently (annotate the receiver, or
  assign it from a MindSpore call, to make its type known);
- `return_tensors="pt"` asks a tokenizer or processor for torch tensors.
"""

from __future__ import annotations

import ast

from torch2ms.check.findings import Finding
from torch2ms.check.names import Binding, dotted, nodes, qualify

MINDSPORE_ROOTS = ("mindspore", "mindone")


def _rules() -> dict:
    from torch2ms.check.torch_left import rules

    return rules()


def _library(qualname: str | None) -> str | None:
    """The torch-ecosystem library a qualified name belongs to (a key of `library_objects`)."""
    if not qualname:
        return None
    root = qualname.split(".", 1)[0]
    return root if root in _rules()["library_objects"] else None


class _Types:
    """What each assigned name (or `self.x`) of the file holds: ("torch", qualname, line),
    ("known", ...) for MindSpore/mindone objects, local classes and annotated parameters."""

    def __init__(self, tree: ast.AST, bound: dict[str, str]):
        self.bound = bound
        self.local = {n.name for n in nodes(tree)
                      if isinstance(n, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))}
        self.types: dict[str, tuple[str, str, int]] = {}
        for node in nodes(tree):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    self._note(target, node.value, node.lineno)
            elif isinstance(node, ast.AnnAssign):
                self._note(node.target, node.value, node.lineno, node.annotation)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for arg in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]:
                    if arg.annotation is not None:
                        self._note(ast.Name(arg.arg), None, node.lineno, arg.annotation)
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    if item.optional_vars is not None:
                        self._note(item.optional_vars, item.context_expr, node.lineno)

    def _kind_of_call(self, value: ast.AST | None) -> tuple[str, str] | None:
        while isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) \
                and isinstance(value.func.value, ast.Call):
            value = value.func.value  # `Accuracy(...).to(device)`
        if not isinstance(value, ast.Call):
            return None
        chain = dotted(value.func)
        if chain is None:
            return None
        q = qualify(chain, self.bound)
        if _library(q):
            return "torch", q
        if q and q.split(".", 1)[0] in MINDSPORE_ROOTS or chain.split(".", 1)[0] in self.local:
            return "known", q or chain
        if "." in chain:
            # a method of a mindspore.dataset pipeline gives one (`ds.shuffle(n).batch(b)`)
            kind = self.of(chain.rsplit(".", 1)[0])
            if kind is not None and kind[0] == "known" and kind[1].startswith("mindspore.dataset."):
                return kind[0], kind[1]
        return None

    def _note(self, target, value, line, annotation=None):
        key = dotted(target) if isinstance(target, (ast.Name, ast.Attribute)) else None
        if key is None:
            return
        kind = self._kind_of_call(value)
        if kind is None and annotation is not None:
            chain = dotted(annotation)
            q = qualify(chain, self.bound) if chain else None
            kind = ("torch", q) if _library(q) else ("known", chain or "annotation")
        if kind is not None:
            self.types[key] = (*kind, line)
        elif value is not None:
            self.types.setdefault(key, ("unknown", "", line))

    def of(self, chain: str) -> tuple[str, str, int] | None:
        """The type of a receiver chain (`accelerator`, `self.metric`, `cli.trainer`)."""
        probe = chain
        while probe:
            if probe in self.types:
                return self.types[probe]
            if "." not in probe:
                return None
            probe = probe.rsplit(".", 1)[0]
        return None


_TYPES: dict[int, tuple[ast.AST, _Types]] = {}


def types_of(tree: ast.AST, bound: dict[str, str]) -> _Types:
    """The types of the file's names, computed once per tree."""
    cached = _TYPES.get(id(tree))
    if cached is None or cached[0] is not tree:
        _TYPES.clear()
        cached = _TYPES[id(tree)] = (tree, _Types(tree, bound))
    return cached[1]


def _classes(tree: ast.AST):
    """(class node, the methods it defines) for each class, and a map node -> enclosing class."""
    enclosing: dict[int, ast.ClassDef] = {}
    for cls in (n for n in nodes(tree) if isinstance(n, ast.ClassDef)):
        for child in ast.walk(cls):
            if child is not cls:
                enclosing[id(child)] = cls
    return enclosing


def _class_base(cls: ast.ClassDef, bound: dict[str, str]) -> str | None:
    for base in cls.bases:
        chain = dotted(base)
        q = qualify(chain, bound) if chain else None
        if _library(q):
            return q
    return None


def object_findings(tree: ast.AST, bindings: list[Binding]) -> list[Finding]:
    r = _rules()
    texts: dict[str, str] = r["library_objects"]
    methods: dict[str, str] = r["library_methods"]
    self_methods: dict[str, str] = r["library_self_methods"]
    bound = {b.name: b.qualname for b in bindings}
    types = types_of(tree, bound)
    enclosing = _classes(tree)
    out: list[Finding] = []
    seen: set[tuple[int, str]] = set()

    def add(line: int, key: str, message: str) -> None:
        if (line, key) not in seen:
            seen.add((line, key))
            out.append(Finding(line, "torch-idiom", message))

    metric = r.get("mindspore_metric") or {}

    def is_metric(chain: str | None) -> bool:
        kind = types.types.get(chain) if chain else None
        return kind is not None and kind[0] == "known" and kind[1].startswith("mindspore.train.") \
            and kind[1].rsplit(".", 1)[-1][:1].isupper()

    loader_attributes = r.get("dataset_attributes") or {}

    def is_dataset(chain: str | None) -> bool:
        kind = types.of(chain) if chain else None
        return kind is not None and kind[0] == "known" and kind[1].startswith("mindspore.dataset.")

    for node in nodes(tree):
        if isinstance(node, ast.Attribute) and node.attr in loader_attributes \
                and isinstance(node.ctx, ast.Load) and is_dataset(dotted(node.value)):
            add(node.lineno, f"{dotted(node.value)}.{node.attr}",
                f"{dotted(node.value)}.{node.attr}: {' '.join(loader_attributes[node.attr].split())}")
            continue
        if isinstance(node, ast.Call) and metric and is_metric(dotted(node.func)):
            add(node.lineno, dotted(node.func) + "()",
                f"{dotted(node.func)}(...): {' '.join(metric['call'].split())}")
        if isinstance(node, ast.Attribute) and metric and isinstance(node.ctx, ast.Load) \
                and node.attr not in metric["methods"] and not node.attr.startswith("_") \
                and is_metric(dotted(node.value)):
            add(node.lineno, f"{dotted(node.value)}.{node.attr}",
                f"{dotted(node.value)}.{node.attr}: {' '.join(metric['message'].split())}")
            continue
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                if kw.arg == "return_tensors" and isinstance(kw.value, ast.Constant) and kw.value.value == "pt":
                    add(kw.value.lineno, "return_tensors", r["return_tensors_pt"])
        if not isinstance(node, ast.Attribute) or not isinstance(node.ctx, ast.Load):
            continue
        recv = dotted(node.value)
        if recv is None:
            continue
        called = any(isinstance(p, ast.Call) and p.func is node for p in _parents(tree, node))
        shown = f"{recv}.{node.attr}{'()' if called else ''}"
        if recv == "self" or recv.startswith("self."):
            cls = enclosing.get(id(node))
            base = _class_base(cls, bound) if cls is not None else None
            if recv == "self":
                if not called or node.attr not in self_methods or cls is None:
                    continue
                if any(isinstance(b, (ast.FunctionDef, ast.AsyncFunctionDef)) and b.name == node.attr
                       for b in cls.body):
                    continue  # the class defines it
                if base is not None:
                    add(node.lineno, shown, f"{shown}: self is a {base}: {texts[_library(base)]}")
                else:
                    add(node.lineno, shown, f"{shown}: class {cls.name} does not define it and its "
                                            f"base is not followed here: .{node.attr}() is "
                                            f"{self_methods[node.attr]} (docs/rules/ecosystem.md)")
                continue
        kind = types.of(recv)
        if kind is not None and kind[0] == "torch":
            lib = _library(kind[1])
            add(node.lineno, recv.split(".", 1)[0],
                f"{shown}: {recv} was built by {kind[1]} (line {kind[2]}): {texts[lib]}")
        elif called and node.attr in methods and (kind is None or kind[0] == "unknown") \
                and recv.split(".", 1)[0] not in bound:
            add(node.lineno, shown, f"{shown}: the type of {recv} is unknown here: .{node.attr}() is "
                                    f"{methods[node.attr]}; if {recv} is one, restructure it "
                                    "(docs/rules/ecosystem.md), else annotate it or assign it from "
                                    "a MindSpore call so its type is known")
    return out


def _parents(tree: ast.AST, target: ast.AST):
    """The direct parent of `target` (one item, or none)."""
    parents = _parent_map(tree)
    parent = parents.get(id(target))
    return [parent] if parent is not None else []


_PARENTS: dict[int, tuple[ast.AST, dict]] = {}


def _parent_map(tree: ast.AST) -> dict[int, ast.AST]:
    cached = _PARENTS.get(id(tree))
    if cached is not None and cached[0] is tree:
        return cached[1]
    parents = {}
    for node in nodes(tree):
        for child in ast.iter_child_nodes(node):
            parents[id(child)] = node
    _PARENTS.clear()
    _PARENTS[id(tree)] = (tree, parents)
    return parents
