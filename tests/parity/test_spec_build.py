"""Spec arguments that are themselves built (config objects) or named (`{ref: Block}`), each from
its own side's file."""

import subprocess
import sys
import textwrap
import types

import pytest

from torch2ms.parity.spec import SpecError, build


def _file(tag):
    module = types.ModuleType(f"side_{tag}")

    class Config:
        def __init__(self, n_layer=1, vocab_size=8):
            self.n_layer, self.vocab_size, self.side = n_layer, vocab_size, tag

    class Model:
        def __init__(self, config, extra=None):
            self.config, self.extra = config, extra

    module.Config, module.Model = Config, Model
    return module


def test_a_config_argument_is_built_from_the_same_file():
    shared = {"args": [{"build": "Config", "kwargs": {"n_layer": 2}}], "kwargs": {"extra": {"a": 1}}}
    for tag in ("torch", "mindspore"):
        model = build(_file(tag), {"build": "Model"}, shared, tag)
        assert type(model.config).__name__ == "Config"
        assert (model.config.n_layer, model.config.vocab_size, model.config.side) == (2, 8, tag)
        assert model.extra == {"a": 1}  # a mapping without `build` is passed as written


def test_a_config_keyword_argument_is_built_too():
    shared = {"kwargs": {"config": {"build": "Config", "kwargs": {"vocab_size": 27}}}}
    model = build(_file("torch"), {"build": "Model"}, shared, "torch")
    assert model.config.vocab_size == 27


def test_a_missing_config_class_is_named():
    shared = {"args": [{"build": "GPTConfig"}]}
    with pytest.raises(SpecError, match="GPTConfig"):
        build(_file("torch"), {"build": "Model"}, shared, "torch")


def test_a_ref_argument_is_the_sides_own_object_not_called():
    shared = {"args": [{"ref": "Config"}], "kwargs": {"extra": [{"ref": "Model"}, {"scale": {"ref": "Config"}}]}}
    for tag in ("torch", "mindspore"):
        module = _file(tag)
        model = build(module, {"build": "Model"}, shared, tag)
        assert model.config is module.Config
        assert model.extra == [module.Model, {"scale": module.Config}]
    with pytest.raises(SpecError, match=r"torch file has no 'Block' \(an argument \{ref: Block\}\)"):
        build(_file("torch"), {"build": "Model"}, {"args": [{"ref": "Block"}]}, "torch")


RESNET_TORCH = textwrap.dedent("""\
    import torch.nn as nn


    class ResidualBlock(nn.Module):
        def __init__(self, width):
            super().__init__()
            self.fc = nn.Linear(width, width)

        def forward(self, x):
            return x + self.fc(x).relu()


    class ResNet(nn.Module):
        def __init__(self, block, layers, width=8):
            super().__init__()
            self.stages = nn.Sequential(*[block(width) for n in layers for _ in range(n)])
            self.head = nn.Linear(width, 3)

        def forward(self, x):
            return self.head(self.stages(x))
    """)
RESNET_MS = (RESNET_TORCH.replace("import torch.nn as nn", "from mindspore import mint, nn")
             .replace("nn.Module", "nn.Cell").replace("nn.Linear", "mint.nn.Linear")
             .replace("nn.Sequential", "nn.SequentialCell").replace("def forward", "def construct")
             .replace("self.fc(x).relu()", "mint.nn.functional.relu(self.fc(x))"))


def test_parity_builds_a_resnet_from_a_block_class_each_side_names(tmp_path):
    (tmp_path / "resnet.py").write_text(RESNET_TORCH)
    (tmp_path / "resnet_ms.py").write_text(RESNET_MS)
    spec = tmp_path / "resnet.parity.yaml"
    spec.write_text("torch: {build: ResNet}\ninit: {args: [{ref: ResidualBlock}, [2, 1]]}\nseed: 0\n"
                    "inputs: [{shape: [4, 8]}]\ntolerance: {atol: 1.0e-5, rtol: 0}\n")
    proc = subprocess.run([sys.executable, "-m", "torch2ms", "parity", str(tmp_path / "resnet.py"),
                           str(tmp_path / "resnet_ms.py"), "--spec", str(spec)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("parity (forward): MATCH, 1/1 values within tolerance"), proc.stdout
    assert "copied 8 tensors by name" in proc.stdout, proc.stdout  # 3 blocks and the head: each side's own class
