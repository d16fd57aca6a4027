"""vllm / sglang (serving engines): no MindSpore counterpart, nothing is converted.

Every vllm or sglang name, and every method or attribute of an object they built (`llm =
LLM(...)`, `llm.generate(...)`), is flagged with one marker (`serving.yaml`): keep the model on
mindone.transformers and generate with it. The flags make `torch2ms convert` exit 1, and the
reports name the files that used an engine.
"""

from __future__ import annotations

from . import _objects
from ._data import load

FAMILY = "serving"
_DATA = load(FAMILY)
ROOTS = ("vllm", "sglang")
MARKER = " ".join(_DATA["marker"].split())


def _with_marker(text: str) -> str:
    return f"{MARKER}: {' '.join(text.split())}" if text else MARKER


_NAMES = {k: _with_marker(v) for k, v in _DATA["names"].items()}
_OBJECTS = {
    kind: {**raw, "methods": {k: _with_marker(v) for k, v in (raw.get("methods") or {}).items()},
           "other": MARKER}
    for kind, raw in _DATA["objects"].items()
}

_objects.flag_names(FAMILY, ROOTS, _NAMES, MARKER)
_objects.register(FAMILY, ROOTS, _OBJECTS)
