"""accelerate -> the plain MindSpore loop: no counterpart, so every name is flagged with the
piece of the loop it becomes (`accelerate.yaml`).

`Accelerator(...)` and every accelerate name carry the marker of their `names` entry (or `other`);
the methods and attributes of an Accelerator (`accelerator.prepare`, `.backward`,
`.gather_for_metrics`, `.device`, ...) carry theirs (`_objects.py`). Calls that map 1:1
(`accelerate.utils.set_seed`) come from the mapping table.
"""

from __future__ import annotations

from . import _objects
from ._data import load

FAMILY = "accelerate"
_DATA = load(FAMILY)
ROOTS = ("accelerate",)

_objects.flag_names(FAMILY, ROOTS, _DATA["names"], _DATA["other"])
_objects.register(FAMILY, ROOTS, _DATA["objects"])
