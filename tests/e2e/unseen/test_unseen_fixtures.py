"""The trial files run in torch, learn, and their parity specs build valid models and inputs."""

import importlib.util
from pathlib import Path

import pytest
import torch

from torch2ms.parity.spec import build, make_inputs, read_spec

HERE = Path(__file__).parent


def load(name):
    spec = importlib.util.spec_from_file_location(f"unseen_{name}", HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def gpt():
    return load("gpt")


@pytest.fixture(scope="module")
def classifier():
    return load("train_classifier")


def spec_model_and_inputs(module, spec_name):
    spec = read_spec(HERE / spec_name)
    torch.manual_seed(spec.get("seed", 0))
    model = build(module, spec["torch"], spec.get("init") or {}, "torch").eval()
    args, kwargs = make_inputs(spec)
    return spec, model, [torch.from_numpy(a) for a in args], kwargs


@pytest.mark.parametrize("spec_name", ["gpt.parity.yaml", "gpt.train.parity.yaml"])
def test_gpt_spec_builds_and_runs(gpt, spec_name):
    spec, model, args, _ = spec_model_and_inputs(gpt, spec_name)
    logits, loss = model(*args)
    assert logits.shape == (2, 16, 64)
    assert loss.ndim == 0 and 3.5 < loss.item() < 4.8  # about ln(64) for random weights
    # The names a port must keep: tied head and embedding, fused qkv, the mask buffer.
    names = set(model.state_dict())
    assert {"lm_head.weight", "transformer.wte.weight", "transformer.h.0.attn.c_attn.weight",
            "transformer.h.1.attn.bias"} <= names


def test_gpt_learns_and_generates(gpt):
    torch.manual_seed(0)
    model = gpt.build_model()
    idx = torch.arange(17).remainder(7).repeat(4, 1)  # a periodic sequence
    optimizer = model.configure_optimizers(0.1, 1e-2, (0.9, 0.95))
    model.train()
    losses = []
    for _ in range(8):
        _, loss = model(idx[:, :-1].contiguous(), idx[:, 1:].contiguous())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] - 1.0
    out = model.generate(idx[:1, :5], max_new_tokens=6, top_k=5)
    assert out.shape == (1, 11)


def test_classifier_spec_builds_and_runs(classifier):
    spec, model, args, _ = spec_model_and_inputs(classifier, "train_classifier.parity.yaml")
    assert model(*args).shape == (2, 4)
    assert "features.1.running_mean" in model.state_dict()


def test_classifier_script_trains(classifier, tmp_path, capsys):
    best = classifier.main(["--epochs", "2", "--train-size", "64", "--batch-size", "16", "--out", str(tmp_path)])
    assert best >= 0.75  # four separable patterns
    assert (tmp_path / "best.pt").is_file()
    assert "epoch 2:" in capsys.readouterr().out
