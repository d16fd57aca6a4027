"""`torch2ms next | done | edit` against a tracker written by the Tracker API."""

from __future__ import annotations

import hashlib
import json

import pytest

from torch2ms.cli import main
from torch2ms.tracker import Entry, Tracker


@pytest.fixture
def ws(tmp_path):
    t = Tracker(tmp_path / "files_to_convert.md", tmp_path / "proj")
    t.merge_scan([
        Entry("train.py", "Training", ["torch"], "torch", ["calls loss.backward() and optimizer.step()"],
              imports_local=["model.py"]),
        Entry("model.py", "Modeling", ["torch"], "in-outputs", ["defines 2 nn.Module subclasses (A, B)"]),
        Entry("ported.py", "Modeling", ["mindspore"], "mindspore", []),
    ])
    t.save()
    (tmp_path / "outputs").mkdir()
    (tmp_path / "outputs" / "model.py").write_text("import mindspore\n")
    return tmp_path


def cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_next_prints_the_file_its_output_and_evidence(ws, capsys):
    code, out, _ = cli(capsys, "next", "--workspace", str(ws))
    assert code == 0
    assert out.startswith("Next: model.py  (2 of 2 files left)")
    assert "category:  Modeling" in out and "status:    in-outputs" in out
    assert "evidence:  defines 2 nn.Module subclasses (A, B)" in out
    assert f"output:    {ws / 'outputs' / 'model.py'} (exists: continue from it)" in out


def test_next_json(ws, capsys):
    code, out, _ = cli(capsys, "next", "--json", "--workspace", str(ws))
    data = json.loads(out)
    assert code == 0 and data["done"] is False
    nxt = data["next"]
    assert (nxt["path"], nxt["category"], nxt["output_exists"], nxt["libraries"]) == (
        "model.py", "Modeling", True, ["torch"])
    assert nxt["output"] == str(ws / "outputs" / "model.py")


def set_check(ws, path, verdict):
    with Tracker.locked(ws / "files_to_convert.md") as t:
        t.set_check(path, verdict)


def test_done_then_next_then_all_done(ws, capsys):
    set_check(ws, "model.py", "pass, import ok")
    assert cli(capsys, "done", "model.py", "--workspace", str(ws))[0] == 0
    code, out, _ = cli(capsys, "next", "--json", "--workspace", str(ws))
    assert json.loads(out)["next"]["path"] == "train.py"
    # a path inside the input folder is accepted too
    assert cli(capsys, "done", str(ws / "proj" / "train.py"), "--force", "--workspace", str(ws))[0] == 0
    code, out, _ = cli(capsys, "next", "--workspace", str(ws))
    assert code == 0 and out.startswith("All files done: 2 of 2")
    code, out, _ = cli(capsys, "next", "--json", "--workspace", str(ws))
    assert json.loads(out) == {"done": True, "files_done": 2, "next": None, "blocked": []}
    assert cli(capsys, "done", "--undo", "train.py", "--workspace", str(ws))[0] == 0
    assert Tracker.load(ws / "files_to_convert.md").entry("train.py").done is False


def test_edit_appends_and_keeps(ws, capsys):
    assert cli(capsys, "edit", "train.py", "-m", "loss.backward() -> value_and_grad",
               "--workspace", str(ws))[0] == 0
    code, out, _ = cli(capsys, "edit", "train.py", "-m", "optimizer.step() -> optimizer(grads)\nmodel.train() -> set_train()",
                       "-m", "dropped .to(device)", "--workspace", str(ws))
    assert code == 0 and "Recorded 3 edit lines" in out
    t = Tracker.load(ws / "files_to_convert.md")
    assert t.edits["train.py"] == ["- loss.backward() -> value_and_grad", "- optimizer.step() -> optimizer(grads)",
                                   "- model.train() -> set_train()", "- dropped .to(device)"]
    assert t.edits["model.py"] == []


@pytest.mark.parametrize("argv, message", [
    (["done", "nope.py"], "nope.py is not listed"),
    (["edit", "nope.py", "-m", "x"], "nope.py is not listed"),
    (["edit", "train.py", "-m", "  "], "the edit record is empty"),
])
def test_bad_file_is_one_line_and_exit_2(ws, capsys, argv, message):
    code, _, err = cli(capsys, *argv, "--workspace", str(ws))
    assert code == 2 and message in err and err.count("\n") == 1 and err.startswith("torch2ms ")


def test_no_tracker(tmp_path, capsys):
    for argv in (["next"], ["done", "a.py"], ["edit", "a.py", "-m", "x"]):
        code, _, err = cli(capsys, *argv, "--workspace", str(tmp_path))
        assert code == 2 and "run `torch2ms scan" in err


def test_next_on_an_empty_tracker(tmp_path, capsys):
    Tracker(tmp_path / "files_to_convert.md", tmp_path / "proj").save()
    code, out, _ = cli(capsys, "next", "--workspace", str(tmp_path))
    assert code == 0 and out.startswith("Nothing to convert")


def ticked(ws, path):
    return Tracker.load(ws / "files_to_convert.md").entry(path).done


def write_record(ws, path, summary, content=None):
    data = ws / "outputs" / path
    sha = hashlib.sha256((content if content is not None else data.read_bytes())).hexdigest()
    state = ws / ".torch2ms"
    state.mkdir(exist_ok=True)
    record = {"verdict": summary.split(":")[0].split(",")[0], "summary": summary, "sha256": sha}
    (state / "check.json").write_text(json.dumps({"versions": {}, "files": {path: record}}))


@pytest.mark.parametrize("setup,words", [
    (lambda ws: None, "never checked"),
    (lambda ws: set_check(ws, "model.py", "fail: 2 todo"), '"fail: 2 todo", not pass'),
    (lambda ws: write_record(ws, "model.py", "fail: 1 undefined-name"), '"fail: 1 undefined-name", not pass'),
    (lambda ws: write_record(ws, "model.py", "pass", content=b"import torch\n"), "changed since its check passed"),
], ids=["never checked", "tracker verdict fails", "recorded verdict fails", "output changed since"])
def test_done_refuses_a_file_whose_check_did_not_pass(ws, capsys, setup, words):
    setup(ws)
    code, out, err = cli(capsys, "done", "model.py", "--workspace", str(ws))
    assert code == 1 and not ticked(ws, "model.py")
    assert words in err and "Not ticked (tick anyway with --force)" in err
    code, out, err = cli(capsys, "done", "model.py", "--force", "--workspace", str(ws))
    assert code == 0 and ticked(ws, "model.py")
    assert words in err and "Ticked anyway (--force)" in err


def test_done_ticks_a_file_whose_current_output_passed(ws, capsys):
    write_record(ws, "model.py", "pass, import ok")
    code, out, err = cli(capsys, "done", "model.py", "--workspace", str(ws))
    assert code == 0 and ticked(ws, "model.py") and err == ""
    # unticking never needs a check
    assert cli(capsys, "done", "--undo", "train.py", "--workspace", str(ws))[0] == 0


def test_header_says_to_use_the_helpers(ws):
    text = (ws / "files_to_convert.md").read_text()
    header = text[text.index("<!--"):text.index("-->")]
    assert "by hand is fine" not in header
    assert "Do not edit this file by hand, not even to tick a box: use these helpers." in " ".join(header.split())


def test_edit_records_a_file_of_outputs_the_tracker_does_not_list(ws, capsys, monkeypatch):
    # a torch-free module convert copied into outputs/, edited by hand (issue: "not listed")
    (ws / "outputs" / "utils").mkdir()
    (ws / "outputs" / "utils" / "utils.py").write_text("def rank_zero_only(fn):\n    return fn\n")
    code, out, err = cli(capsys, "edit", "utils/utils.py", "-m", "rank_zero_only written out: no Lightning",
                         "--workspace", str(ws))
    assert code == 0, err
    assert "Recorded 1 edit line for utils/utils.py" in out
    # the same file named by its path in outputs/, from another folder
    monkeypatch.chdir(ws / "outputs")
    code, _, err = cli(capsys, "edit", "utils/utils.py", "-m", "second", "--workspace", str(ws))
    assert code == 0, err
    t = Tracker.load(ws / "files_to_convert.md")
    assert t.edits["utils/utils.py"] == ["- rank_zero_only written out: no Lightning", "- second"]
    assert "utils/utils.py" not in [e.path for e in t.entries]
    # a file outputs/ does not hold, or outside it, stays an error; blocking needs a listed file
    for argv in (["edit", "nowhere.py", "-m", "x"], ["edit", "../files_to_convert.md", "-m", "x"],
                 ["edit", "utils/utils.py", "--blocked", "why"]):
        code, _, err = cli(capsys, *argv, "--workspace", str(ws))
        assert code == 2 and err.startswith("torch2ms edit: ") and "not listed" in err
