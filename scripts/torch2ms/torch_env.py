"""The torch side of verification: what a torch original needs before it can be imported here.

torchvision 0.28.0 (the release for torch 2.13.0) ships its C++ operators (`nms`, `roi_align`,
...) built against the CUDA build of torch; beside the CPU build they do not load, and then
`import torchvision` itself fails in `_meta_registrations` ("operator torchvision::nms does not
exist"), because two of its fake-tensor registrations are not guarded by `_has_ops()` as the others
are. Declaring the schemas of those two operators lets the rest of torchvision (transforms,
datasets, models, utils) import and run; calling `torchvision.ops.nms` itself still fails, with
torch's own "no kernel" error.

`prepare()` is called before a torch original is imported (by the verification loader and by
tests); it does nothing when torchvision's operators loaded or torchvision is not installed.
"""

from __future__ import annotations

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
    spec = importlib.util.find_spec("torchvision")
    if _library is not None or spec is None or "torchvision" in sys.modules:
        return
    import torch

    # what torchvision.extension does first (importing it would import torchvision itself)
    for lib in sorted(Path(spec.origin).parent.glob("_C*.so")) + sorted(Path(spec.origin).parent.glob("_C*.pyd")):
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
