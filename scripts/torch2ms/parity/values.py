"""Values crossing the framework boundary: numpy inputs in, nested outputs flattened to leaves.

Both frameworks' outputs are flattened into `{path: Leaf}` so that a torch tuple, a MindSpore
tuple, a dict or a HF `ModelOutput` on either side compare element by element. Paths are dotted:
`logits`, `hidden_states.1`, `0.attentions.2`; a bare tensor output has the path "" (shown as
"output").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np


@dataclasses.dataclass
class Leaf:
    """One compared value: a numpy array (or Python scalar) with its framework dtype name."""

    value: Any  # np.ndarray for tensors, the object itself otherwise
    dtype: str  # "float32", "int64", "bfloat16", ... or the Python type name
    is_tensor: bool = True

    @property
    def comparable(self) -> bool:
        return self.is_tensor or isinstance(self.value, (bool, int, float, str, type(None)))


def display_path(path: str) -> str:
    return path or "output"


def _from(obj, package: str) -> bool:
    # by class module, so that neither framework is imported to check (MindSpore's Parameter
    # class is created at run time in module "abc": look along the MRO)
    return any(cls.__module__.startswith(package) for cls in type(obj).__mro__[:-1])


def is_torch_tensor(obj) -> bool:
    return hasattr(obj, "detach") and _from(obj, "torch")


def is_ms_tensor(obj) -> bool:
    return hasattr(obj, "asnumpy") and _from(obj, "mindspore")


def tensor_leaf(obj) -> Leaf | None:
    """A Leaf for a torch/MindSpore tensor or numpy array, else None."""
    if is_torch_tensor(obj):
        dtype = str(obj.dtype).replace("torch.", "")
        t = obj.detach().cpu()
        if dtype == "bfloat16":  # numpy has no bfloat16: compare in float32
            t = t.float()
        return Leaf(t.numpy().copy(), dtype)
    if is_ms_tensor(obj):
        dtype = _ms_dtype_name(obj.dtype)
        if dtype == "bfloat16":
            import mindspore

            obj = obj.astype(mindspore.float32)
        return Leaf(obj.asnumpy().copy(), dtype)
    if isinstance(obj, (np.ndarray, np.generic)):
        arr = np.asarray(obj)
        return Leaf(arr.copy(), str(arr.dtype))
    return None


def _ms_dtype_name(dtype) -> str:
    # mindspore dtypes print as "Float32", "BFloat16", "Int64", "Bool"
    name = str(dtype).lower()
    return {"bool_": "bool"}.get(name, name)


def flatten(obj, prefix: str = "") -> dict[str, Leaf]:
    """Flatten a nested output (tensors, tuples, lists, dicts, ModelOutput, dataclasses)."""
    leaf = tensor_leaf(obj)
    if leaf is not None:
        return {prefix: leaf}
    join = (lambda key: f"{prefix}.{key}") if prefix else (lambda key: str(key))
    out: dict[str, Leaf] = {}
    if isinstance(obj, Mapping) or (hasattr(obj, "keys") and hasattr(obj, "to_tuple")):
        # HF ModelOutput (torch and mindone) is a Mapping of its non-None fields
        for key in obj.keys():
            out.update(flatten(obj[key], join(key)))
        return out
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for field in dataclasses.fields(obj):
            value = getattr(obj, field.name)
            if value is not None:
                out.update(flatten(value, join(field.name)))
        return out
    if isinstance(obj, (list, tuple)):
        for i, item in enumerate(obj):
            out.update(flatten(item, join(i)))
        return out
    if isinstance(obj, (bool, int, float, str, type(None))):
        return {prefix: Leaf(obj, type(obj).__name__, is_tensor=False)}
    # caches and other objects: listed, never silently dropped
    return {prefix: Leaf(obj, type(obj).__name__, is_tensor=False)}


def select(leaves: dict[str, Leaf], wanted: list[str] | None) -> dict[str, Leaf]:
    """Keep the leaves at or under the wanted paths (all when wanted is None)."""
    if not wanted:
        return leaves
    keep = {}
    for path, leaf in leaves.items():
        if any(path == w or path.startswith(w + ".") for w in wanted):
            keep[path] = leaf
    return keep


def to_framework(value, framework: str):
    """Convert numpy arrays (at any depth of lists, tuples, dicts) into the framework's tensors."""
    if isinstance(value, (np.ndarray, np.generic)):
        arr = np.ascontiguousarray(value)
        if framework == "torch":
            import torch

            return torch.from_numpy(arr.copy())
        import mindspore

        return mindspore.Tensor(arr.copy())
    if isinstance(value, Mapping):
        return {k: to_framework(v, framework) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(to_framework(v, framework) for v in value)
    return value


def split_inputs(inputs) -> tuple[tuple, dict]:
    """Inputs as positional args and keyword args.

    A tuple or list gives positional args, a dict keyword args, a `(tuple, dict)` pair both, and
    a single array one positional arg.
    """
    if isinstance(inputs, Mapping):
        return (), dict(inputs)
    if (
        isinstance(inputs, tuple)
        and len(inputs) == 2
        and isinstance(inputs[0], (tuple, list))
        and isinstance(inputs[1], Mapping)
    ):
        return tuple(inputs[0]), dict(inputs[1])
    if isinstance(inputs, (tuple, list)):
        return tuple(inputs), {}
    return (inputs,), {}
