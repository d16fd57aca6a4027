"""Torch left in a converted file: imports, names bound to torch, idioms, open TODO markers.

Everything here reads the syntax tree (or the comment tokens, for markers), so a word "torch" in
a comment or a string never counts.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from functools import lru_cache
from pathlib import Path

import yaml

from torch2ms.check.findings import Finding
from torch2ms.check.names import Binding, chains, dotted, dynamic_imports, imported_modules, nodes, qualify

RULES_FILE = Path(__file__).with_name("rules.yaml")
ECOSYSTEM_FILE = Path(__file__).parent.parent / "scan" / "ecosystem.yaml"


@lru_cache(maxsize=1)
def rules() -> dict:
    data = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    methods = {}
    for name, spec in data["methods"].items():
        spec = {"message": spec} if isinstance(spec, str) else dict(spec)
        methods[name] = spec
    data["methods"] = methods
    data["torch_modules"] = yaml.safe_load(ECOSYSTEM_FILE.read_text(encoding="utf-8"))["torch"]
    data["_allowed"] = [re.compile(p) for p in data["transformers_allowed"]]
    return data


def torch_module(qualname: str) -> str | None:
    """The torch-ecosystem module `qualname` belongs to, or None."""
    for mod in rules()["torch_modules"]:
        if qualname == mod or qualname.startswith(mod + "."):
            return mod
    return None


def _allowed_transformers(qualname: str) -> bool:
    """`transformers.AutoTokenizer` and the like carry no tensors and may stay."""
    parts = qualname.split(".")[1:]
    return any(p.match(part) for part in parts for p in rules()["_allowed"])


def _is_torch(qualname: str) -> bool:
    mod = torch_module(qualname)
    if mod is None:
        return False
    return not (mod == "transformers" and _allowed_transformers(qualname))


def torch_findings(tree: ast.AST, bindings: list[Binding], api_params=None, project=None) -> list[Finding]:
    """Findings for torch code left in `tree`.

    `api_params(call) -> set | None` names the keyword parameters of the MindSpore API a call
    resolves to, so that e.g. `device=` passed to an API that declares it is not flagged.
    `project` (a check.project_types.ProjectTypes) tells what the project's own names hold: a
    method the project's class defines is no torch idiom, `.to(device)` on its Cell is one.
    """
    r = rules()
    out: list[Finding] = []
    # imports, at any depth
    for mod, line in imported_modules(tree):
        if torch_module(mod) not in (None, "transformers"):  # transformers: judged per name below
            out.append(Finding(line, "torch-import", f"imports {mod}"))
    for b in bindings:
        if not (b.from_import and _is_torch(b.qualname)):
            continue
        if torch_module(b.qualname) == "transformers":
            out.append(Finding(b.line, "torch-import",
                               f"imports {b.qualname}: model code comes from mindone.transformers"))
        elif not torch_module(b.qualname.rsplit(".", 1)[0]):  # e.g. `from safetensors import torch`
            out.append(Finding(b.line, "torch-import", f"imports {b.qualname}"))
    for mod, line in dynamic_imports(tree):
        if torch_module(mod):
            out.append(Finding(line, "torch-import", f"imports {mod} dynamically"))
    # names bound to torch, and torch names used without an import
    bound = {b.name: b.qualname for b in bindings}
    seen_lines: set[tuple[int, str]] = set()
    for node, chain in chains(tree):
        q = qualify(chain, bound)
        if q is None and chain.split(".")[0] in r["unbound_names"]:
            q = chain  # e.g. `torch.zeros` after its import was removed
        if q is None or not _is_torch(q):
            continue
        key = (node.lineno, q)
        if key not in seen_lines:
            seen_lines.add(key)
            shown = chain if chain == q else f"{chain} ({q})"
            out.append(Finding(node.lineno, "torch-name", f"uses {shown}"))
    out += _idioms(tree, api_params, bound, project)
    out += _training_mode(tree, bound)
    return out


def _built_by(tree: ast.AST, bound: dict, func: ast.Attribute, prefixes) -> bool:
    """Whether the method's receiver was assigned from a call of a name under one of `prefixes`
    (`acc = mindspore.train.Accuracy(...)`: its eval() is the metric's)."""
    from torch2ms.check.library_objects import types_of

    chain = dotted(func.value)
    kind = types_of(tree, bound).of(chain) if chain else None
    return bool(kind) and kind[0] == "known" and kind[1].startswith(tuple(prefixes))


def _project_class(project, enclosing, func: ast.Attribute):
    """(ClassDef, module) of a method call's receiver when it is the project's own class."""
    if project is None:
        return None
    recv = dotted(func.value)
    if recv == "self":
        cls = enclosing.get(id(func))
        return (cls, project.here) if cls is not None else None
    return project.cls_of(recv)


def _dtype_argument(node: ast.Call, bound: dict) -> bool:
    """`.to(mindspore.float16)`, `.to(dtype=...)`: a cast, not a device move."""
    if any(kw.arg == "dtype" for kw in node.keywords):
        return True
    for arg in node.args:
        chain = dotted(arg)
        q = (qualify(chain, bound) or chain) if chain else ""
        if q.startswith(("mindspore.", "numpy.")) or "dtype" in (chain or "") or (chain or "").endswith(
                tuple(rules()["cell_to"]["dtype_names"])):
            return True
    return False


def _idioms(tree: ast.AST, api_params, bound, project=None) -> list[Finding]:
    from torch2ms.check.library_objects import _classes

    r = rules()
    out = []
    cell_classes = _cell_classes(tree)
    enclosing = _classes(tree) if project is not None else {}
    for node in nodes(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in r["methods"]:
                spec = r["methods"][func.attr]
                ours = _project_class(project, enclosing, func)
                if ours is not None and project.defines(ours, func.attr):
                    pass  # the project's own class defines it (a trainer's backward)
                elif spec.get("not_on_tensors") and _on_tensor(func):
                    pass  # Tensor.half() exists; a Cell's does not
                elif spec.get("named_receivers_only") and dotted(func.value) is None:
                    pass  # m["acc"].eval(), getattr(self, name).eval(): a metric as often as a model
                elif (spec.get("max_args") is None or len(node.args) <= spec["max_args"]) and not (
                        spec.get("unless_built_by") and _built_by(tree, bound, func, spec["unless_built_by"])):
                    out.append(Finding(node.lineno, "torch-idiom", spec["message"]))
            elif isinstance(func, ast.Attribute) and func.attr == "to" and project is not None \
                    and (node.args or node.keywords) and not _dtype_argument(node, bound):
                ours = _project_class(project, enclosing, func)
                if ours is not None and project.is_cell(ours) and not project.defines(ours, "to"):
                    recv = dotted(func.value)
                    out.append(Finding(node.lineno, "torch-idiom",
                                       f"{recv}.to({', '.join(ast.unparse(a) for a in node.args)}): {recv} is a "
                                       f"Cell (class {ours[0].name}): {' '.join(r['cell_to']['message'].split())}"))
            declared = None
            for kw in node.keywords:
                if kw.arg in r["keywords"]:
                    if declared is None:
                        declared = (api_params(node) if api_params else None) or (
                            project.keywords(node, enclosing.get(id(node))) if project is not None else None) or set()
                    if kw.arg not in declared and "**" not in declared:
                        out.append(Finding(kw.value.lineno, "torch-idiom", r["keywords"][kw.arg]))
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
            chain = f"{node.value.attr}.{node.attr}" if isinstance(node.value, ast.Attribute) else None
            message = (r["attributes"].get(chain) if chain else None) or r["attributes"].get(node.attr)
            if message:
                out.append(Finding(node.lineno, "torch-idiom", message))
        elif isinstance(node, ast.ClassDef):
            for base in node.bases:
                last = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", None)
                if last in r["bases"]:
                    out.append(Finding(base.lineno, "torch-idiom", f"class {node.name}: {r['bases'][last]}"))
            if node.name in cell_classes:
                methods = {b.name: b for b in node.body if isinstance(b, (ast.FunctionDef, ast.AsyncFunctionDef))}
                if "forward" in methods and "construct" not in methods:
                    out.append(Finding(methods["forward"].lineno, "torch-idiom",
                                       f"class {node.name} is a Cell: MindSpore calls construct(), not forward()"))
    return out


def _on_tensor(func: ast.Attribute) -> bool:
    """The receiver is a tensor by its last name (`l.weight.data`: a Parameter's data)."""
    recv = dotted(func.value) or ""
    return "." in recv and recv.rsplit(".", 1)[-1] in rules()["tensor_attributes"]


def _training_mode(tree: ast.AST, bound: dict) -> list[Finding]:
    """A file that builds a MindSpore optimizer and takes gradients with value_and_grad, but never
    puts a Cell in training mode: dropout and batch norm run as in inference."""
    spec = rules()["training_mode"]
    grads, optimizer, train_mode = None, False, False
    for node in nodes(tree):
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Attribute) and node.func.attr == "set_train":
            first = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "mode"), None)
            if not (isinstance(first, ast.Constant) and first.value is False):
                train_mode = True
            continue
        chain = dotted(node.func)
        q = qualify(chain, bound) if chain else None
        if not q:
            continue
        if q in spec["gradients"]:
            grads = node if grads is None or node.lineno < grads.lineno else grads
        elif q.startswith(tuple(spec["optimizers"])) and q.rsplit(".", 1)[-1][:1].isupper():
            optimizer = True
    if grads is None or not optimizer or train_mode:
        return []
    return [Finding(grads.lineno, "torch-idiom", " ".join(spec["message"].split()))]


def _cell_classes(tree: ast.AST) -> set[str]:
    """Classes of this file that are Cells: a base from mindspore/mindone, or a Cell of this file."""
    from torch2ms.check.names import dotted, import_bindings

    bound = {b.name: b.qualname for b in import_bindings(tree)}
    classes = [n for n in nodes(tree) if isinstance(n, ast.ClassDef)]
    cells: set[str] = set()
    changed = True
    while changed:
        changed = False
        for cls in classes:
            if cls.name in cells:
                continue
            for base in cls.bases:
                chain = dotted(base)
                if chain is None:
                    continue
                q = qualify(chain, bound) or chain
                if q.split(".")[0] in ("mindspore", "mindone") or chain in cells or q.endswith("Cell"):
                    cells.add(cls.name)
                    changed = True
                    break
    return cells


def todo_markers(source: str) -> list[tuple[int, str]]:
    """(line, text) of each open `# TODO(torch2ms)` comment (markers inside strings do not count)."""
    marker = rules()["todo_marker"]
    if marker not in source:
        return []
    out = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT and marker in tok.string:
                text = tok.string.split(marker, 1)[1].lstrip(":").strip()
                out.append((tok.start[0], text))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return out
