"""Shared fixtures of the parity tests: the toy model pair and the CPU fallback."""

from pathlib import Path

import numpy as np
import pytest

from torch2ms.parity.spec import load_file

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def toy():
    """(torch module file, MindSpore port file) of the toy model."""
    return load_file(DATA / "toy_torch.py", "torch"), load_file(DATA / "toy_ms.py", "mindspore")


@pytest.fixture
def toy_pair(toy):
    """A factory: fresh (torch model, port) with the port's optional deliberate fault."""
    torch_file, ms_file = toy

    def make(fault=None, seed=0, **kwargs):
        return torch_file.build_toy(seed=seed, **kwargs), ms_file.build_toy(fault=fault, **kwargs)

    return make


@pytest.fixture
def toy_input():
    return np.random.default_rng(0).standard_normal((2, 5, 6)).astype(np.float32)


@pytest.fixture(scope="session")
def mindone_transformers():
    """mindone.transformers, imported once per test run (about 10 s)."""
    import mindone.transformers

    return mindone.transformers


@pytest.fixture(scope="module")
def cpu_fallback():
    """The CPU fallback for mint ops without a CPU kernel, enabled for one test module."""
    from torch2ms import cpu_fallback

    with cpu_fallback.enabled():
        yield


def pytest_configure(config):
    config.addinivalue_line("markers", "sandboxed: the command runs its work in the bounded child it starts")
