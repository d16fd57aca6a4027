"""`torch2ms convert`: outputs at the same relative path, inputs untouched, outputs as the
starting point, JSON and diff modes, edits recorded in the tracker."""

import json

from torch2ms.cli import main
from torch2ms.tracker import Entry, Tracker

MODEL = "import torch\nfrom torch import nn\n\n\nclass M(nn.Module):\n    def forward(self, x):\n        return torch.tanh(x)\n"
OTHER = "import torch\ny = torch.frobnicate(1)\n"


def _project(tmp_path):
    proj = tmp_path / "proj"
    (proj / "pkg").mkdir(parents=True)
    (proj / "model.py").write_text(MODEL)
    (proj / "pkg" / "other.py").write_text(OTHER)
    (proj / "README.md").write_text("not python\n")
    return proj


def test_folder_converted_to_same_relative_paths(tmp_path, capsys):
    proj = _project(tmp_path)
    ws = tmp_path / "ws"
    code = main(["convert", str(proj), "--workspace", str(ws), "-j", "2"])
    out = capsys.readouterr().out
    assert code == 1  # one call is flagged
    assert (proj / "model.py").read_text() == MODEL and (proj / "pkg" / "other.py").read_text() == OTHER
    converted = (ws / "outputs" / "model.py").read_text()
    assert "class M(nn.Cell):" in converted and "def construct(self, x):" in converted
    assert (ws / "outputs" / "pkg" / "other.py").exists()
    assert not (ws / "outputs" / "README.md").exists()
    assert "model.py: found 1, converted 1, flagged 0" in out
    assert "pkg/other.py: found 1, converted 0, flagged 1" in out
    assert "total: 2 files, torch call sites found 2, converted 1, flagged 1 (50.0% converted)" in out


def test_existing_output_is_the_starting_point(tmp_path, capsys):
    proj = _project(tmp_path)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    edited = "import torch\n# edited by hand\ny = torch.tanh(1)\n"
    (out_dir / "other.py").write_text(edited)
    main(["convert", str(proj / "pkg" / "other.py"), "-o", str(out_dir)])
    result = (out_dir / "other.py").read_text()  # a single file lands at its name
    assert result == "from mindspore import mint\n# edited by hand\ny = mint.tanh(1)\n"
    assert "(from the existing output)" in capsys.readouterr().out
    assert (proj / "pkg" / "other.py").read_text() == OTHER


def test_json_and_diff_modes(tmp_path, capsys):
    proj = _project(tmp_path)
    main(["convert", str(proj / "model.py"), "-o", str(tmp_path / "o"), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert data["total"] == {"found": 1, "converted": 1, "flagged": 0}
    edits = data["files"][0]["edits"]
    assert {"line": 5, "rule": "modules", "before": "nn.Module", "after": "nn.Cell"} in edits
    main(["convert", str(proj / "model.py"), "-o", str(tmp_path / "d"), "--diff"])
    diff = capsys.readouterr().out
    assert "-class M(nn.Module):" in diff and "+class M(nn.Cell):" in diff
    assert not (tmp_path / "d").exists()


def test_bad_input(tmp_path, capsys):
    assert main(["convert", str(tmp_path / "missing")]) == 2
    assert "torch2ms convert:" in capsys.readouterr().err
    proj = _project(tmp_path)
    assert main(["convert", str(proj), "-o", str(proj)]) == 2


def test_edits_go_to_the_tracker(tmp_path, capsys):
    proj = _project(tmp_path)
    ws = tmp_path / "ws"
    ws.mkdir()
    tracker = Tracker(ws / "files_to_convert.md", proj)
    tracker.entries = [Entry(path="model.py", category="Modeling"),
                       Entry(path="pkg/other.py", category="Modeling")]
    tracker.save()
    main(["convert", str(proj / "pkg"), "--workspace", str(ws)])
    # relative to the tracker's input folder, not to the folder given
    assert (ws / "outputs" / "pkg" / "other.py").exists()
    main(["convert", str(proj), "--workspace", str(ws)])
    loaded = Tracker.load(ws / "files_to_convert.md")
    assert "- convert L5 modules: nn.Module -> nn.Cell" in loaded.edits["model.py"]
    assert any("TODO torch.frobnicate" in line for line in loaded.edits["pkg/other.py"])
    before = (ws / "files_to_convert.md").read_text()
    main(["convert", str(proj), "--workspace", str(ws)])  # nothing left to convert
    assert (ws / "files_to_convert.md").read_text() == before


def test_exit_status_tells_flags_from_failures(tmp_path, capsys):
    ws = tmp_path / "ws"
    clean = tmp_path / "clean.py"
    clean.write_text("import torch\ny = torch.tanh(torch.ones(2))\n")
    flagged = tmp_path / "flagged.py"
    flagged.write_text(OTHER)
    broken = tmp_path / "broken.py"
    broken.write_text("import torch\ndef f(:\n")
    assert main(["convert", str(clean), "--workspace", str(ws)]) == 0
    assert main(["convert", str(flagged), "--workspace", str(ws)]) == 1
    assert main(["convert", str(broken), "--workspace", str(ws)]) == 2
    assert "broken.py: not converted: does not parse" in capsys.readouterr().out
    assert main(["convert", str(tmp_path / "missing.py"), "--workspace", str(ws)]) == 2


def test_help_documents_the_exit_status(capsys):
    import pytest
    with pytest.raises(SystemExit):
        main(["convert", "--help"])
    assert "1  lines flagged for review" in capsys.readouterr().out


def test_project_files_are_copied_once_into_outputs(tmp_path, capsys):
    proj = _project(tmp_path)
    (proj / "helpers.py").write_text("def tokens(s):\n    return s.split()\n")
    (proj / "data").mkdir()
    (proj / "data" / "corpus.txt").write_text("hello\n")
    (proj / ".git").mkdir()
    (proj / ".git" / "HEAD").write_text("ref\n")
    with open(proj / "big.bin", "wb") as f:  # sparse: no 10 MB written
        f.truncate(10 * 1024 * 1024 + 1)
    ws = tmp_path / "ws"
    assert main(["scan", str(proj), "--workspace", str(ws)]) == 0
    (ws / "outputs").mkdir(exist_ok=True)
    (ws / "outputs" / "README.md").write_text("edited\n")
    capsys.readouterr()
    main(["convert", str(proj / "model.py"), "--workspace", str(ws)])
    out = capsys.readouterr().out
    outputs = ws / "outputs"
    assert (outputs / "helpers.py").read_text() == (proj / "helpers.py").read_text()
    assert (outputs / "data" / "corpus.txt").read_text() == "hello\n"
    assert (outputs / "README.md").read_text() == "edited\n"  # never overwritten
    assert not (outputs / ".git").exists() and not (outputs / "big.bin").exists()
    assert not (outputs / "pkg" / "other.py").exists()  # a torch file: converted, not copied
    assert "copied 2 project files without torch" in out and "helpers.py, data/corpus.txt" in out
    assert "not copied, over 10 MB: big.bin" in out
    main(["convert", str(proj / "model.py"), "--workspace", str(ws)])
    assert "project files without torch" not in capsys.readouterr().out
