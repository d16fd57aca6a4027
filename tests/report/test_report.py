"""`torch2ms report` on a fixture tracker holding every status: golden outputs, and the rule that
only verified facts count as success.

Regenerate the golden files after an intended change with TORCH2MS_UPDATE_GOLDEN=1.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
GOLDEN = HERE / "golden"


@pytest.fixture
def ws(tmp_path):
    dest = tmp_path / "ws"
    shutil.copytree(HERE / "fixture", dest)
    return dest


def report(ws: Path, *extra):
    return subprocess.run([sys.executable, "-m", "torch2ms", "report", "--workspace", str(ws), *extra],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("name", ["conversion_report.md", "report.md"])
def test_golden(ws, name):
    proc = report(ws)
    assert proc.returncode == 0, proc.stderr
    got = (ws / name).read_text(encoding="utf-8")
    if os.environ.get("TORCH2MS_UPDATE_GOLDEN"):
        (GOLDEN / name).write_text(got, encoding="utf-8")
    assert got == (GOLDEN / name).read_text(encoding="utf-8")


def test_deterministic(ws):
    report(ws)
    first = [(ws / n).read_bytes() for n in ("conversion_report.md", "report.md")]
    report(ws)
    assert first == [(ws / n).read_bytes() for n in ("conversion_report.md", "report.md")]


def test_only_verified_files_count(ws):
    proc = report(ws)
    assert "4 of 9 files pass the checks (8 to convert, 1 copied without torch code)." in proc.stdout
    table = (ws / "conversion_report.md").read_text()
    rows = {line.split("|")[1].strip(): line for line in table.splitlines() if line.startswith("| `")}
    assert "yes, check not passed" in rows["`data.py`"] and "fail: 1 torch-idiom" in rows["`data.py`"]
    assert "| yes |" in rows["`model.py`"] and "| pass, import ok, parity ok |" in rows["`model.py`"]
    assert "not checked" in rows["`infer.py`"]
    assert "stale" in rows["`sched.py`"]  # the tracker says pass, the output changed since
    assert "no output" in rows["`train.py`"] and "no output" in rows["`weird.py`"]
    assert "ported.py" not in rows and "explore.ipynb" not in rows


def test_fixing_a_file_changes_the_count(ws, tmp_path):
    """After a real check passes on the fixed file, it counts; nothing else moves."""
    (ws / "outputs" / "data.py").write_text("import numpy as np\n\n\ndef size(x):\n    return x.shape\n")
    env = dict(os.environ, TORCH2MS_CACHE_DIR=str(tmp_path / "cache"))
    proc = subprocess.run([sys.executable, "-m", "torch2ms", "check", "--workspace", str(ws),
                           str(ws / "outputs" / "data.py")], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "5 of 9 files pass the checks (8 to convert, 1 copied without torch code)." in report(ws).stdout


def test_no_tracker_is_bad_input(tmp_path):
    proc = report(tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith("torch2ms report: ")


def keep_only(ws: Path, paths: list[str]) -> None:
    """Cut the fixture tracker down to the entries of `paths` (with their sub-bullets), and
    outputs/ to their outputs (any other output is a copied file, which the report counts)."""
    for output in (ws / "outputs").glob("*.py"):
        if output.name not in paths:
            output.unlink()
    tracker = ws / "files_to_convert.md"
    out, keep = [], True
    for line in tracker.read_text(encoding="utf-8").splitlines():
        if line.startswith("- ["):
            keep = any(f"`{p}`" in line for p in paths)
        elif not line.startswith("  "):
            keep = True
        if keep:
            out.append(line)
    tracker.write_text("\n".join(out) + "\n", encoding="utf-8")


def test_passing_the_checks_is_not_parity(ws):
    """Two Modeling files pass the checks; only one was compared with the torch original: the
    other is left for a human as needing a parity spec, never "Nothing"."""
    keep_only(ws, ["model.py", "layers.py"])
    proc = report(ws)
    assert proc.returncode == 0, proc.stderr
    assert "2 of 2 files pass the checks." in proc.stdout
    assert "1 of them also matches the torch original numerically (parity)" in proc.stdout
    summary = (ws / "report.md").read_text()
    left = summary.split("## Left for a human")[1].split("##")[0]
    assert "Nothing" not in left
    assert "`layers.py` (Modeling): passes the checks; no parity run: needs a parity spec " \
           "`outputs/layers.parity.yaml`" in left
    assert "model.py" not in left
    assert "verified**" not in summary  # the bold count never calls a checked file verified
    table = (ws / "conversion_report.md").read_text()
    assert "- Of these, match the torch original numerically (parity ok): 1" in table
    assert "- Files defining models that pass the checks without parity: 1" in table

    (ws / "outputs" / "layers.parity.yaml").write_text("entry: MLP\n")
    report(ws)
    left = (ws / "report.md").read_text().split("## Left for a human")[1].split("##")[0]
    assert "parity spec `outputs/layers.parity.yaml` not run: `torch2ms check --parity outputs/layers.py`" in left


def test_nothing_left_only_when_every_model_matches(ws):
    keep_only(ws, ["model.py"])
    report(ws)
    summary = (ws / "report.md").read_text()
    assert "1 of 1 file pass the checks" in summary or "1 of 1 file passes the checks" in summary
    assert "Nothing: every file passes the checks, and every model and every training or " \
           "inference script matches the torch original (parity)." in summary


def test_converter_and_hand_edits_are_counted_apart(ws):
    report(ws)
    assert "- Edits recorded: 9 (3 by `torch2ms convert`, 6 by hand)" in (ws / "conversion_report.md").read_text()
    assert "9 edits recorded: 3 by `torch2ms convert`, 6 by hand." in (ws / "report.md").read_text()


@pytest.mark.parametrize("only", [None, ["model.py"]], ids=["fixture", "all pass"])
def test_headings_follow_a_blank_line(ws, only):
    if only:
        keep_only(ws, only)
    report(ws)
    for name in ("conversion_report.md", "report.md"):
        lines = (ws / name).read_text().splitlines()
        bad = [line for i, line in enumerate(lines) if i and line.startswith("#") and lines[i - 1] != ""]
        assert bad == [], name


def test_serving_engines_are_named_with_what_to_do(ws):
    tracker = ws / "files_to_convert.md"
    text = tracker.read_text(encoding="utf-8")
    text = text.replace("- [ ] `infer.py` · Inference · torch, transformers · status: in-outputs",
                        "- [ ] `infer.py` · Inference · torch, transformers, vllm · status: in-outputs")
    tracker.write_text(text, encoding="utf-8")
    proc = report(ws)
    assert proc.returncode == 0, proc.stderr
    summary = (ws / "report.md").read_text(encoding="utf-8")
    section = summary.split("## Serving engines without a MindSpore counterpart", 1)[1].split("\n## ", 1)[0]
    assert "`infer.py` uses vllm: no MindSpore counterpart; keep the model on mindone.transformers" in section
    assert "`model.py`" not in section  # only the files that use an engine


def test_no_serving_section_without_an_engine(ws):
    report(ws)
    assert "Serving engines" not in (ws / "report.md").read_text(encoding="utf-8")


def test_models_need_parity_and_scripts_a_run_whatever_the_category():
    from torch2ms.report.facts import FileFacts
    from torch2ms.report.render import totals
    from torch2ms.tracker import Entry

    def facts(category, evidence, parity=None, run=None):
        entry = Entry(path=f"{category.lower()}.py", category=category, evidence=evidence)
        return FileFacts(entry, 0, True, 0, "pass", parity_result=parity, run_result=run)

    flat = facts("Training", ["calls loss.backward()", "defines 2 nn.Module subclasses (Head, GPT)"], "no spec")
    assert flat.needs_parity and flat.needs_run and not flat.parity_ok
    flat.run_result = "ok"
    assert flat.needs_parity and not flat.parity_ok  # its models were still never compared
    flat.parity_result = "ok"
    assert not flat.needs_parity and not flat.needs_run and flat.parity_ok
    corpus = facts("Utility", ["no model class, data set, data pipeline, training or inference found: Utility"])
    assert not corpus.needs_parity and not corpus.needs_run and not corpus.parity_ok
    script = facts("Inference", ["calls model.generate under no_grad"], "no spec", "torch side unavailable")
    assert not script.needs_parity and script.needs_run and not script.parity_ok
    assert totals([flat, corpus, script])["verified_parity"] == 1
    # a module of factory functions (create_model) defines no model class, yet its spec matched
    factory = facts("Utility", ["no model class, data set, data pipeline, training or inference found: Utility"], "ok")
    assert factory.parity_ok and not factory.needs_parity
    assert totals([flat, corpus, script, factory])["verified_parity"] == 2


def test_a_torch_run_failure_is_reported_with_its_reason_not_as_a_spec_error():
    from torch2ms.check.findings import FileResult, Finding
    from torch2ms.report.facts import FileFacts
    from torch2ms.report.render import conversion_report
    from torch2ms.tracker import Entry

    reason = ("train.run.yaml: torch run failed: the torch script stopped after 1 of 3 steps: "
              "RuntimeError: boom (at train.py:36) (nothing was compared)")
    record = FileResult("train.py", findings=[Finding(0, "run", reason)], import_result="ok",
                        parity_result="ok", run_result="torch run failed").to_dict()
    f = FileFacts(Entry(path="train.py", category="Training", evidence=["calls loss.backward()"]), 0, True, 0,
                  record["verdict"], summary=record["summary"], findings=record["findings"],
                  import_result=record["import"], parity_result=record["parity"], run_result=record["run"])
    text = conversion_report([f], "/in")
    assert "### `train.py`: fail: 1 run; import ok, parity ok, run torch run failed" in text
    assert f"- file: [run] {reason}" in text
    assert "spec error" not in text and "fix the spec" not in text


def test_a_match_shows_what_it_compared(ws):
    """The per-file table says what a parity match compared (cases, largest difference), from the
    note `torch2ms check` records; a match without that note stays a plain `ok`."""
    import json

    state = ws / ".torch2ms" / "check.json"
    data = json.loads(state.read_text())
    data["files"]["model.py"].setdefault("notes", []).append(
        "parity: model.parity.yaml matches: 12 cases, max abs diff 3.58e-06")
    state.write_text(json.dumps(data))
    assert report(ws).returncode == 0
    rows = {line.split("|")[1].strip(): line for line in (ws / "conversion_report.md").read_text().splitlines()
            if line.startswith("| `")}
    assert "| ok: 12 cases, max abs diff 3.58e-06 |" in rows["`model.py`"]


def test_the_versions_list_the_libraries_the_project_uses_and_their_counterparts(ws):
    import json

    state = ws / ".torch2ms" / "check.json"
    data = json.loads(state.read_text())
    data["versions"].update({"torchvision": "0.28.0", "mindcv": "0.3.0", "diffusers": "0.35.1"})
    state.write_text(json.dumps(data))
    tracker = ws / "files_to_convert.md"
    tracker.write_text(tracker.read_text().replace("`model.py` · Modeling · torch ·", "`model.py` · Modeling · torch, torchvision ·"))
    assert report(ws).returncode == 0
    text = (ws / "report.md").read_text()
    assert "| mindcv | 0.3.0 |\n| torchvision | 0.28.0 |" in text
    assert "diffusers" not in text  # installed, but the project does not use it
