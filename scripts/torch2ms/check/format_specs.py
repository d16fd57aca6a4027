"""A MindSpore tensor in a format spec: `f"{loss:.4f}"` raises a TypeError at run time (a torch
tensor of one element formats as its number; a MindSpore tensor does not).

Which names hold tensors is read per function from what they are assigned: a call of a
`mindspore.mint`/`mindspore.ops` function or of `mindspore.Tensor`, of a layer built from
`mindspore.mint.nn`/`mindspore.nn` (`loss = criterion(out, y)`), the outputs of a function
`mindspore.value_and_grad` / `mindspore.grad` made, or a tensor method on a tensor
(`loss.mean()`). A name also assigned something else in the same function is not judged.
"""

from __future__ import annotations

import ast

from torch2ms.check.findings import Finding
from torch2ms.check.names import Binding, dotted, qualify

_TENSOR_FUNCTIONS = ("mindspore.mint.", "mindspore.ops.", "mindspore.Tensor", "mindspore.tensor",
                     "mindspore.numpy.")
_GRAD_MAKERS = ("mindspore.value_and_grad", "mindspore.grad", "mindspore.ops.value_and_grad",
                "mindspore.ops.grad")
_LAYERS = ("mindspore.mint.nn.", "mindspore.nn.")
# methods that leave a Python number or numpy, not a tensor
_HOST = {"item", "asnumpy", "tolist", "numpy", "__float__"}
MESSAGE = ("{name} is a MindSpore tensor: a format spec (`{spec}`) raises a TypeError on it; "
           "format float({name}.asnumpy()) (or {name}.item())")


def _scopes(tree: ast.Module):
    yield tree
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node


def _own_nodes(scope):
    """The nodes of a scope, without those of the functions nested in it."""
    nested = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
    stack, seen = [n for n in scope.body if not isinstance(n, nested)], set()
    while stack:
        node = stack.pop()
        if id(node) in seen:  # f-string parts may be shared
            continue
        seen.add(id(node))
        yield node
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, nested):
                stack.append(child)


def _names(target) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for e in target.elts for n in _names(e)]
    if isinstance(target, ast.Starred):
        return _names(target.value)
    return []


def format_findings(tree: ast.Module, bindings: list[Binding]) -> list[Finding]:
    bound = {b.name: b.qualname for b in bindings}
    module_kinds: dict[str, str] = {}  # module-level names: "layer" | "grad"
    out = []
    for scope in _scopes(tree):
        kinds = dict(module_kinds)
        tensors: set[str] = set()
        other: set[str] = set()
        assigns = sorted((n for n in _own_nodes(scope) if isinstance(n, ast.Assign)),
                         key=lambda n: (n.lineno, n.col_offset))

        def q_of(func) -> str | None:
            chain = dotted(func)
            return qualify(chain, bound) if chain else None

        def is_tensor(value) -> bool:
            if not isinstance(value, ast.Call):
                return False
            func = value.func
            if isinstance(func, ast.Name) and kinds.get(func.id) == "layer":
                return True
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
                    and func.value.id in tensors and func.attr not in _HOST:
                return True
            q = q_of(func)
            return bool(q) and q.startswith(_TENSOR_FUNCTIONS)

        for node in assigns:
            value = node.value
            q = q_of(value.func) if isinstance(value, ast.Call) else None
            for target in node.targets:
                names = _names(target)
                if q and q.startswith(_GRAD_MAKERS):
                    kinds.update({n: "grad" for n in names})
                elif q and q.startswith(_LAYERS) and q.rsplit(".", 1)[-1][:1].isupper():
                    kinds.update({n: "layer" for n in names})
                elif isinstance(value, ast.Call) and isinstance(value.func, ast.Name) \
                        and kinds.get(value.func.id) == "grad":
                    tensors.update(names)  # (loss, aux), grads = grad_fn(x, y)
                elif is_tensor(value):
                    tensors.update(names)
                else:
                    other.update(names)
        if scope is tree:
            module_kinds = {k: v for k, v in kinds.items()}
        tensors -= other
        for node in _own_nodes(scope):
            if isinstance(node, ast.FormattedValue) and node.format_spec is not None \
                    and isinstance(node.value, ast.Name) and node.value.id in tensors:
                spec = ast.unparse(node.format_spec)
                spec = spec[2:-1] if spec.startswith(("f'", 'f"')) else spec
                out.append(Finding(node.value.lineno, "torch-idiom",
                                   MESSAGE.format(name=node.value.id, spec=":" + spec)))
    return out
