"""No write leaves the workspace or lands on an input (issue cases 2 and 3): symlinks in
outputs/ pointing elsewhere are refused, never written through; an input folder inside outputs/
is refused before anything is written."""

from __future__ import annotations

import os

from torch2ms.cli import main


def test_a_symlinked_output_file_pointing_outside_is_not_written_through(workspace, project, tmp_path, capsys):
    victim = tmp_path / "elsewhere" / "victim.py"
    victim.parent.mkdir()
    victim.write_text("import torch\nprecious = torch.ones(1)\n")  # convertible: a write would show
    outputs = workspace / "outputs"
    outputs.mkdir()
    os.symlink(victim, outputs / "model.py")
    code = main(["convert", str(project), "--workspace", str(workspace)])
    out = capsys.readouterr().out
    assert victim.read_text() == "import torch\nprecious = torch.ones(1)\n"
    assert os.path.islink(outputs / "model.py")
    assert code == 2 and "model.py: not converted:" in out and "is a symlink to" in out and "outside" in out
    assert (outputs / "train.py").is_file()  # the other file is converted as usual


def test_a_symlinked_output_folder_pointing_outside_gets_no_output_and_no_copied_file(tmp_path, capsys):
    proj = tmp_path / "proj"
    (proj / "pkg").mkdir(parents=True)
    (proj / "pkg" / "layers.py").write_text("import torch\nx = torch.tanh(torch.ones(1))\n")
    (proj / "pkg" / "vocab.txt").write_text("a b c\n")
    (proj / "main.py").write_text("import torch\ny = torch.ones(1)\n")
    ws = tmp_path / "ws"
    assert main(["scan", str(proj), "--workspace", str(ws)]) == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (ws / "outputs").mkdir()
    os.symlink(elsewhere, ws / "outputs" / "pkg")
    capsys.readouterr()
    code = main(["convert", str(proj), "--workspace", str(ws)])
    captured = capsys.readouterr()
    assert list(elsewhere.iterdir()) == []  # neither the converted file nor the data file
    assert code == 2 and "pkg/layers.py: not converted:" in captured.out and "is a symlink to" in captured.out
    assert "pkg/vocab.txt" in captured.err and "is a symlink to" in captured.err
    assert (ws / "outputs" / "main.py").is_file()


def test_an_input_folder_inside_outputs_with_a_same_named_sub_package_is_refused(tmp_path, capsys):
    ws = tmp_path / "ws"
    proj = ws / "outputs" / "proj"
    (proj / "proj").mkdir(parents=True)
    original = "import torch\nx = torch.tanh(torch.ones(1))  # the input\n"
    (proj / "model.py").write_text(original)
    (proj / "proj" / "model.py").write_text("import torch\ny = torch.ones(1)\n")
    before = {p: p.read_bytes() for p in proj.rglob("*.py")}
    code = main(["convert", str(proj), "--workspace", str(ws)])
    err = capsys.readouterr().err.strip().splitlines()
    assert {p: p.read_bytes() for p in proj.rglob("*.py")} == before  # outputs/proj/model.py is an input
    assert code == 2 and len(err) == 1 and "lies inside the output folder" in err[0]
    assert main(["scan", str(proj), "--workspace", str(ws)]) == 2
    assert "lies inside the output folder" in capsys.readouterr().err
