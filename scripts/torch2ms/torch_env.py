"""The torch side of verification: what lets torchvision import here, beside the CPU build of torch.

torchvision 0.28.0 (the release for torch 2.13.0) ships its C++ operators (`nms`, `roi_align`,
...) built against the CUDA build of torch; beside the CPU build they do not load, and then
`import torchvision` itself fails in `_meta_registrations` ("operator torchvision::nms does not
exist"), because two of its fake-tensor registrations are not guarded by `_has_ops()` as the others
are. transformers imports torchvision whenever it is installed, so mindone.transformers fails too.
Declaring the schemas of those two operators lets the rest of torchvision (transforms, datasets,
models, utils) import and run; calling `torchvision.ops.nms` itself still fails, with torchvision's
own "Couldn't load custom C++ ops" error.

`install()` (run when `torch2ms` is imported: every helper, the check's import child, `torch2ms run`,
parity, the tests) adds an import hook that calls `prepare()` just before torchvision is first
imported, so no call site has to remember it. Neither does anything when torchvision's operators
load (a matching torch build) or torchvision is not installed.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys
from pathlib import Path

# The operators torchvision registers fake kernels for without checking that its library loaded.
_UNGUARDED_TORCHVISION_OPS = (
    "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
)
_library = None  # kept alive: the schemas live as long as the Library object


def prepare() -> None:
    """Make `import torchvision` work beside the CPU build of torch (idempotent)."""
    global _library
    if _library is not None or "torchvision" in sys.modules:
        return
    spec = importlib.util.find_spec("torchvision")
    if spec is None or spec.origin is None:
        return
    import torch

    # what torchvision.extension does first (importing it would import torchvision itself)
    folder = Path(spec.origin).parent
    for lib in sorted(folder.glob("_C*.so")) + sorted(folder.glob("_C*.pyd")):
        try:
            torch.ops.load_library(str(lib))
        except OSError:
            continue
        return
    _library = torch.library.Library("torchvision", "FRAGMENT")
    for schema in _UNGUARDED_TORCHVISION_OPS:
        name = schema.split("(", 1)[0]
        if not hasattr(torch.ops.torchvision, name):
            _library.define(schema)


class _BeforeTorchvision(importlib.abc.MetaPathFinder):
    """Runs `prepare()` once, when `torchvision` is about to be imported; finds nothing itself."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname == "torchvision":
            sys.meta_path.remove(self)
            prepare()
        return None


def find_spec_only(name: str):
    """`importlib.util.find_spec(name)` for a top-level name, without the hook above: looking
    torchvision up must not import torch (the scan asks which libraries are installed)."""
    hooks = [f for f in sys.meta_path if isinstance(f, _BeforeTorchvision)]
    for hook in hooks:
        sys.meta_path.remove(hook)
    try:
        return importlib.util.find_spec(name)
    finally:
        sys.meta_path[:0] = hooks


def install() -> None:
    if "torchvision" not in sys.modules and not any(isinstance(f, _BeforeTorchvision) for f in sys.meta_path):
        sys.meta_path.insert(0, _BeforeTorchvision())
