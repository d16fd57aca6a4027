"""Shared pieces of the CPU fallback tests: input builders and the one comparison."""

from __future__ import annotations

import numpy as np
import pytest

TOLERANCE = {  # dtype -> (rtol, atol)
    "float32": (1e-5, 1e-5),
    "float16": (1e-2, 1e-2),
    "bfloat16": (4e-2, 4e-2),
}


def ms_dtype(name):
    import mindspore as ms

    return {"float32": ms.float32, "float16": ms.float16, "bfloat16": ms.bfloat16,
            "int64": ms.int64, "int32": ms.int32, "bool": ms.bool_}[name]


def torch_dtype(name):
    import torch

    return getattr(torch, name)


def dtype_name(dtype) -> str:
    """Common name of a torch or MindSpore dtype: torch.float32 / Float32 -> 'float32'."""
    text = str(dtype).replace("torch.", "").lower()
    return {"bool_": "bool"}.get(text, text)


def to_numpy(value):
    import mindspore as ms
    import torch

    if isinstance(value, torch.Tensor):
        value = value.detach()
        return (value.float() if value.dtype == torch.bfloat16 else value).numpy()
    if isinstance(value, ms.Tensor):
        return (value.astype(ms.float32) if value.dtype == ms.bfloat16 else value).asnumpy()
    return np.asarray(value)


def assert_same(ms_out, torch_out, dtype="float32", what="output"):
    """Structure, shape, dtype and values of a MindSpore result against torch's."""
    import mindspore as ms
    import torch

    if isinstance(torch_out, (tuple, list)):
        assert isinstance(ms_out, (tuple, list)), f"{what}: torch returns a sequence, MindSpore {type(ms_out)}"
        assert len(ms_out) == len(torch_out), f"{what}: {len(ms_out)} items vs {len(torch_out)}"
        for i, (m, t) in enumerate(zip(ms_out, torch_out)):
            assert_same(m, t, dtype, f"{what}[{i}]")
        return
    if isinstance(torch_out, torch.Tensor):
        assert isinstance(ms_out, ms.Tensor), f"{what}: expected a Tensor, got {type(ms_out)}"
        assert tuple(ms_out.shape) == tuple(torch_out.shape), f"{what}: shape {ms_out.shape} vs {tuple(torch_out.shape)}"
        assert dtype_name(ms_out.dtype) == dtype_name(torch_out.dtype), f"{what}: dtype {ms_out.dtype} vs {torch_out.dtype}"
    rtol, atol = TOLERANCE.get(dtype, TOLERANCE["float32"])
    a, b = to_numpy(ms_out), to_numpy(torch_out)
    if a.dtype.kind in "biu":
        np.testing.assert_array_equal(a, b, err_msg=what)
    else:
        np.testing.assert_allclose(a.astype(np.float64), b.astype(np.float64), rtol=rtol, atol=atol, err_msg=what)


@pytest.fixture(scope="module")
def fallback():
    """The fallback, enabled for the whole test module (enabling scans every loaded module)."""
    import torch2ms.cpu_fallback as fb

    with fb.enabled():
        yield fb


@pytest.fixture(scope="session")
def compare():
    """The one comparison every differential test uses (see `assert_same`)."""
    return assert_same


@pytest.fixture(scope="session")
def helpers():
    return type("Helpers", (), {
        "ms_dtype": staticmethod(ms_dtype), "torch_dtype": staticmethod(torch_dtype),
        "to_numpy": staticmethod(to_numpy), "dtype_name": staticmethod(dtype_name),
    })
