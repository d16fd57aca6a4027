"""A file that cannot pass is marked blocked with its reason: `next` goes on to the next file
and lists the blocked ones, a re-scan keeps the mark, a tick or --unblock takes it off, and
both reports list blocked files with their reasons."""

from __future__ import annotations

import json

import pytest
from torch2ms.cli import main
from torch2ms.tracker import Entry, Tracker


@pytest.fixture
def ws(tmp_path):
    proj = tmp_path / "proj"
    proj.mkdir()
    for name in ("data.py", "model.py", "train.py"):
        (proj / name).write_text("import torch\nx = torch.ones(1)\n")
    t = Tracker(tmp_path / "files_to_convert.md", proj)
    t.merge_scan([Entry("data.py", "Data", ["torch"], "torch", ["subclasses Dataset"]),
                  Entry("model.py", "Modeling", ["torch"], "torch", ["defines 1 nn.Module subclass"]),
                  Entry("train.py", "Training", ["torch"], "torch", ["calls loss.backward()"],
                        imports_local=["model.py", "data.py"])])
    t.save()
    return tmp_path


def cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_blocked_file_is_skipped_and_listed_by_next(ws, capsys):
    w = ["--workspace", str(ws)]
    code, out, _ = cli(capsys, "edit", "data.py", "--blocked", "needs the user's\nCSV dataset", *w)
    assert code == 0 and "Marked data.py blocked" in out
    t = Tracker.load(ws / "files_to_convert.md")
    assert t.entry("data.py").blocked == "needs the user's CSV dataset"
    assert "- blocked: needs the user's CSV dataset" in t.edits["data.py"]
    assert "· blocked: needs the user's CSV dataset" in (ws / "files_to_convert.md").read_text()
    code, out, _ = cli(capsys, "next", *w)
    assert out.startswith("Next: model.py  (3 of 3 files left, 1 of them blocked)")
    assert "  - data.py: needs the user's CSV dataset" in out
    data = json.loads(cli(capsys, "next", "--json", *w)[1])
    assert data["next"]["path"] == "model.py"
    assert data["blocked"] == [{"path": "data.py", "reason": "needs the user's CSV dataset"}]
    # train.py imports the blocked file: it is not held back by it
    assert cli(capsys, "done", "model.py", "--force", *w)[0] == 0
    assert cli(capsys, "next", *w)[1].startswith("Next: train.py")
    assert cli(capsys, "done", "train.py", "--force", *w)[0] == 0
    code, out, _ = cli(capsys, "next", *w)
    assert code == 0 and out.startswith("No file left to convert but blocked ones: 2 of 3 ticked, 1 blocked")
    data = json.loads(cli(capsys, "next", "--json", *w)[1])
    assert data["done"] is False and data["next"] is None and data["blocked"][0]["path"] == "data.py"


def test_the_mark_survives_a_rescan_and_comes_off_by_unblock_or_tick(ws, capsys):
    w = ["--workspace", str(ws)]
    assert cli(capsys, "edit", "data.py", "--blocked", "no dataset", *w)[0] == 0
    assert cli(capsys, "scan", str(ws / "proj"), *w)[0] == 0
    assert Tracker.load(ws / "files_to_convert.md").entry("data.py").blocked == "no dataset"
    code, out, _ = cli(capsys, "edit", "data.py", "--unblock", *w)
    assert code == 0 and "Unblocked data.py" in out
    assert Tracker.load(ws / "files_to_convert.md").entry("data.py").blocked is None
    assert cli(capsys, "edit", "data.py", "--blocked", "again", *w)[0] == 0
    assert cli(capsys, "done", "data.py", "--force", *w)[0] == 0
    assert Tracker.load(ws / "files_to_convert.md").entry("data.py").blocked is None


@pytest.mark.parametrize("argv, message", [
    (["--blocked", "  "], "--blocked needs a reason"),
    ([], "nothing to record: give -m TEXT, --blocked REASON or --unblock"),
])
def test_bad_block_requests_are_one_line_and_exit_2(ws, capsys, argv, message):
    before = (ws / "files_to_convert.md").read_text()
    code, _, err = cli(capsys, "edit", "data.py", *argv, "--workspace", str(ws))
    assert code == 2 and err.strip() == f"torch2ms edit: {message}"
    assert (ws / "files_to_convert.md").read_text() == before


def test_blocked_and_unblock_exclude_each_other(ws, capsys):
    with pytest.raises(SystemExit) as info:
        main(["edit", "data.py", "--blocked", "x", "--unblock", "--workspace", str(ws)])
    assert info.value.code == 2 and "not allowed with argument" in capsys.readouterr().err


def test_the_reports_list_blocked_files_with_their_reasons(ws, capsys):
    w = ["--workspace", str(ws)]
    assert cli(capsys, "edit", "data.py", "--blocked", "needs the user's CSV dataset", *w)[0] == 0
    assert cli(capsys, "report", *w)[0] == 0
    for name in ("report.md", "conversion_report.md"):
        text = (ws / name).read_text()
        assert "## Blocked" in text, name
        assert "- `data.py` (Data): needs the user's CSV dataset" in text, name
        assert "`model.py` (Modeling): needs" not in text
    assert cli(capsys, "edit", "data.py", "--unblock", *w)[0] == 0
    assert cli(capsys, "report", *w)[0] == 0
    assert "## Blocked" not in (ws / "report.md").read_text()


def _passing_check(ws, path, **fields):
    """Record a passing check of outputs/`path` as `torch2ms check` writes it."""
    import hashlib

    from torch2ms.check import results

    out = ws / "outputs" / path
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("x = 1\n")
    record = {"verdict": "pass", "summary": "pass", "findings": [], "todos": 0, "lines": 1,
              "sha256": hashlib.sha256(out.read_bytes()).hexdigest(), **fields}
    results.update(ws / ".torch2ms" / "check.json", {path: record}, {})


def test_done_refuses_a_blocked_file_until_it_is_unblocked(ws, capsys):
    w = ["--workspace", str(ws)]
    _passing_check(ws, "data.py")
    assert cli(capsys, "edit", "data.py", "--blocked", "needs the user's CSV dataset", *w)[0] == 0
    code, out, err = cli(capsys, "done", "data.py", *w)
    assert code == 1 and "marked blocked (needs the user's CSV dataset)" in err and "--unblock" in err
    entry = Tracker.load(ws / "files_to_convert.md").entry("data.py")
    assert not entry.done and entry.blocked == "needs the user's CSV dataset"
    assert cli(capsys, "edit", "data.py", "--unblock", *w)[0] == 0
    assert cli(capsys, "done", "data.py", *w)[0] == 0
    assert Tracker.load(ws / "files_to_convert.md").entry("data.py").done


def test_done_refuses_a_file_whose_parity_could_not_run(ws, capsys):
    w = ["--workspace", str(ws)]
    why = "the torch original imports tensorboard, which is not installed here: pip install tensorboard"
    _passing_check(ws, "model.py", parity="torch side unavailable",
                   notes=[f"parity: model.parity.yaml cannot run: {why}"])
    code, _, err = cli(capsys, "done", "model.py", *w)
    assert code == 1 and "parity spec could not run" in err and "pip install tensorboard" in err
    assert "--blocked" in err and not Tracker.load(ws / "files_to_convert.md").entry("model.py").done
    _passing_check(ws, "model.py", parity="ok")
    assert cli(capsys, "done", "model.py", *w)[0] == 0


def test_a_blocked_mark_is_not_counted_as_an_edit(ws, capsys):
    w = ["--workspace", str(ws)]
    assert cli(capsys, "edit", "data.py", "-m", "moved the CSV reading to numpy", *w)[0] == 0
    assert cli(capsys, "edit", "data.py", "--blocked", "needs the user's CSV dataset", *w)[0] == 0
    assert cli(capsys, "report", *w)[0] == 0
    assert "1 edit recorded: 0 by `torch2ms convert`, 1 by hand." in (ws / "report.md").read_text()


def test_next_says_when_the_file_imports_a_blocked_one(ws, capsys):
    w = ["--workspace", str(ws)]
    assert cli(capsys, "edit", "data.py", "--blocked", "needs unidecode", *w)[0] == 0
    assert cli(capsys, "done", "model.py", "--force", *w)[0] == 0
    code, out, _ = cli(capsys, "next", *w)
    assert code == 0 and out.startswith("Next: train.py")
    assert "  warning:   it imports data.py, which is blocked (needs unidecode)" in out
    assert "it imports model.py" not in out
    code, out, _ = cli(capsys, "next", "--json", *w)
    assert json.loads(out)["next"]["imports_blocked"] == [{"path": "data.py", "reason": "needs unidecode"}]


def test_done_refuses_a_file_whose_spec_came_after_its_check(ws, capsys):
    w = ["--workspace", str(ws)]
    _passing_check(ws, "train.py", parity="no spec")
    (ws / "outputs" / "train.run.yaml").write_text("args: '--steps 1'\n")
    code, _, err = cli(capsys, "done", "train.py", *w)
    assert code == 1 and "its latest check did not run train.run.yaml" in err
    assert "check --import --parity outputs/train.py" in err
    _passing_check(ws, "train.py", parity="no spec", run="ok")
    assert cli(capsys, "done", "train.py", *w)[0] == 0
