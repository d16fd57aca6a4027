"""`torch2ms parity` on two files and a spec: exit codes 0 / 1 / 2 and a readable summary."""

import json
from pathlib import Path

import pytest
import yaml

from torch2ms.cli import main

DATA = Path(__file__).parent / "data"
TORCH_FILE, MS_FILE = str(DATA / "toy_torch.py"), str(DATA / "toy_ms.py")


@pytest.fixture(autouse=True)
def fallback_restored(request, monkeypatch):
    """The command's work runs in-process (as in the bounded child it starts for itself, which the
    test marked `sandboxed` goes through), and the CPU fallback it enables is turned off again."""
    from torch2ms import cpu_fallback, sandbox

    if "sandboxed" not in request.keywords:
        monkeypatch.setenv(sandbox.ENV_INSIDE, "1")
    was = cpu_fallback.is_enabled()
    yield
    if not was:
        cpu_fallback.disable()


def write_spec(tmp_path, **changes):
    spec = yaml.safe_load((DATA / "toy_spec.yaml").read_text())
    spec.update(changes)
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec))
    return str(path)


@pytest.mark.sandboxed
def test_matching_port_exits_0_with_the_figures(capsys):
    code = main(["parity", TORCH_FILE, MS_FILE, "--spec", str(DATA / "toy_spec.yaml")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.startswith("parity (forward): MATCH, 3/3 values within tolerance")
    assert "ok   logits float32[2, 5, 5]: max abs err" in out


def test_broken_port_exits_1_and_names_the_module(tmp_path, capsys):
    spec = write_spec(tmp_path, mindspore={"kwargs": {"fault": "wrong_eps"}})
    code = main(["parity", TORCH_FILE, MS_FILE, "--spec", spec])
    out = capsys.readouterr().out
    assert code == 1
    assert "MISMATCH" in out and "first diverging sub-module: blocks.1.norm2" in out


def test_json_report_and_train_mode(tmp_path, capsys):
    spec = write_spec(tmp_path, mindspore={"kwargs": {"fault": "stop_gradient"}}, train={"output": "logits"})
    code = main(["parity", TORCH_FILE, MS_FILE, "--spec", spec, "--check", "step", "--mode", "train", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and report["mode"] == "train-step" and not report["ok"]
    failing = {r["path"] for r in report["results"] if not r["ok"]}
    assert "grad:blocks.0.mlp.fc1.weight" in failing


def test_port_whose_weights_do_not_map_exits_1(tmp_path, capsys):
    spec = write_spec(tmp_path, mindspore={"kwargs": {"fault": "wide_head"}})
    code = main(["parity", TORCH_FILE, MS_FILE, "--spec", spec])
    out = capsys.readouterr().out
    assert code == 1
    assert "the torch weights do not map onto the port" in out
    assert "shape mismatch: torch head.weight [5, 16] vs mindspore head.weight [6, 16]" in out


def test_port_that_does_not_import_exits_1(tmp_path, capsys):
    broken = tmp_path / "port.py"
    broken.write_text("import mindspore\nfrom mindspore import mint\nx = mint.no_such_api\n")
    code = main(["parity", TORCH_FILE, str(broken), "--spec", str(DATA / "toy_spec.yaml")])
    out = capsys.readouterr().out
    assert code == 1
    assert "the MindSpore port fails to import: AttributeError" in out and "port.py:3" in out


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"inputs": []}, "the spec needs inputs"),
        ({"torch": {"build": "NoSuchModel"}}, "torch file has no callable 'NoSuchModel'"),
        ({"shapes": [1]}, "unknown spec keys: shapes"),
        ({"inputs": [{"shape": [2, 5, 7]}]}, "the torch side fails with the spec's inputs"),
        ({"train": {"optimizer": "lion"}}, "train.optimizer must be sgd, adam or adamw"),
    ],
)
def test_bad_spec_exits_2_with_one_line(tmp_path, capsys, changes, message):
    code = main(["parity", TORCH_FILE, MS_FILE, "--spec", write_spec(tmp_path, **changes)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err[-1].startswith("torch2ms parity: ") and message in err[-1]


def test_missing_file_exits_2(tmp_path, capsys):
    code = main(["parity", str(tmp_path / "nope.py"), MS_FILE, "--spec", str(DATA / "toy_spec.yaml")])
    assert code == 2 and "torch file not found" in capsys.readouterr().err
