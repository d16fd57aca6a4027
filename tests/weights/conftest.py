"""Shared fixtures of the `torch2ms weights` tests: the Net pair, checkpoints written here, the CLI."""

import json
from pathlib import Path

import numpy as np
import pytest

from torch2ms.cli import main
from torch2ms.parity.spec import load_file

DATA = Path(__file__).parent / "data"
TORCH_FILE, PORT_FILE = str(DATA / "net_torch.py"), str(DATA / "net_ms.py")
CONFIG = {"vocab_size": 32, "dim": 16, "kernel": 3}
IDS = np.random.default_rng(0).integers(0, 32, size=(2, 7)).astype(np.int64)


@pytest.fixture(scope="session")
def net():
    """(torch file, port file) of the Net pair, loaded as parity loads them."""
    return load_file(TORCH_FILE, "torch"), load_file(PORT_FILE, "mindspore")


@pytest.fixture(autouse=True)
def fallback_restored():
    """The command enables the CPU fallback for the process: put the previous state back."""
    from torch2ms import cpu_fallback

    was = cpu_fallback.is_enabled()
    yield
    if not was:
        cpu_fallback.disable()


@pytest.fixture
def cli(capsys):
    """Run `torch2ms ARGS...` in this process: (exit code, stdout, stderr)."""

    def run(*args):
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def torch_logits(model, ids=IDS) -> np.ndarray:
    import torch

    with torch.no_grad():
        return model(torch.tensor(ids)).float().numpy()


def port_logits(port, ids=IDS) -> np.ndarray:
    import mindspore

    from torch2ms import cpu_fallback

    port.set_train(False)
    with cpu_fallback.enabled():
        return port(mindspore.Tensor(ids)).asnumpy()


def load_port(ms_file, weights: Path, config: dict | None = None):
    """A fresh port loaded the way converted code loads a checkpoint; fails if anything is left."""
    import mindspore

    fmt = "ckpt" if weights.suffix == ".ckpt" else "safetensors"
    port = ms_file.Net(ms_file.NetConfig(**(config or CONFIG)))
    param_not_load, ckpt_not_load = mindspore.load_param_into_net(port, mindspore.load_checkpoint(str(weights), format=fmt))
    assert param_not_load == [] and ckpt_not_load == [], (param_not_load, ckpt_not_load)
    return port


def read_json(path: Path) -> dict:
    return json.loads(path.read_text())


@pytest.fixture(scope="session")
def kit():
    """The helpers above, for the test modules (conftest is not importable under importlib mode)."""
    import types

    return types.SimpleNamespace(TORCH_FILE=TORCH_FILE, PORT_FILE=PORT_FILE, CONFIG=CONFIG, IDS=IDS, DATA=DATA,
                                 torch_logits=torch_logits, port_logits=port_logits, load_port=load_port,
                                 read_json=read_json)
