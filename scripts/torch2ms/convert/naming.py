"""How a MindSpore target is written in the converted file, and which import that needs.

`mindspore.mint.cat` is written `mint.cat` (`from mindspore import mint`), `mindspore.nn.Cell`
`nn.Cell` (`from mindspore import nn`), other `mindspore.X` `ms.X` (`import mindspore as ms`),
`mindspore.dataset.vision.X` `vision.X` and `mindspore.dataset.transforms.X` `transforms.X`
(`from mindspore.dataset import vision, transforms`), `mindone.transformers.X` `X`
(`from mindone.transformers import X`; the same for `mindone.diffusers`, and for a function in a
submodule, `from mindone.diffusers.optimization import get_scheduler`). A short name is used only
when the module does not bind it to something else; a torch binding of the same name (the usual
`from torch import nn`) is taken over, and references the rules leave on torch are renamed to
`torch_<name>` so both can live in one file.
"""

from __future__ import annotations

import libcst as cst
from libcst.codemod.visitors import ImportItem

# target prefix -> (short name, ImportItem for the short name)
_SHORT = {
    "mindspore.mint": ("mint", ImportItem("mindspore", "mint")),
    "mindspore.nn": ("nn", ImportItem("mindspore", "nn")),
    "mindspore.ops": ("ops", ImportItem("mindspore", "ops")),
    "mindspore.dataset.vision": ("vision", ImportItem("mindspore.dataset", "vision")),
    "mindspore.dataset.transforms": ("transforms", ImportItem("mindspore.dataset", "transforms")),
    "mindspore": ("ms", ImportItem("mindspore", None, "ms")),
}
# The libraries whose names the converter resolves; imports of them are removed once unused.
TORCH_ROOTS = ("torch", "transformers", "torchvision", "timm", "diffusers", "einops",
               # libraries without a MindSpore counterpart: their names are flagged with the
               # restructuring that replaces them (rules/accelerate.py, lightning.py, serving.py)
               "accelerate", "lightning", "pytorch_lightning", "lightning_fabric", "torchmetrics",
               "vllm", "sglang")
# mindone packages whose objects are imported by name (`from mindone.diffusers import X`)
_BY_NAME = ("mindone.transformers", "mindone.diffusers")


def is_torch_name(qualified: str) -> bool:
    return qualified.split(".", 1)[0] in TORCH_ROOTS


def dotted(text: str) -> cst.BaseExpression:
    """`a.b.c` as an expression node."""
    parts = text.split(".")
    node: cst.BaseExpression = cst.Name(parts[0])
    for part in parts[1:]:
        node = cst.Attribute(value=node, attr=cst.Name(part))
    return node


class Namer:
    def __init__(self, global_bindings: dict[str, set[str]], unclaimable: frozenset = frozenset()):
        # name -> the qualified names it is bound to at module level
        self.bindings = global_bindings
        self.needed: list[ImportItem] = []
        self.used_short: set[str] = set()
        # torch bindings whose name the converted code takes over (`from torch import nn`)
        self.claimed = {
            name for name, _ in _SHORT.values()
            if name in global_bindings and all(is_torch_name(q) for q in global_bindings[name])
            and name not in unclaimable
        }
        self.renamed_leftovers: set[str] = set()

    def _free(self, name: str, meaning: str) -> bool:
        bound = self.bindings.get(name)
        return not bound or bound == {meaning} or name in self.claimed

    def _need(self, item: ImportItem) -> None:
        bound = item.alias or item.obj_name or item.module.split(".")[0]
        meaning = f"{item.module}.{item.obj_name}" if item.obj_name else (
            item.module if item.alias else item.module.split(".")[0])
        if self.bindings.get(bound) == {meaning}:
            return  # the module imports it already
        if item not in self.needed:
            self.needed.append(item)

    def text(self, target: str) -> str:
        """The source text for `target`, recording the import it needs."""
        for prefix, (short, item) in _SHORT.items():
            if target == prefix or target.startswith(prefix + "."):
                meaning = prefix
                if self._free(short, meaning):
                    self._need(item)
                    self.used_short.add(short)
                    return short + target[len(prefix):]
                break
        package = next((p for p in _BY_NAME if target.startswith(p + ".")), None)
        if package is not None:
            parts = target[len(package) + 1:].split(".")
            # the first class in the path (`X.from_pretrained`), else the function at its end
            k = next((i for i, part in enumerate(parts) if part[:1].isupper()), len(parts) - 1)
            module = ".".join([package, *parts[:k]])
            name = parts[k]
            if self._free(name, f"{module}.{name}") or all(
                is_torch_name(q) for q in self.bindings.get(name, ())
            ):
                self._need(ImportItem(module, name))
                return ".".join(parts[k:])
            self._need(ImportItem(package))
            return target
        module = target.rsplit(".", 1)[0] if "." in target else target
        if module == "mindspore":
            self._need(ImportItem("mindspore"))
        else:
            self._need(ImportItem(module))
        return target

    def expr(self, target: str) -> cst.BaseExpression:
        return dotted(self.text(target))

    def leftover_name(self, name: str) -> str:
        """What a torch binding's name becomes when the converted code takes it over."""
        if name in self.claimed:
            self.renamed_leftovers.add(name)
            return f"torch_{name}"
        return name
