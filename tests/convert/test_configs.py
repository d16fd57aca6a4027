"""Configs (Hydra, Lightning CLI) and requirement files of a project: listed by the scan as
Config, rewritten by `torch2ms convert` with the mapping tables, the rest marked; `done`
verifies them."""

from __future__ import annotations

import json

from torch2ms.cli import main
from torch2ms.convert.mappings import default_table
from torch2ms.tracker import Tracker

OPTIMIZER = """\
_target_: torch.optim.Adam
_partial_: true
lr: 0.001  # learning rate
weight_decay: 0.0
"""

TRAINER = """\
_target_: lightning.pytorch.trainer.Trainer
default_root_dir: ${paths.output_dir}
max_epochs: 10
"""

CLI = """\
model:
  class_path: src.models.mnist_module.MNISTLitModule
optimizer:
  class_path: torch.optim.lr_scheduler.StepLR
tokenizer: transformers.AutoTokenizer
"""

REQUIREMENTS = """\
--extra-index-url https://download.pytorch.org/whl/cpu
torch>=2.0.0
torchvision>=0.15.0
lightning>=2.0.0
hydra-core==1.3.2
"""

PROJECT = {
    "src/__init__.py": "",
    "src/train.py": "import hydra\nimport lightning as L\n\n@hydra.main(config_path='../configs')\n"
                    "def main(cfg):\n    trainer = hydra.utils.instantiate(cfg.trainer)\n    trainer.fit(None)\n",
    "configs/model/optimizer/adam.yaml": OPTIMIZER,
    "configs/trainer/default.yaml": TRAINER,
    "configs/cli.yaml": CLI,
    "configs/paths/default.yaml": "output_dir: ${hydra:runtime.output_dir}\n",
    "configs/callbacks.json": json.dumps({"callback": "lightning.pytorch.callbacks.ModelCheckpoint",
                                          "loss": "torch.nn.CrossEntropyLoss"}),
    "requirements.txt": REQUIREMENTS,
    "data/big.json": json.dumps({"rows": ["torch.optim.Adam"] * 30000}),  # data, not a config
}


def project(tmp_path):
    for rel, text in PROJECT.items():
        path = tmp_path / "proj" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path / "proj", tmp_path / "ws"


def test_scan_lists_configs_naming_torch_classes_as_config(tmp_path, capsys):
    proj, ws = project(tmp_path)
    assert main(["scan", str(proj), "--workspace", str(ws), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    files = {f["path"]: f for f in data["files"]}
    configs = {p for p, f in files.items() if f["category"] == "Config"}
    assert configs == {"configs/model/optimizer/adam.yaml", "configs/trainer/default.yaml", "configs/cli.yaml",
                       "configs/callbacks.json", "requirements.txt"}
    assert all(files[p]["queued"] for p in configs)
    assert "torch.optim.Adam" in files["configs/model/optimizer/adam.yaml"]["evidence"][0]
    assert files["requirements.txt"]["libraries"] == ["lightning", "torch", "torchvision"]
    assert data["counts"]["by_category"]["Config"] == 5
    assert files["src/train.py"]["category"] == "Training"  # the @hydra.main entry point
    # a config without torch names is no entry, and not counted as a torch-free source either
    assert "configs/paths/default.yaml" not in files and "configs/paths/default.yaml" not in data["other_files"]
    assert "data/big.json" not in files


def test_convert_maps_names_with_the_tables_and_marks_the_rest(tmp_path, capsys):
    proj, ws = project(tmp_path)
    main(["scan", str(proj), "--workspace", str(ws)])
    capsys.readouterr()
    code = main(["convert", str(proj / "configs" / "model" / "optimizer" / "adam.yaml"), "--workspace", str(ws)])
    assert code == 0
    adam = (ws / "outputs" / "configs" / "model" / "optimizer" / "adam.yaml").read_text()
    target = default_table()["torch.optim.Adam"].to
    assert adam == OPTIMIZER.replace("torch.optim.Adam", target)  # only that line changed
    assert target == "mindspore.mint.optim.Adam"

    assert main(["convert", str(proj / "configs" / "trainer" / "default.yaml"), "--workspace", str(ws)]) == 1
    trainer = (ws / "outputs" / "configs" / "trainer" / "default.yaml").read_text().splitlines()
    assert trainer[0].startswith("_target_: lightning.pytorch.trainer.Trainer  # TODO(torch2ms): ")
    assert trainer[1:] == TRAINER.splitlines()[1:]

    main(["convert", str(proj / "configs" / "cli.yaml"), "--workspace", str(ws)])
    cli = (ws / "outputs" / "configs" / "cli.yaml").read_text()
    assert "class_path: " + default_table()["torch.optim.lr_scheduler.StepLR"].to in cli
    assert "src.models.mnist_module.MNISTLitModule" in cli and "tokenizer: transformers.AutoTokenizer\n" in cli

    capsys.readouterr()
    assert main(["convert", str(proj / "configs" / "callbacks.json"), "--workspace", str(ws)]) == 1
    out = capsys.readouterr().out
    converted = json.loads((ws / "outputs" / "configs" / "callbacks.json").read_text())
    assert converted == {"callback": "lightning.pytorch.callbacks.ModelCheckpoint",
                         "loss": default_table()["torch.nn.CrossEntropyLoss"].to}
    assert "lightning.pytorch.callbacks.ModelCheckpoint" in out and "JSON has no comments" in out

    tracker = Tracker.load(ws / "files_to_convert.md")
    assert any("torch.optim.Adam -> mindspore.mint.optim.Adam" in line
               for line in tracker.edits["configs/model/optimizer/adam.yaml"])


def test_requirements_are_rewritten_to_the_mindspore_stack(tmp_path, capsys):
    proj, ws = project(tmp_path)
    main(["scan", str(proj), "--workspace", str(ws)])
    assert main(["convert", str(proj / "requirements.txt"), "--workspace", str(ws)]) == 1
    lines = (ws / "outputs" / "requirements.txt").read_text().splitlines()
    assert lines[0].startswith("# --extra-index-url")
    assert lines[1] == "mindspore==2.10.0"
    assert lines[2].startswith("# torchvision>=0.15.0")
    assert lines[3].startswith("lightning>=2.0.0  # TODO(torch2ms): lightning has no MindSpore counterpart")
    assert lines[4] == "hydra-core==1.3.2"
    assert (proj / "requirements.txt").read_text() == REQUIREMENTS


def test_done_ticks_a_config_only_once_nothing_of_torch_is_left(tmp_path, capsys):
    proj, ws = project(tmp_path)
    main(["scan", str(proj), "--workspace", str(ws)])
    main(["convert", str(proj / "configs" / "trainer" / "default.yaml"), "--workspace", str(ws)])
    main(["convert", str(proj / "configs" / "model" / "optimizer" / "adam.yaml"), "--workspace", str(ws)])
    capsys.readouterr()
    assert main(["done", "configs/trainer/default.yaml", "--workspace", str(ws)]) == 1
    err = capsys.readouterr().err
    assert "1 TODO(torch2ms) marker left" in err and "still names lightning.pytorch.trainer.Trainer" in err
    assert main(["done", "configs/model/optimizer/adam.yaml", "--workspace", str(ws)]) == 0
    # the marker resolved (the plain loop replaces the Trainer) and recorded: then it is done
    out = ws / "outputs" / "configs" / "trainer" / "default.yaml"
    out.write_text("default_root_dir: ${paths.output_dir}\nmax_epochs: 10\n")
    assert main(["edit", "configs/trainer/default.yaml", "-m", "Trainer dropped: train.py runs the loop",
                 "--workspace", str(ws)]) == 0
    assert main(["done", "configs/trainer/default.yaml", "--workspace", str(ws)]) == 0
    # the verdict is recorded where the check's are: the report counts the file as checked
    record = json.loads((ws / ".torch2ms" / "check.json").read_text())["files"]["configs/trainer/default.yaml"]
    assert record["verdict"] == "pass"
    assert main(["report", "--workspace", str(ws)]) == 0
    report = (ws / "conversion_report.md").read_text()
    row = next(line for line in report.splitlines() if "`configs/trainer/default.yaml`" in line and line.startswith("|"))
    assert "| yes |" in row and "check not passed" not in row
    out.write_text("max_epochs: [10\n")  # a broken one is refused
    main(["done", "configs/trainer/default.yaml", "--undo", "--workspace", str(ws)])
    capsys.readouterr()
    assert main(["done", "configs/trainer/default.yaml", "--workspace", str(ws)]) == 1
    assert "does not parse" in capsys.readouterr().err


PYPROJECT = """\
[project]
dependencies = [
  "einops>=0.8.2",
  "torch>=2.4",
  "torchvision",
  "accelerate",
]

[project.optional-dependencies]
test = [
  "pytest",
  "torch==2.4.0",
]
"""


def test_pyproject_dependencies_get_the_stack_in_each_list(tmp_path, capsys):
    import tomllib

    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "pyproject.toml").write_text(PYPROJECT)
    assert main(["convert", str(tmp_path / "proj" / "pyproject.toml"), "-o", str(tmp_path / "out")]) == 1
    text = (tmp_path / "out" / "pyproject.toml").read_text()
    project = tomllib.loads(text)["project"]
    assert project["dependencies"] == ["einops>=0.8.2", "mindspore==2.10.0", "accelerate"]
    assert project["optional-dependencies"]["test"] == ["pytest", "mindspore==2.10.0"]
    assert '"accelerate",  # TODO(torch2ms): accelerate has no MindSpore counterpart' in text


def test_listed_configs_are_converted_never_copied_as_they_are(tmp_path, capsys):
    """Converting a Python file copies the project's torch-free files into outputs/; a config or
    requirement file the scan lists is not one of them: its output is the converted one."""
    proj, ws = project(tmp_path)
    main(["scan", str(proj), "--workspace", str(ws)])
    capsys.readouterr()
    main(["convert", str(proj / "src" / "train.py"), "--workspace", str(ws)])
    out = capsys.readouterr().out
    assert "configs/paths/default.yaml" in out  # a config without torch names is copied
    for listed in ("requirements.txt", "configs/trainer/default.yaml", "configs/callbacks.json"):
        assert listed not in out
        assert not (ws / "outputs" / listed).exists()
    main(["convert", str(proj / "requirements.txt"), "--workspace", str(ws)])
    assert (ws / "outputs" / "requirements.txt").read_text().splitlines()[1] == "mindspore==2.10.0"
