"""Tracker keys (issue 18, cases 2 and 6): a file listed twice, an Edits subsection there twice,
a key that is absolute or climbs out with `..` are refused with the line named, and the tracker
is left as it is; no save multiplies records (parse -> render is the identity on what the reader
accepts); a tracker that is a symlink is never replaced by a regular file."""

from __future__ import annotations

import os

import pytest
from torch2ms.cli import main
from torch2ms.tracker import Tracker, TrackerError


def _tracker(ws):
    return ws / "files_to_convert.md"


def _entry_block(text: str, key: str) -> str:
    lines = text.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith(f"- [ ] `{key}`"))
    end = start + 1
    while end < len(lines) and lines[end].startswith("  "):
        end += 1
    return "".join(lines[start:end])


def _edits(ws, argv_tail, capsys):
    capsys.readouterr()
    code = main([*argv_tail, "--workspace", str(ws)])
    return code, [line for line in capsys.readouterr().err.splitlines() if line.strip()]


def test_a_file_listed_twice_is_refused_and_edits_never_multiply(workspace, capsys):
    path = _tracker(workspace)
    assert main(["edit", "model.py", "-m", "first record", "--workspace", str(workspace)]) == 0
    text = path.read_text()
    block = _entry_block(text, "model.py")
    doubled = text.replace(block, block + block)  # a hand edit, or a merge, lists it twice
    path.write_text(doubled)
    for i in range(12):
        code, err = _edits(workspace, ["edit", "train.py", "-m", f"record {i}"], capsys)
        assert code == 2 and len(err) == 1, err
    assert "`model.py` is there a second time" in err[0] and "line " in err[0]
    assert path.read_text() == doubled
    assert doubled.count("first record") == 1


def test_an_edits_subsection_there_twice_is_refused(workspace, capsys):
    path = _tracker(workspace)
    text = path.read_text()
    path.write_text(text + "\n### `model.py`\n- a record from another branch\n")
    code, err = _edits(workspace, ["done", "model.py", "--force"], capsys)
    assert code == 2 and len(err) == 1 and "`model.py` is there a second time" in err[0], err


@pytest.mark.parametrize("key", ["../secret/s.py", "/etc/passwd.py", "a/../../s.py", "./x.py"])
def test_a_key_outside_the_input_folder_is_refused_and_next_points_nowhere(workspace, capsys, key):
    path = _tracker(workspace)
    text = path.read_text()
    line = _entry_block(text, "model.py").splitlines()[0].replace("`model.py`", f"`{key}`")
    bad = text.replace("## Edits\n", "## Edits\n", 1).replace(_entry_block(text, "model.py"),
                                                             _entry_block(text, "model.py") + line + "\n")
    path.write_text(bad)
    code, err = _edits(workspace, ["next"], capsys)
    out = capsys.readouterr().out
    assert code == 2 and len(err) == 1 and f"`{key}` cannot be a listed file" in err[0], err
    assert key not in out
    assert path.read_text() == bad


def test_parse_then_render_is_the_identity_on_what_the_reader_accepts(workspace):
    path = _tracker(workspace)
    with Tracker.locked(path) as t:
        t.add_edits("model.py", ["a | b", "  - nested as written", "### not a heading"])
        t.set_blocked("train.py", "needs `data/` <b>here</b>")
    text = path.read_text()
    # a person's additions the reader keeps
    hand = text.replace("## Edits\n", "A paragraph of mine.\n\n## Edits\n") + "\n## My notes\n\n- keep me\n"
    block = _entry_block(text, "model.py")
    doubled = text.replace(block, block + block)
    accepted = 0
    for version in (text, hand, doubled):
        try:
            once = Tracker.parse(version, path).render()
        except TrackerError:
            continue
        accepted += 1
        assert Tracker.parse(once, path).render() == once
    assert accepted == 2
    assert Tracker.parse(text, path).render() == text


def test_a_symlinked_tracker_is_never_replaced_by_a_regular_file(workspace, tmp_path, capsys):
    path = _tracker(workspace)
    real = tmp_path / "kept" / "files_to_convert.md"
    real.parent.mkdir()
    real.write_text(path.read_text())
    path.unlink()
    os.symlink(real, path)
    before = real.read_text()
    code, err = _edits(workspace, ["edit", "model.py", "-m", "x"], capsys)
    assert os.path.islink(path) and real.read_text() == before
    assert code == 2 and len(err) == 1 and "is a symlink" in err[0], err


def test_a_tracker_that_is_a_fifo_is_refused_without_blocking(workspace, capsys):
    import threading

    path = _tracker(workspace)
    path.unlink()
    os.mkfifo(path)
    got = []
    worker = threading.Thread(target=lambda: got.append(_edits(workspace, ["next"], capsys)), daemon=True)
    worker.start()
    worker.join(120)
    if worker.is_alive():  # unblock the reader so the test process can end
        with open(path, "w") as fh:
            fh.write("")
        worker.join()
    code, err = got[0]
    assert code == 2 and len(err) == 1 and "not a regular file" in err[0], err
