"""enable/disable: idempotent, exact restore, and nothing patched on import."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest


@pytest.fixture(autouse=True)
def start_disabled():
    """These tests start from a disabled fallback, whatever other test modules left enabled."""
    import torch2ms.cpu_fallback as fb

    was_enabled = fb.is_enabled()
    fb.disable()
    yield
    fb.disable()
    if was_enabled:
        fb.enable()


def _snapshot():
    """Every name in every loaded module, and the class attributes the table touches."""
    import mindspore
    from torch2ms.cpu_fallback import _patcher

    modules = {}
    for name, module in list(sys.modules.items()):
        if module is not None and isinstance(getattr(module, "__dict__", None), dict):
            modules[name] = {k: id(v) for k, v in list(vars(module).items())}
    classes = {}
    for api, _ in _patcher.load_table():
        owner, attr, _ = _patcher.resolve(api)
        if isinstance(owner, type):
            classes[api] = (attr in owner.__dict__, id(owner.__dict__.get(attr)))
    return modules, classes, id(mindspore.Tensor)


def test_disable_restores_every_binding_exactly():
    import torch2ms.cpu_fallback as fb
    from torch2ms.cpu_fallback import _patcher

    assert not fb.is_enabled()
    _patcher.load_table()  # the table's own import is not a patch
    __import__("torch2ms.cpu_fallback.creation")
    for api, spec in _patcher.load_table():  # import every implementation module first
        _patcher._implementation(spec)
    before_modules, before_classes, _ = _snapshot()
    fb.enable()
    fb.enable()  # idempotent
    assert fb.is_enabled()
    during_modules, _, _ = _snapshot()
    changed = sum(1 for m, names in before_modules.items() for k, v in names.items()
                  if during_modules.get(m, {}).get(k, v) != v)
    assert changed >= len(_patcher.load_table()) - 5, "enable() patched too little"
    fb.disable()
    fb.disable()  # idempotent
    after_modules, after_classes, _ = _snapshot()
    for module, names in before_modules.items():
        after = after_modules.get(module, {})
        diff = [k for k, v in names.items() if after.get(k, v) != v]
        assert not diff, f"{module}: not restored: {diff}"
    assert after_classes == before_classes


def test_every_table_entry_is_replaced_while_enabled():
    import torch2ms.cpu_fallback as fb
    from torch2ms.cpu_fallback import _patcher

    originals = {api: _patcher.resolve(api)[2] for api, _ in _patcher.load_table()}
    with fb.enabled():
        for api in originals:
            current = _patcher.resolve(api)[2]
            assert current is not originals[api], f"{api} not patched"
            assert current.__module__.startswith("torch2ms.cpu_fallback"), api
    for api, original in originals.items():
        assert _patcher.resolve(api)[2] is original, f"{api} not restored"


def test_layers_follow_their_functional_alias():
    # mint.nn.LayerNorm.construct calls ops.layer_norm: the alias must be patched too
    from mindspore import mint, ops

    import torch2ms.cpu_fallback as fb

    with fb.enabled():
        assert ops.layer_norm is mint.nn.functional.layer_norm
        assert ops.embedding is mint.nn.functional.embedding
    assert ops.layer_norm.__module__.startswith("mindspore")


def test_names_imported_while_enabled_are_restored(tmp_path):
    import importlib

    from mindspore import mint

    import torch2ms.cpu_fallback as fb

    original = mint.arange
    (tmp_path / "late_user_module.py").write_text("from mindspore.mint import arange\n")
    sys.path.insert(0, str(tmp_path))
    try:
        with fb.enabled():
            late = importlib.import_module("late_user_module")
            assert late.arange is not original
        assert late.arange is original
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("late_user_module", None)


def test_context_manager_keeps_an_outer_enable():
    import torch2ms.cpu_fallback as fb

    fb.enable()
    try:
        with fb.enabled():
            assert fb.is_enabled()
        assert fb.is_enabled(), "leaving an inner block disabled an explicit enable()"
    finally:
        fb.disable()
    assert not fb.is_enabled()


def test_importing_the_package_patches_nothing():
    code = textwrap.dedent("""
        import sys
        from mindspore import mint, ops
        before = (mint.arange, ops.layer_norm, mint.nn.Dropout.construct)
        import torch2ms, torch2ms.cpu_fallback, torch2ms.cli
        after = (mint.arange, ops.layer_norm, mint.nn.Dropout.construct)
        assert before == after, "import patched something"
        assert not torch2ms.cpu_fallback.is_enabled()
        assert "torch2ms.cpu_fallback._patcher" not in sys.modules
        print("clean")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "clean" in out.stdout


def test_enable_makes_mindspore_launch_ops_synchronously():
    """In a fresh process, enable() before the first op: the launch is synchronous, so a kernel
    missing on CPU fails at the call that needs it (asynchronously it fails at the next sync)."""
    code = textwrap.dedent("""
        import numpy as np
        import mindspore as ms
        from mindspore import mint
        from mindspore._c_expression import RuntimeConf
        import torch2ms.cpu_fallback as fb
        assert not RuntimeConf.get_instance().is_launch_blocking()
        fb.enable()
        assert RuntimeConf.get_instance().is_launch_blocking()
        fb.disable()  # the original gelu again: no CPU kernel
        x = ms.Tensor(np.ones((2, 3), np.float32))
        try:
            mint.nn.functional.gelu(x)
        except RuntimeError as exc:
            print("raised at the call:", str(exc).splitlines()[0])
        else:
            print("not raised at the call")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "raised at the call: The kernel GeluExt unregistered" in out.stdout, out.stdout
