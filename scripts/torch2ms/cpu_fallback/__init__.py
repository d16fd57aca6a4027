"""CPU implementations of `mindspore.mint` APIs that have no CPU kernel in the installed MindSpore.

For verification only: `enable()` substitutes each API listed in `replacements.yaml` with an
implementation built from `mindspore.ops` primitives that do run on CPU (and a few that do run
natively but much slower than an exact composition of other kernels, each named with its reason
in `faster_than_native.yaml`), everywhere the original is reachable (module attributes such as
`mint.arange` and `mint.nn.functional.embedding`, their aliases in `mindspore.ops` that `mint.nn`
layers call, names imported elsewhere with `from ... import`, class methods and Tensor methods).
`disable()` puts every original back.

Nothing is patched on import: only an explicit `enable()` (or `with enabled():`) does it.
`enable()` also makes MindSpore launch ops synchronously on CPU, for the rest of the process
(see `_runtime`): called before MindSpore runs its first op, it makes verification several times
faster.
"""

from __future__ import annotations

import contextlib
from typing import Iterator

__all__ = ["enable", "disable", "is_enabled", "enabled", "replacement_table"]


def enable() -> None:
    """Patch every API of the replacement table; calling it again does nothing."""
    from torch2ms.cpu_fallback import _patcher, _runtime

    _runtime.configure()
    _patcher.enable()


def disable() -> None:
    """Restore every original; calling it when not enabled does nothing."""
    from torch2ms.cpu_fallback import _patcher

    _patcher.disable()


def is_enabled() -> bool:
    import sys

    patcher = sys.modules.get("torch2ms.cpu_fallback._patcher")
    return bool(patcher and patcher.is_enabled())


@contextlib.contextmanager
def enabled() -> Iterator[None]:
    """Enable the fallback for the block; leave it as it was before on exit."""
    was_enabled = is_enabled()
    enable()
    try:
        yield
    finally:
        if not was_enabled:
            disable()


def replacement_table() -> dict[str, str]:
    """API name (as in `mint.nn.functional.gelu`) -> implementation (`module.function`)."""
    from torch2ms.cpu_fallback import _patcher

    return dict(_patcher.load_table())
