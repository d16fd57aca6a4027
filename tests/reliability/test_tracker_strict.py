"""The tracker reader is strict where a mistake would lose records, and keeps what it does not
know (issue cases 4 to 7): a misspelt heading is refused with its line named and the tracker is
never rewritten; an edit or a tick made while a scan runs survives the scan; names with any
line-breaking character are not listed; text a person added stays where it was."""

from __future__ import annotations

import pytest
from torch2ms.cli import main
from torch2ms.tracker import Tracker


def _tracker(ws):
    return ws / "files_to_convert.md"


def _with_records(ws):
    with Tracker.locked(_tracker(ws)) as t:
        t.add_edits("model.py", [f"edit record {i}" for i in range(79)])
    return _tracker(ws)


@pytest.mark.parametrize("typo", ["## Edits:", "##Edits", "## edits", "## Files:", "##files", "# Files"])
@pytest.mark.parametrize("argv", [["edit", "model.py", "-m", "x"], ["done", "model.py", "--force"], ["next"],
                                  ["scan", "PROJECT"], ["report"]])
def test_a_misspelt_heading_is_refused_naming_the_line_and_never_rewritten(workspace, project, capsys, typo, argv):
    path = _with_records(workspace)
    heading = "## Files" if "iles" in typo else "## Edits"
    text = path.read_text().replace(f"\n{heading}\n", f"\n{typo}\n")
    path.write_text(text)
    number = text.splitlines().index(typo) + 1
    argv = [str(project) if a == "PROJECT" else a for a in argv]
    capsys.readouterr()
    assert main([*argv, "--workspace", str(workspace)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"torch2ms {argv[0]}: ") and f"line {number}" in err[0]
    assert f"'{typo}'" in err[0] and f"'{heading}'" in err[0]
    assert path.read_text() == text


def test_check_with_a_misspelt_heading_writes_no_verdict_into_the_tracker(workspace, capsys):
    path = _with_records(workspace)
    text = path.read_text().replace("\n## Edits\n", "\n## Edits:\n")
    path.write_text(text)
    out = workspace / "outputs" / "model.py"
    out.parent.mkdir()
    out.write_text("x = 1\n")
    main(["check", str(out), "--workspace", str(workspace)])
    assert "'## Edits:' is not the '## Edits' heading" in capsys.readouterr().err
    assert path.read_text() == text


def test_a_missing_heading_is_refused(workspace, capsys):
    path = _with_records(workspace)
    text = path.read_text().replace("\n## Edits\n", "\n")
    path.write_text(text)
    assert main(["edit", "model.py", "-m", "x", "--workspace", str(workspace)]) == 2
    assert "no '## Edits' heading" in capsys.readouterr().err
    assert path.read_text() == text


def test_edit_and_done_made_while_a_scan_runs_survive_it(workspace, project, monkeypatch, capsys):
    import torch2ms.scan.cli as scan_cli

    real = scan_cli.scan_folder

    def scan_while_the_user_works(*args, **kwargs):
        result = real(*args, **kwargs)
        # the scan has read the project; meanwhile the user records an edit and ticks a file
        assert main(["edit", "model.py", "-m", "made during the scan", "--workspace", str(workspace)]) == 0
        assert main(["done", "train.py", "--force", "--workspace", str(workspace)]) == 0
        return result

    monkeypatch.setattr(scan_cli, "scan_folder", scan_while_the_user_works)
    (project / "new.py").write_text("import torch\nz = torch.zeros(1)\n")
    assert main(["scan", str(project), "--workspace", str(workspace)]) == 0
    t = Tracker.load(_tracker(workspace))
    assert "- made during the scan" in t.edits["model.py"]
    assert t.entry("train.py").done
    assert t.entry("new.py")  # and the scan itself landed


@pytest.mark.parametrize("char", ["\u2028", "\x0c", "\x85", "\x1e", "\x0b"], ids=repr)
def test_a_name_with_a_line_breaking_character_is_not_listed(tmp_path, capsys, char):
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "model.py").write_text("import torch\nx = torch.ones(1)\n")
    (proj / f"odd{char}name.py").write_text("import torch\ny = torch.ones(1)\n")
    ws = tmp_path / "ws"
    assert main(["scan", str(proj), "--workspace", str(ws)]) == 0
    assert "a line break" in capsys.readouterr().out
    t = Tracker.load(_tracker(ws))
    assert [e.path for e in t.entries] == ["model.py"]
    assert set(t.edits) == {"model.py"}
    t.save()
    assert [e.path for e in Tracker.load(_tracker(ws)).entries] == ["model.py"]


def test_an_edit_record_with_a_line_breaking_character_stays_one_line(workspace):
    with Tracker.locked(_tracker(workspace)) as t:
        t.add_edits("model.py", ["renamed a\x0cb and c\u2028d"])
    assert Tracker.load(_tracker(workspace)).edits["model.py"] == ["- renamed a b and c d"]


def test_text_a_person_added_is_kept_where_it_was(workspace, project, capsys):
    path = _tracker(workspace)
    text = path.read_text()
    text = text.replace("## Files\n\n", "## Files\n\nAsk Ana before touching the model files.\n\n")
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("- [ ] `model.py`"))
    at += 1
    while lines[at].startswith("  - "):
        at += 1
    lines[at:at] = [" - a one-space bullet under model.py", "A paragraph after model.py's entry."]
    text = "\n".join(lines) + "\n\n## Notes of the team\n\nKeep the fp16 path.\n"
    path.write_text(text)
    assert main(["scan", str(project), "--workspace", str(workspace)]) == 0
    assert main(["edit", "model.py", "-m", "x", "--workspace", str(workspace)]) == 0
    after = path.read_text().splitlines()
    head = after.index("## Files")
    assert after[head + 2] == "Ask Ana before touching the model files."
    model = next(i for i, line in enumerate(after) if line.startswith("- [ ] `model.py`"))
    train = next(i for i, line in enumerate(after) if line.startswith("- [ ] `train.py`"))
    kept = after[model:train]
    assert kept[-2:] == [" - a one-space bullet under model.py", "A paragraph after model.py's entry."]
    assert after[-4:] == ["", "## Notes of the team", "", "Keep the fp16 path."]
