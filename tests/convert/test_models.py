"""Model-level: self-contained torch models are converted, their TODOs counted, and each one
without TODOs is imported (CPU fallback on) and proven equal to its torch original."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from torch2ms.convert.engine import convert_source

MODELS = Path(__file__).parent / "models"
# model file -> (class name, TODO markers expected after conversion)
CASES = {"mlp": ("MLP", 0), "cnn": ("CNN", 0), "tiny_transformer": ("TinyGPT", 0)}


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    out = tmp_path_factory.mktemp("converted")
    results = {}
    for name in CASES:
        result = convert_source((MODELS / f"{name}.py").read_text(), f"{name}.py")
        (out / f"{name}_ms.py").write_text(result.code)
        results[name] = (result, out / f"{name}_ms.py")
    return results


@pytest.mark.parametrize("name", sorted(CASES))
def test_todo_count(converted, name):
    result, _ = converted[name]
    assert result.code.count("# TODO(torch2ms):") == CASES[name][1], result.code
    assert "torch" not in result.code.replace("torch2ms", "")
    assert result.found > 0 and result.converted == result.found


@pytest.mark.parametrize("name", sorted(CASES))
def test_converted_model_matches_torch(converted, name):
    import torch

    from torch2ms import cpu_fallback
    from torch2ms.parity import assert_parity

    cls_name, todos = CASES[name]
    if todos:
        pytest.fail(f"{name} still has {todos} TODO markers: no parity run")
    _, path = converted[name]
    original = _load(MODELS / f"{name}.py", f"t2m_torch_{name}")
    torch.manual_seed(0)
    torch_model = getattr(original, cls_name)(**original.ARGS)
    rng = np.random.default_rng(0)
    if hasattr(original, "INPUT_INT"):
        b, t, vocab = original.INPUT_INT
        inputs = (rng.integers(0, vocab, size=(b, t)).astype(np.int64),)
    else:
        inputs = (rng.standard_normal(original.INPUT_SHAPE).astype(np.float32),)
    with cpu_fallback.enabled():
        port = _load(path, f"t2m_ms_{name}")
        ms_model = getattr(port, cls_name)(**port.ARGS)
        assert_parity(torch_model, ms_model, inputs)
