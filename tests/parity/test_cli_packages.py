"""`torch2ms parity` beyond one plain file: several cases with nested inputs, a flat script, a
Hugging Face modeling file copied out of its package with its configuration, and a torch side
that cannot be imported here (its own verdict, exit 3, never a mismatch)."""

import importlib.util
import json
import shutil
import textwrap
from pathlib import Path

import pytest

from torch2ms import sandbox
from torch2ms.cli import main

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def in_process(monkeypatch):
    """The command's work runs in-process here (its sandboxed child is tested in test_cli.py),
    and the CPU fallback it enables is turned off again afterwards."""
    from torch2ms import cpu_fallback

    monkeypatch.setenv(sandbox.ENV_INSIDE, "1")
    was = cpu_fallback.is_enabled()
    yield
    if not was:
        cpu_fallback.disable()


def parity(*args) -> int:
    return main(["parity", *map(str, args)])


def test_two_cases_an_rnn_with_its_hidden_state_and_a_model_with_a_loss(capsys):
    code = parity(DATA / "rnn_torch.py", DATA / "rnn_ms.py", "--spec", DATA / "rnn_cases.yaml")
    out = capsys.readouterr().out
    assert code == 0, out
    assert "== case RNNModel ==\nparity (forward): MATCH, 3/3 values within tolerance" in out
    assert "ok   1.1 float32[2, 3, 16]" in out  # the returned (h, c), compared element by element
    assert "== case Regressor ==\nparity (train-step, eval mode): MATCH, 5/5 values" in out
    assert out.rstrip().endswith("parity: 2 of 2 cases match")


def test_train_mode_is_asked_for_explicitly(tmp_path, capsys):
    """Dropout 0.5 in train mode: random masks differ per framework, so the numbers do too."""
    spec = yaml_spec(tmp_path, cases=None, torch={"build": "RNNModel"}, mode="train", check="forward",
                     init={"kwargs": {"ntoken": 20, "ninp": 8, "nhid": 16, "nlayers": 2, "dropout": 0.5}},
                     inputs=[{"shape": [5, 3], "dtype": "int64", "range": [0, 20]},
                             {"tuple": [{"shape": [2, 3, 16]}, {"shape": [2, 3, 16]}]}])
    code = parity(DATA / "rnn_torch.py", DATA / "rnn_ms.py", "--spec", spec, "--no-localise")
    out = capsys.readouterr().out
    assert code == 1 and out.startswith("parity (forward, train mode): MISMATCH")


def yaml_spec(tmp_path, name="spec.yaml", **spec):
    import yaml

    path = tmp_path / name
    path.write_text(yaml.safe_dump({k: v for k, v in spec.items() if v is not None}))
    return path


FLAT_TORCH = textwrap.dedent("""\
    import argparse
    import torch
    import torch.nn as nn

    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    args = parser.parse_args()
    text = open(args.data).read()
    vocab_size = len(sorted(set(text)))
    n_embd = 8
    open("checkpoint.pt", "w").write("written at import")


    class Bigram(nn.Module):
        def __init__(self):
            super().__init__()
            self.table = nn.Embedding(vocab_size, n_embd)
            self.head = nn.Linear(n_embd, vocab_size)

        def forward(self, idx):
            return self.head(self.table(idx))


    model = Bigram()
    for step in range(10 ** 9):
        model(torch.zeros(1, 1, dtype=torch.long))
    """)
FLAT_PORT = (FLAT_TORCH.replace("import torch\nimport torch.nn as nn", "from mindspore import mint, nn")
             .replace("nn.Module", "nn.Cell").replace("nn.Embedding", "mint.nn.Embedding")
             .replace("nn.Linear", "mint.nn.Linear").replace("def forward", "def construct")
             .replace("torch.zeros(1, 1, dtype=torch.long)", "mint.zeros((1, 1))"))


def test_a_flat_script_without_main_guard(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bigram.py").write_text(FLAT_TORCH)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "bigram.py").write_text(FLAT_PORT)
    spec = yaml_spec(tmp_path, torch={"build": "Bigram"}, globals={"vocab_size": 11},
                     inputs=[{"shape": [2, 5], "dtype": "int64", "range": [0, 11]}])
    code = parity(tmp_path / "bigram.py", tmp_path / "out" / "bigram.py", "--spec", spec)
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.startswith("parity (forward): MATCH, 1/1 values within tolerance")
    assert not (tmp_path / "checkpoint.pt").exists()  # the script's top-level work never ran


def _copy_from_transformers(dest: Path, model: str, files: list[str]) -> Path:
    """The installed transformers' own modeling files, as a project holding a copy would have them."""
    origin = Path(importlib.util.find_spec(f"transformers.models.{model}").submodule_search_locations[0])
    dest.mkdir(parents=True)
    for name in files:
        shutil.copy(origin / name, dest / name)
    return dest


def test_a_transformers_modeling_file_with_its_configuration(tmp_path, capsys):
    """`from ...activations import ACT2FN` reaches above the project: the torch side runs as
    transformers.models.gpt_neox.modeling_gpt_neox, with the project's configuration file; the
    port's `from .configuration_gpt_neox import` is a package import below outputs/."""
    # imported before, as mindone.transformers or an earlier check in the same process does: the
    # project's copy must still be the one the torch side uses
    importlib.import_module("transformers.models.gpt_neox.configuration_gpt_neox")
    project = _copy_from_transformers(tmp_path / "project" / "gpt_neox", "gpt_neox",
                                      ["modeling_gpt_neox.py", "configuration_gpt_neox.py"])
    # a mark in the project's copy of the configuration: the torch side must use this file
    config = project / "configuration_gpt_neox.py"
    config.write_text(config.read_text() + "\nPROJECT_COPY = True\n")
    ws = tmp_path / "ws"
    (ws / ".torch2ms").mkdir(parents=True)
    (ws / ".torch2ms" / "scan.json").write_text(json.dumps({"input_dir": str(tmp_path / "project")}))
    port = ws / "outputs" / "gpt_neox"
    port.mkdir(parents=True)
    (port / "configuration_gpt_neox.py").write_text("from transformers import GPTNeoXConfig\n")
    (port / "modeling_gpt_neox.py").write_text(
        "from mindone.transformers.models.gpt_neox.modeling_gpt_neox import GPTNeoXForCausalLM\n"
        "from .configuration_gpt_neox import GPTNeoXConfig\n")
    spec = yaml_spec(tmp_path, torch={"build": "GPTNeoXForCausalLM"},
                     init={"args": [{"build": "GPTNeoXConfig", "kwargs": {
                         "vocab_size": 64, "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4,
                         "intermediate_size": 64, "max_position_embeddings": 64, "attn_implementation": "eager"}}]},
                     inputs=[{"shape": [1, 8], "dtype": "int64", "range": [0, 64]}], outputs=["logits"],
                     tolerance={"atol": 1e-4, "rtol": 0})
    code = parity(project / "modeling_gpt_neox.py", port / "modeling_gpt_neox.py", "--spec", spec)
    out = capsys.readouterr().out
    assert code == 0, out
    # mindone prints notes of its own the first time it is imported
    assert "parity (forward): MATCH, 1/1 values within tolerance" in out.splitlines()
    import sys

    torch_config = sys.modules["transformers.models.gpt_neox.configuration_gpt_neox"]
    assert getattr(torch_config, "PROJECT_COPY", False) and torch_config.__file__ == str(config)


def test_a_package_file_no_installed_package_holds_names_the_spec_key(tmp_path, capsys):
    (tmp_path / "mymodel").mkdir()
    (tmp_path / "mymodel" / "modeling_mymodel_t2ms.py").write_text("from ...activations import ACT2FN\n")
    spec = yaml_spec(tmp_path, torch={"build": "M"}, inputs=[{"shape": [1]}])
    code = parity(tmp_path / "mymodel" / "modeling_mymodel_t2ms.py", DATA / "rnn_ms.py", "--spec", spec)
    out = capsys.readouterr().out
    assert code == 3
    assert out.startswith("parity: TORCH SIDE UNAVAILABLE, modeling_mymodel_t2ms.py imports relative to a package")
    assert "torch: {module: <package.module>, build: ...}" in out


def test_a_torch_side_needing_a_missing_package_is_its_own_verdict(tmp_path, capsys):
    (tmp_path / "model.py").write_text("import torch\nimport tiktoken_t2ms_absent\n")
    spec = yaml_spec(tmp_path, torch={"build": "M"}, inputs=[{"shape": [1]}])
    code = parity(tmp_path / "model.py", DATA / "rnn_ms.py", "--spec", spec)
    out = capsys.readouterr().out
    assert code == 3 and "MISMATCH" not in out
    assert out.strip() == ("parity: TORCH SIDE UNAVAILABLE, the torch original imports tiktoken_t2ms_absent, which "
                           "is not installed here: pip install tiktoken-t2ms-absent (parity cannot run without it)")


def test_a_model_a_script_builds_at_module_level_is_compared(tmp_path, capsys):
    """gan.py's `D = nn.Sequential(...)`: the layers are built on import (definitions only), the
    device move after them is not, and `build: D` names the object itself."""
    (tmp_path / "gan_torch.py").write_text(textwrap.dedent("""\
        import torch
        import torch.nn as nn

        hidden = 16
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        D = nn.Sequential(nn.Linear(8, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, 1), nn.Sigmoid())
        D = D.to(device)
        for step in range(10 ** 9):  # the training loop never runs on import
            raise SystemExit("ran the script")
        """))
    (tmp_path / "gan_ms.py").write_text(textwrap.dedent("""\
        import mindspore
        from mindspore import mint, nn

        hidden = 16
        D = nn.SequentialCell(mint.nn.Linear(8, hidden), nn.LeakyReLU(0.2), mint.nn.Linear(hidden, 1), mint.nn.Sigmoid())
        for step in range(10 ** 9):
            raise SystemExit("ran the script")
        """))
    spec = yaml_spec(tmp_path, cases=None, torch={"build": "D"}, inputs=[{"shape": [4, 8]}])
    code = parity(tmp_path / "gan_torch.py", tmp_path / "gan_ms.py", "--spec", spec)
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.startswith("parity (forward): MATCH, 1/1 values") and "copied 4 tensors by name" in out
    spec = yaml_spec(tmp_path, cases=None, torch={"build": "D"}, init={"args": [3]}, inputs=[{"shape": [4, 8]}])
    assert parity(tmp_path / "gan_torch.py", tmp_path / "gan_ms.py", "--spec", spec) == 2
    assert "'D' is a model the file builds itself: give it no init" in capsys.readouterr().err
