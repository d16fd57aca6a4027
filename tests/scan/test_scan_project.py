"""`torch2ms scan` on fixture projects: statuses, local imports, skips, bad input, re-scan, JSON."""

from __future__ import annotations

import json
import os

import pytest

from torch2ms.cli import main
from torch2ms.scan import detect, run as scan_run
from torch2ms.tracker import Tracker



def by_path(data: dict) -> dict:
    return {f["path"]: f for f in data["files"]}

MODEL = """\
import torch
import torch.nn as nn

class Net(nn.Module):
    def forward(self, x):
        return x
"""

PROJECT = {
    "model.py": MODEL,
    "data/dataset.py": "from torch.utils.data import Dataset\nfrom helpers import tokenize\n"
                       "class Lines(Dataset):\n    pass\n",
    "data/__init__.py": "",
    "helpers.py": "def tokenize(s):\n    return s.split()  # no torch here\n",
    "train.py": "import torch\nfrom model import Net\nfrom data.dataset import Lines\n"
                "opt = torch.optim.SGD(Net().parameters(), lr=0.1)\nloss.backward()\nopt.step()\n",
    "serve.py": "from model import Net\nnet = Net()\nnet.eval()\n",  # torch only through model.py
    "wrapper.py": "import serve\n",  # two steps away from torch: not listed
    "half.py": "import torch\nimport mindspore\nfrom mindspore import mint\n",
    "ported.py": "import mindspore.nn as nn\nclass Net(nn.Cell):\n    def construct(self, x):\n        return x\n",
    "ported_tok.py": "import mindspore\nfrom transformers import AutoTokenizer\n",
    "old_py2.py": "import torch\nprint 'hello'\n",
    "continued.py": "import torch\nx = torch.ones(2)\n",
    "notebooks/explore.ipynb": json.dumps({"cells": [
        {"cell_type": "markdown", "source": ["import torch is only text here"]},
        {"cell_type": "code", "source": ["%matplotlib inline\n", "import torch\n", "x = torch.zeros(3)"]}],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5}),
    "notebooks/plain.ipynb": json.dumps({"cells": [{"cell_type": "code", "source": "print(1)"}],
                                         "nbformat": 4, "nbformat_minor": 5}),
    # never entered
    ".git/hooks/x.py": "import torch\n",
    "venv/lib/python3.11/site-packages/torch/__init__.py": "import torch\n",
    "env2/pyvenv.cfg": "home = /usr\n",
    "env2/lib/a.py": "import torch\n",
    "vendor/site-packages/b.py": "import torch\n",
    "__pycache__/c.py": "import torch\n",
}


@pytest.fixture
def project(tmp_path, write_tree):
    return write_tree(tmp_path / "proj", PROJECT)


def test_every_status(project, scan, tmp_path, write_tree):
    ws = tmp_path / "ws"
    write_tree(ws / "outputs", {"continued.py": "import mindspore\n"})
    code, out, err, data = scan(project)
    assert code == 0, err
    files = by_path(data)
    assert {p: f["status"] for p, f in files.items()} == {
        "model.py": "torch", "data/dataset.py": "torch", "train.py": "torch", "serve.py": "torch",
        "half.py": "partial", "ported.py": "mindspore", "ported_tok.py": "mindspore",
        "old_py2.py": "unparseable", "continued.py": "in-outputs", "notebooks/explore.ipynb": "notebook",
    }
    assert data["other_files"] == ["data/__init__.py", "helpers.py", "notebooks/plain.ipynb", "wrapper.py"]
    queued = {p for p, f in files.items() if f["queued"]}
    assert queued == set(files) - {"ported.py", "ported_tok.py", "notebooks/explore.ipynb"}
    assert files["ported_tok.py"]["libraries"] == ["mindspore", "transformers"]
    assert files["serve.py"]["libraries"] == [] and "model.py" in files["serve.py"]["evidence"][0]
    assert any("Python 2" in w for w in files["old_py2.py"]["warnings"])
    assert any("outputs/continued.py exists" in e for e in files["continued.py"]["evidence"])
    assert files["continued.py"]["output_exists"] is True
    assert files["ported.py"]["libraries"] == ["mindspore"]
    assert files["half.py"]["libraries"] == ["torch"]
    assert files["data/dataset.py"]["imports_local"] == ["helpers.py"]
    assert files["train.py"]["imports_local"] == ["data/dataset.py", "model.py"]
    assert files["train.py"]["category"] == "Training"
    assert files["data/dataset.py"]["category"] == "Data"
    assert files["model.py"]["category"] == "Modeling"
    assert files["serve.py"]["category"] == "Inference"
    # dependency order: modules before the files importing them
    order = data["order"]
    assert order.index("model.py") < order.index("train.py")
    assert order.index("data/dataset.py") < order.index("train.py")
    assert order.index("model.py") < order.index("serve.py")
    # the same data is in the markdown tracker
    t = Tracker.load(ws / "files_to_convert.md")
    assert [e.to_dict() for e in t.entries] == [
        {k: v for k, v in f.items() if k not in ("output", "output_exists")} for f in data["files"]]
    assert "Tracker:" in out and "Conversion order" in out


def test_json_flag_prints_the_scan_data(project, scan, tmp_path):
    code, out, err, data = scan(project, "--json")
    assert code == 0
    printed = json.loads(out)
    assert printed == data
    assert printed["counts"]["listed"] == 10 and printed["counts"]["to_convert"] == 7
    assert printed["counts"]["by_category"] == {"Modeling": 1, "Data": 1, "Training": 1, "Inference": 1,
                                                   "Utility": 3, "Config": 0}
    assert printed["stats"]["files_scanned"] == 14


def test_rescan_keeps_ticks_edits_checks_and_marks_vanished(project, scan, tmp_path, write_tree):
    ws = tmp_path / "ws"
    scan(project)
    assert main(["done", "model.py", "--force", "--workspace", str(ws)]) == 0
    assert main(["edit", "model.py", "-m", "forward -> construct", "--workspace", str(ws)]) == 0
    with Tracker.locked(ws / "files_to_convert.md") as t:
        t.set_check("model.py", "fail: 3 torch refs")
    first = (ws / "files_to_convert.md").read_text()

    scan(project)
    assert (ws / "files_to_convert.md").read_text() == first  # idempotent, byte for byte

    (project / "train.py").unlink()
    (project / "half.py").write_text("import mindspore\n")  # finished in place: MindSpore now
    (project / "continued.py").write_text("x = 1\n")  # no framework code left at all
    write_tree(project, {"extra.py": "import torchvision\n"})
    code, _, _, data = scan(project)
    assert code == 0
    files = by_path(data)
    assert files["model.py"]["done"] and files["model.py"]["check"] == "fail: 3 torch refs"
    assert files["train.py"]["vanished"] and not files["train.py"]["queued"]
    assert files["half.py"]["status"] == "mindspore" and not files["half.py"]["queued"]
    assert files["continued.py"]["vanished"]  # no longer a torch file: kept, marked, with a warning
    assert any("no torch-ecosystem code now" in w for w in files["continued.py"]["warnings"])
    assert files["extra.py"]["status"] == "torch"
    t = Tracker.load(ws / "files_to_convert.md")
    assert t.edits["model.py"] == ["- forward -> construct"]

    (project / "train.py").write_text("import torch\n")
    _, _, _, data = scan(project)
    assert by_path(data)["train.py"]["vanished"] is False


def test_outputs_and_state_inside_the_input_are_skipped(project, scan, write_tree):
    # the workspace is the project itself: its outputs/ must not be scanned as input
    write_tree(project, {"outputs/model.py": "import torch\n", "outputs/new.py": "import torch\n"})
    code, _, _, data = scan(project, workspace=project)
    assert code == 0
    files = by_path(data)
    assert "outputs/new.py" not in files and "outputs/model.py" not in files
    assert files["model.py"]["status"] == "in-outputs"
    code, _, _, data2 = scan(project, workspace=project)  # .torch2ms/ exists now: still skipped
    assert [f["path"] for f in data2["files"]] == [f["path"] for f in data["files"]]


@pytest.mark.parametrize("make, message", [
    (lambda p: p / "missing", "no such folder"),
    (lambda p: (p / "file.py").write_text("x") and p / "file.py", "not a folder"),
])
def test_bad_input_folder(tmp_path, scan, make, message):
    target = make(tmp_path)
    code, out, err, data = scan(target)
    assert code == 2 and data is None
    assert err.startswith("torch2ms scan: ") and message in err and err.count("\n") == 1


def test_folder_without_permission(tmp_path, scan, monkeypatch):
    target = tmp_path / "locked"
    target.mkdir()

    def denied(path):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "listdir", denied)
    code, _, err, _ = scan(target)
    assert code == 2 and "no permission" in err


def test_tracker_from_another_folder_is_not_overwritten(tmp_path, scan, project, write_tree):
    other = write_tree(tmp_path / "other", {"a.py": "import torch\n"})
    assert scan(project)[0] == 0
    code, _, err, _ = scan(other)
    assert code == 2 and "was made from" in err


def test_bad_files_warn_and_the_rest_goes_on(tmp_path, scan, monkeypatch, write_tree):
    proj = write_tree(tmp_path / "proj", {
        "good.py": "import torch\n",
        "latin.py": "import torch\n# caf\xe9\n".encode("latin-1"),
        "binary.py": b"\x7fELF\x00\x00\x01import torch",
        "secret.py": "import torch\n",
        "loop/inner.py": "import torch\n",
    })
    os.symlink("..", proj / "loop" / "back")  # a folder loop
    os.symlink("self.py", proj / "self.py")  # a file loop
    os.symlink("gone.py", proj / "dangling.py")
    (proj / "odd`name.py").write_text("import torch\n")
    (proj / os.fsdecode(b"caf\xe9.py")).write_text("import torch\n")  # a latin-1 file name
    (proj / "deep.py").write_text("import torch\nx = " + "(" * 300 + ")" * 300 + "\n")
    real_open = open

    def guarded_open(path, *a, **k):
        if str(path).endswith("secret.py"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *a, **k)

    monkeypatch.setattr(detect, "open", guarded_open, raising=False)
    code, out, err, data = scan(proj)
    assert code == 0
    files = by_path(data)
    assert set(files) == {"good.py", "latin.py", "loop/inner.py", "deep.py"}
    assert files["deep.py"]["status"] == "unparseable"
    assert any("latin-1" in w for w in files["latin.py"]["warnings"])
    warnings = "\n".join(data["warnings"])
    assert "binary.py: binary content" in warnings
    assert "secret.py: cannot read it (Permission denied)" in warnings
    assert "loop/back/: symlink loop" in warnings
    assert "self.py: symlink loop" in warnings
    assert "dangling.py: broken symlink" in warnings
    assert "odd`name.py: a file name the tracker cannot hold" in warnings
    assert "caf\\udce9.py: a file name the tracker cannot hold" in warnings
    assert "Warnings (" in out


def test_parallel_scan_gives_the_same_result(project, scan, tmp_path, monkeypatch):
    _, _, _, serial = scan(project, workspace=tmp_path / "a")
    monkeypatch.setattr(scan_run, "PARALLEL_FROM", 1)
    _, _, _, parallel = scan(project, "--jobs", "2", workspace=tmp_path / "b")
    assert serial["files"] == [
        {**f, "output": f["output"].replace("/b/", "/a/")} for f in parallel["files"]]


def test_user_packages_from_the_workspace_file_and_the_flag(tmp_path, scan, write_tree):
    proj = write_tree(tmp_path / "proj", {"a.py": "import house_torch_lib\n", "b.py": "import other_lib\n",
                                          "c.py": "import numpy\n"})
    ws = write_tree(tmp_path / "ws", {"torch2ms-ecosystem.yaml": "torch:\n  - house_torch_lib\n"})
    _, _, _, data = scan(proj, "--package", "other_lib", workspace=ws)
    files = by_path(data)
    assert files["a.py"]["libraries"] == ["house_torch_lib"] and files["b.py"]["libraries"] == ["other_lib"]
    assert data["other_files"] == ["c.py"]
    (ws / "torch2ms-ecosystem.yaml").write_text("torch: house_torch_lib\n")
    code, _, err, _ = scan(proj, workspace=ws)
    assert code == 2 and "must be a list" in err


def test_a_moved_project_is_followed(tmp_path, scan, write_tree):
    proj = write_tree(tmp_path / "old", {"a.py": "import torch\n"})
    assert scan(proj)[0] == 0
    assert main(["done", "a.py", "--force", "--workspace", str(tmp_path / "ws")]) == 0
    moved = proj.rename(tmp_path / "new")
    code, _, err, data = scan(moved)
    assert code == 0 and "is gone" in err
    assert data["input_dir"] == str(moved) and by_path(data)["a.py"]["done"] is True


def test_rescan_reads_only_changed_files(project, scan, tmp_path, monkeypatch):
    calls = []
    real = scan_run.analyse_file

    def counting(abs_path, rel, config):
        calls.append(rel)
        return real(abs_path, rel, config)

    monkeypatch.setattr(scan_run, "analyse_file", counting)
    _, _, _, first = scan(project)
    assert len(calls) == first["stats"]["files_scanned"] == first["stats"]["files_analysed"]
    calls.clear()
    _, out, _, second = scan(project)
    assert calls == [] and "unchanged since the last scan" in out
    assert second["files"] == first["files"]
    (project / "helpers.py").write_text("import torch\n")  # now a torch file
    _, _, _, third = scan(project)
    assert calls == ["helpers.py"]
    assert by_path(third)["helpers.py"]["status"] == "torch"
    calls.clear()
    scan(project, "--no-cache")
    assert len(calls) == first["stats"]["files_scanned"]
    (tmp_path / "ws" / ".torch2ms" / "scan-cache.json").write_text("{not json")
    calls.clear()
    assert scan(project)[0] == 0 and len(calls) == first["stats"]["files_scanned"]


def test_an_unlistable_subfolder_warns(tmp_path, scan, write_tree, monkeypatch):
    proj = write_tree(tmp_path / "proj", {"a.py": "import torch\n", "private/b.py": "import torch\n"})
    real = os.scandir

    def scandir(path):
        if str(path).endswith("private"):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    code, _, _, data = scan(proj)
    assert code == 0 and [f["path"] for f in data["files"]] == ["a.py"]
    assert data["warnings"] == ["private/: cannot list it (Permission denied): skipped"]


def test_order_lines_label_libraries_and_status(tmp_path, scan, write_tree):
    proj = write_tree(tmp_path / "p", {"gpt.py": "import torch\nclass GPT(torch.nn.Module):\n    pass\n"})
    code, out, _, _ = scan(proj)
    assert code == 0
    line = next(x for x in out.splitlines() if "gpt.py  [" in x)
    assert "[Modeling; libraries: torch; status: torch]" in line


def test_libraries_the_verification_environment_lacks_are_reported(tmp_path, scan, write_tree):
    proj = write_tree(tmp_path / "proj", {
        "train.py": "import torch\nimport torch2ms_absent_tokenizer as tok\nimport numpy, os, json\n"
                    "from sklearn_t2ms_absent.metrics import f1\nimport helpers\nfrom pkg import util\n"
                    "try:\n    import flash_attn_t2ms_absent\nexcept ImportError:\n    flash = None\n"
                    "if is_x_available():\n    from apex_t2ms_absent import amp\n",
        "helpers.py": "import torch\n",
        "pkg/__init__.py": "", "pkg/util.py": "X = 1\n",
    })
    code, out, err, data = scan(proj)
    assert code == 0, err
    warnings = by_path(data)["train.py"]["warnings"]
    assert warnings == [
        "the torch original imports sklearn_t2ms_absent, not installed here: parity cannot run "
        "(pip install sklearn-t2ms-absent)",
        "the torch original imports torch2ms_absent_tokenizer, not installed here: parity cannot run "
        "(pip install torch2ms-absent-tokenizer)",
    ]
    assert by_path(data)["helpers.py"]["warnings"] == []
    # shown when the scan runs, not only in the tracker
    assert "train.py: the torch original imports torch2ms_absent_tokenizer, not installed here" in out


@pytest.mark.parametrize("line", ["from torch.utils.t2ms_board import SummaryWriter",
                                  "from torch.utils import t2ms_board",
                                  "import torch.utils.t2ms_board.writer"])
def test_a_module_of_an_installed_library_that_needs_an_absent_package_is_reported(
        tmp_path, scan, write_tree, monkeypatch, line):
    """`torch.utils.tensorboard` is torch's, yet it imports tensorboard, which torch does not install."""
    from torch2ms.scan import detect

    monkeypatch.setitem(detect.NEEDS, "torch.utils.t2ms_board", "t2ms_board_absent")
    proj = write_tree(tmp_path / "proj", {"train.py": f"import torch\n{line}\n"})
    code, _, err, data = scan(proj)
    assert code == 0, err
    assert by_path(data)["train.py"]["warnings"] == [
        "the torch original imports t2ms_board_absent, not installed here: parity cannot run "
        "(pip install t2ms-board-absent)"]


def test_tensorboard_is_known_to_be_needed_by_torch_utils_tensorboard():
    from torch2ms.scan import detect

    assert detect._needed("torch.utils.tensorboard", ("SummaryWriter",)) == ["tensorboard"]
    assert detect._needed("torch.utils", ("tensorboard",)) == ["tensorboard"]
    assert detect._needed("torch.utils.data", ("DataLoader",)) == []
