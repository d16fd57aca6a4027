"""How MindSpore runs ops while the fallback is on: synchronously.

In PyNative mode MindSpore hands every op to a pipeline of worker threads that spin while they
wait for work. On the CPU backend the kernel is the work, so the hand-offs cost more than they
overlap: synchronous launch (`mindspore.runtime.launch_blocking()`) made ops 3-16x faster on a
2-core machine shared with other work (see benchmarks/bench_runtime.py). It also raises a failing
kernel's error at the op that failed, not at the next synchronisation.

MindSpore reads the setting once, when its first op runs: `enable()` before any op (as `torch2ms
parity`, `run` and `check --import` call it) gets it; a later call changes nothing. It lasts for
the process: `disable()` does not undo it. Devices other than CPU are left as they are.
"""

from __future__ import annotations


def configure() -> None:
    import mindspore

    if mindspore.get_context("device_target") != "CPU":
        return
    mindspore.runtime.launch_blocking()
