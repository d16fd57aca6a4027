"""The tracker's contract: markdown round trip, updates, dependency order, re-scan merge."""

from __future__ import annotations

import os

import pytest

from torch2ms.tracker import Entry, Tracker, TrackerError


def make(tmp_path, entries, other=()):
    t = Tracker(tmp_path / "files_to_convert.md", tmp_path / "proj")
    t.merge_scan(entries, other_files=other)
    t.save()
    return Tracker.load(t.path)


def entries():
    return [
        Entry("train.py", "Training", ["torch"], "torch", ["calls loss.backward() and optimizer.step()"],
              imports_local=["model.py", "data.py"]),
        Entry("model.py", "Modeling", ["torch", "transformers"], "partial",
              ["defines 3 nn.Module subclasses (GPT, Block, MLP)"]),
        Entry("data.py", "Data", ["torch"], "torch", ["subclasses Dataset (CharDataset)"],
              imports_local=["textutil.py"], warnings=["something odd"]),
        Entry("ported.py", "Modeling", ["mindspore"], "mindspore", ["defines 1 nn.Cell subclass (Net)"]),
    ]


def test_round_trip_keeps_every_field(tmp_path):
    t = make(tmp_path, entries(), other=["textutil.py"])
    assert t.input_dir == tmp_path / "proj"
    assert [e.path for e in t.entries] == ["data.py", "model.py", "ported.py", "train.py"]
    m = t.entry("model.py")
    assert (m.category, m.libraries, m.status, m.done, m.vanished, m.check) == (
        "Modeling", ["torch", "transformers"], "partial", False, False, None)
    assert m.evidence == ["defines 3 nn.Module subclasses (GPT, Block, MLP)"]
    assert t.entry("data.py").imports_local == ["textutil.py"]
    assert t.entry("data.py").warnings == ["something odd"]
    assert t.entry("ported.py").queued is False and m.queued is True
    assert t.other_files == ["textutil.py"] and t.other_files_total == 1
    # rendering what was parsed gives the same text
    assert t.render() == t.path.read_text(encoding="utf-8")


def test_done_edits_check_survive_rescan(tmp_path):
    t = make(tmp_path, entries())
    t.mark_done("model.py")
    t.add_edits("model.py", ["nn.Module -> nn.Cell", "- forward -> construct"])
    t.add_edits("model.py", "F.gelu -> mint.nn.functional.gelu\n\n## not a heading")
    t.set_check("model.py", "fail: 3 torch refs")
    t.save()
    t = Tracker.load(t.path)
    # the scan runs again and finds the same files plus a new one, and model.py changed category
    fresh = entries() + [Entry("new.py", "Inference", ["torch"], "torch", ["calls model.eval()"])]
    fresh[1].category = "Inference"
    t.merge_scan(fresh)
    t.save()
    t = Tracker.load(t.path)
    m = t.entry("model.py")
    assert m.done and m.check == "fail: 3 torch refs" and m.category == "Inference"
    assert t.edits["model.py"] == ["- nn.Module -> nn.Cell", "- forward -> construct",
                                   "- F.gelu -> mint.nn.functional.gelu", "- ## not a heading"]
    assert t.entry("new.py").done is False
    before = t.path.read_text()
    t.merge_scan(fresh)
    t.save()
    assert t.path.read_text() == before


def test_vanished_files_are_kept_and_come_back(tmp_path):
    t = make(tmp_path, entries())
    t.mark_done("data.py")
    t.add_edits("data.py", ["kept"])
    t.merge_scan([e for e in entries() if e.path != "data.py"], existing_paths=["data.py"])
    t.save()
    t = Tracker.load(t.path)
    d = t.entry("data.py")
    assert d.vanished and d.done and not d.queued
    assert "still exists but has no torch-ecosystem code now" in d.warnings
    assert t.edits["data.py"] == ["- kept"]
    assert "1 vanished" in t.summary()
    t.merge_scan(entries())
    assert t.entry("data.py").vanished is False


def test_next_entry_follows_local_imports(tmp_path):
    t = make(tmp_path, entries())
    # data.py imports only a non-listed module; model.py nothing; train.py both
    assert t.next_entry().path == "data.py"
    t.mark_done("data.py")
    assert t.next_entry().path == "model.py"
    t.mark_done("model.py")
    assert t.next_entry().path == "train.py"
    t.mark_done("train.py")
    assert t.next_entry() is None  # ported.py is MindSpore already: never queued


def test_dependency_beats_alphabet(tmp_path):
    t = make(tmp_path, [Entry("a.py", "Training", ["torch"], imports_local=["z.py"]),
                        Entry("z.py", "Modeling", ["torch"])])
    assert t.next_entry().path == "z.py"


def test_cycle_is_broken_deterministically_and_said(tmp_path):
    t = make(tmp_path, [Entry("b.py", "Modeling", ["torch"], imports_local=["c.py"]),
                        Entry("c.py", "Modeling", ["torch"], imports_local=["b.py"]),
                        Entry("d.py", "Training", ["torch"], imports_local=["b.py"])])
    e = t.next_entry()
    assert e.path == "b.py"
    assert t.next_group == ["b.py", "c.py"]
    assert t.order_notes == ["import cycle: b.py, c.py import each other (directly or through a package "
                             "__init__.py): convert them together, in this order, then check them"]
    order, _ = t.queue()
    assert [x.path for x in order] == ["b.py", "c.py", "d.py"]


def test_lookup_by_input_or_output_path(tmp_path):
    t = make(tmp_path, entries())
    assert t.entry(tmp_path / "proj" / "model.py").path == "model.py"
    assert t.entry(tmp_path / "outputs" / "model.py").path == "model.py"
    assert t.entry("./model.py").path == "model.py"
    with pytest.raises(TrackerError):
        t.entry("nope.py")


def test_load_errors(tmp_path):
    with pytest.raises(TrackerError, match="run `torch2ms scan"):
        Tracker.load(tmp_path / "missing.md")
    bad = tmp_path / "bad.md"
    bad.write_text("hello\n")
    with pytest.raises(TrackerError, match="not a torch2ms tracker"):
        Tracker.load(bad)


def test_save_is_atomic(tmp_path, monkeypatch):
    t = make(tmp_path, entries())
    before = t.path.read_text()
    t.mark_done("model.py")

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        t.save()
    assert t.path.read_text() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_hand_tick_and_notes_are_read(tmp_path):
    t = make(tmp_path, entries())
    text = t.path.read_text().replace("- [ ] `train.py`", "- [x] `train.py`")
    text = text.replace("  - evidence: calls loss", "  - ask Ana about the scheduler\n  - evidence: calls loss")
    t.path.write_text(text)
    t = Tracker.load(t.path)
    assert t.entry("train.py").done
    assert t.entry("train.py").notes == ["ask Ana about the scheduler"]
    t.merge_scan(entries())
    assert t.entry("train.py").notes == ["ask Ana about the scheduler"] and t.entry("train.py").done


def _add_edits_locked(path, tag, n):
    for i in range(n):
        with Tracker.locked(path) as t:
            t.add_edits("model.py", [f"{tag} {i}"])


def test_locked_updates_from_processes_are_not_lost(tmp_path):
    import multiprocessing

    t = make(tmp_path, entries())
    ctx = multiprocessing.get_context("fork")  # fork: the target needs no pickling
    procs = [ctx.Process(target=_add_edits_locked, args=(t.path, tag, 15)) for tag in "ab"]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0]
    body = Tracker.load(t.path).edits["model.py"]
    assert sorted(body) == sorted([f"- a {i}" for i in range(15)] + [f"- b {i}" for i in range(15)])
