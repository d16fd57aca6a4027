"""`torch2ms check` as a command: exit codes, check.json, the tracker's check column, the hook."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

GOOD = "from mindspore import mint\n\n\ndef f(x):\n    return mint.cat([x, x], dim=0)\n"
BAD = "from mindspore import mint\n\n\ndef f(x):\n    return mint.cat([x, x], axis=0).cuda()\n"
TRACKER = textwrap.dedent("""\
    # Files to convert

    Input folder: `/nowhere/project`

    ## Files

    - [ ] `good.py` · Modeling · torch · status: torch
    - [ ] `pkg/bad.py` · Training · torch · status: torch

    ## Edits
    """)


def torch2ms(*args, stdin=None, cwd=None):
    return subprocess.run([sys.executable, "-m", "torch2ms", *args], input=stdin, cwd=cwd,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def ws(tmp_path, index):
    (tmp_path / "outputs" / "pkg").mkdir(parents=True)
    (tmp_path / "outputs" / "good.py").write_text(GOOD)
    (tmp_path / "outputs" / "pkg" / "bad.py").write_text(BAD)
    (tmp_path / "files_to_convert.md").write_text(TRACKER)
    return tmp_path


def test_all_outputs_verdicts_json_and_tracker(ws):
    proc = torch2ms("check", "--workspace", str(ws))
    assert proc.returncode == 1, proc.stderr
    assert "good.py: pass" in proc.stdout
    assert "pkg/bad.py: fail: 1 torch-idiom, 1 api-signature" in proc.stdout  # .cuda(), axis=
    data = json.loads((ws / ".torch2ms" / "check.json").read_text())
    assert data["files"]["good.py"]["verdict"] == "pass"
    bad = data["files"]["pkg/bad.py"]
    assert bad["verdict"] == "fail"
    assert {f["code"] for f in bad["findings"]} == {"api-signature", "torch-idiom"}
    assert data["versions"]["mindspore"]
    from torch2ms.tracker import Tracker

    tracker = Tracker.load(ws / "files_to_convert.md")
    assert tracker.entry("good.py").check == "pass"
    assert tracker.entry("pkg/bad.py").check == "fail: 1 torch-idiom, 1 api-signature"


def test_one_file_passes_with_exit_0_and_json(ws):
    proc = torch2ms("check", "--workspace", str(ws), "--json", str(ws / "outputs" / "good.py"))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert list(out["files"]) == ["good.py"]
    assert out["files"]["good.py"]["verdict"] == "pass"


def test_relative_path_in_the_workspace(ws, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    proc = torch2ms("check", "--workspace", str(ws), "outputs/good.py", cwd=elsewhere)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("good.py: pass")


def test_bad_input_exits_2(ws, tmp_path):
    proc = torch2ms("check", "--workspace", str(ws), str(ws / "outputs" / "missing.py"))
    assert proc.returncode == 2
    assert proc.stderr.startswith("torch2ms check: ")
    empty = tmp_path / "empty-ws"
    empty.mkdir()
    proc = torch2ms("check", "--workspace", str(empty))
    assert proc.returncode == 2 and "outputs" in proc.stderr


def test_findings_fixed_then_pass(ws):
    bad = ws / "outputs" / "pkg" / "bad.py"
    assert torch2ms("check", "--workspace", str(ws), str(bad)).returncode == 1
    bad.write_text(GOOD)
    assert torch2ms("check", "--workspace", str(ws), str(bad)).returncode == 0
    data = json.loads((ws / ".torch2ms" / "check.json").read_text())
    assert data["files"]["pkg/bad.py"]["verdict"] == "pass"


def hook_payload(path: Path, tool="Edit") -> str:
    return json.dumps({"session_id": "x", "hook_event_name": "PostToolUse", "tool_name": tool,
                       "cwd": str(path.parent), "tool_input": {"file_path": str(path)},
                       "tool_response": {"success": True}})


def test_hook_shows_findings_to_the_model(ws):
    proc = torch2ms("check", "--hook", stdin=hook_payload(ws / "outputs" / "pkg" / "bad.py"))
    assert proc.returncode == 2  # Claude Code shows stderr of exit code 2 to the model
    assert "outputs/pkg/bad.py: fail" in proc.stderr
    assert "line 5: [api-signature]" in proc.stderr and "'axis'" in proc.stderr
    data = json.loads((ws / ".torch2ms" / "check.json").read_text())
    assert data["files"]["pkg/bad.py"]["verdict"] == "fail"


def test_hook_passes_quietly(ws, tmp_path):
    proc = torch2ms("check", "--hook", stdin=hook_payload(ws / "outputs" / "good.py", "Write"))
    assert proc.returncode == 0 and proc.stderr == ""
    assert "pass" in proc.stdout
    elsewhere = tmp_path / "notes.py"
    elsewhere.write_text("import torch\n")
    for payload in (hook_payload(elsewhere), "not json", json.dumps({"tool_input": {}}),
                    hook_payload(ws / "files_to_convert.md")):
        proc = torch2ms("check", "--hook", stdin=payload)
        assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", ""), payload


def test_import_in_a_subprocess(ws):
    out = ws / "outputs"
    # a file of the input folder without torch code, recorded by the scan, not yet in outputs/
    project = ws / "project"
    project.mkdir()
    (project / "helper.py").write_text("VALUE = 42\n")
    (ws / ".torch2ms").mkdir(exist_ok=True)
    (ws / ".torch2ms" / "scan.json").write_text(json.dumps({"input_dir": str(project),
                                                            "other_files": ["helper.py"]}))
    (out / "ok_import.py").write_text("from mindspore import mint\nfrom good import f\n"
                                      "from helper import VALUE\nassert VALUE == 42\n")
    (out / "broken_import.py").write_text("from mindspore import mint\nraise RuntimeError('boom at import')\n")
    # a class body runs when the class is defined: this import hangs even as definitions only
    (out / "slow_import.py").write_text("import time\n\n\nclass Slow:\n    time.sleep(60)\n")
    proc = torch2ms("check", "--workspace", str(ws), "--import", "--timeout", "20", "--json",
                    str(out / "ok_import.py"))
    # never imported from the input folder: the missing file is named
    missing = json.loads(proc.stdout)["files"]["ok_import.py"]
    assert missing["import"] == "failed" and proc.returncode == 1
    assert any("No module named 'helper'" in f["message"] and str(project / "helper.py") in f["message"]
               for f in missing["findings"])
    (out / "helper.py").write_text((project / "helper.py").read_text())  # what convert copies
    proc = torch2ms("check", "--workspace", str(ws), "--import", "--timeout", "20", "--json",
                    str(out / "ok_import.py"), str(out / "broken_import.py"))
    assert proc.returncode == 1, proc.stderr
    files = json.loads(proc.stdout)["files"]
    assert files["ok_import.py"]["import"] == "ok" and files["ok_import.py"]["verdict"] == "pass"
    assert files["broken_import.py"]["import"] == "failed"
    assert any("boom at import" in f["message"] for f in files["broken_import.py"]["findings"])
    proc = torch2ms("check", "--workspace", str(ws), "--import", "--timeout", "1", "--json",
                    str(out / "slow_import.py"))
    assert json.loads(proc.stdout)["files"]["slow_import.py"]["import"] == "timeout"
    # a later static check of the unchanged file keeps the import result
    proc = torch2ms("check", "--workspace", str(ws), "--json", str(out / "broken_import.py"))
    assert json.loads(proc.stdout)["files"]["broken_import.py"]["import"] == "failed"
    assert proc.returncode == 1


def test_parity_without_spec(ws):
    proc = torch2ms("check", "--workspace", str(ws), "--parity", "--json", str(ws / "outputs" / "good.py"))
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["files"]["good.py"]["parity"] == "no spec"


TORCH_NET = """import torch


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(4, 2)

    def forward(self, x):
        return torch.relu(self.fc(x))


def build_model():
    return Net()
"""
PORT = TORCH_NET.replace("import torch", "from mindspore import mint, nn").replace(
    "torch.nn.Module", "nn.Cell").replace("torch.nn.Linear", "mint.nn.Linear").replace(
    "def forward", "def construct").replace("torch.relu", "mint.nn.functional.relu")
SPEC = "torch: {build: build_model}\ninputs:\n  - {shape: [2, 4], dtype: float32, seed: 0}\n"


def test_parity_runs_the_spec_next_to_the_output(tmp_path, index):
    project, out = tmp_path / "project", tmp_path / "outputs"
    project.mkdir()
    out.mkdir()
    for name in ("net.py", "broken.py"):
        (project / name).write_text(TORCH_NET)
        (out / name.replace(".py", ".parity.yaml")).write_text(SPEC)
    (out / "net.py").write_text(PORT)
    (out / "broken.py").write_text(PORT.replace("mint.nn.functional.relu(self.fc(x))", "self.fc(x)"))
    (tmp_path / "files_to_convert.md").write_text(TRACKER.replace("/nowhere/project", str(project)))
    proc = torch2ms("check", "--workspace", str(tmp_path), "--parity", "--json")
    assert proc.returncode == 1, proc.stderr
    files = json.loads(proc.stdout)["files"]
    assert files["net.py"]["parity"] == "ok" and files["net.py"]["verdict"] == "pass"
    assert files["broken.py"]["parity"] == "failed"
    [finding] = files["broken.py"]["findings"]
    assert finding["code"] == "parity" and "max abs err" in finding["message"]


def test_concurrent_checks_keep_every_record(ws):
    """Several checks at once (the hook while /verify runs) lose no file's record."""
    out = ws / "outputs"
    names = [f"m{i}.py" for i in range(6)]
    for name in names:
        (out / name).write_text(GOOD)
    procs = [subprocess.Popen([sys.executable, "-m", "torch2ms", "check", "--workspace", str(ws), str(out / n)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for n in names]
    assert [p.wait(timeout=120) for p in procs] == [0] * len(names)
    data = json.loads((ws / ".torch2ms" / "check.json").read_text())
    assert set(names) <= set(data["files"])


def test_hook_finds_the_workspace_of_a_nested_outputs_folder(ws):
    nested = ws / "outputs" / "outputs"
    nested.mkdir()
    (nested / "deep.py").write_text(BAD)
    proc = torch2ms("check", "--hook", stdin=hook_payload(nested / "deep.py"))
    assert proc.returncode == 2 and "outputs/outputs/deep.py: fail" in proc.stderr
    assert "outputs/deep.py" in json.loads((ws / ".torch2ms" / "check.json").read_text())["files"]


def test_help_names_both_specs_parity_runs():
    proc = torch2ms("check", "--help")
    assert proc.returncode == 0, proc.stderr
    text = " ".join(proc.stdout.split())
    assert "<file stem>.parity.yaml (its models, torch2ms parity) and <file stem>.run.yaml" in text


@pytest.mark.parametrize("name, text, error", [
    ("good.parity.yaml", "torch: {build: Net}\ninputs: [{shape: [2, 4]}]\nmodes: eval\n", "unknown spec keys: modes"),
    ("good.parity.yaml", "torch: {build: Net\ninputs: []\n", "is not valid YAML"),
    ("good.parity.yaml", "cases:\n  - torch: {build: Net}\n    inputs: [{shape: [2]}]\n"
                         "  - torch: {build: Net}\n    inputs: [{shape: [3]}]\n", "give each a `name:`"),
    ("pkg/bad.run.yaml", "args: --epochs 1\nstep: 3\n", "unknown run spec keys: step"),
    ("pkg/bad.run.yaml", "args: [--epochs, 1]\nsteps: 0\n", "steps must be a positive whole number"),
    ("pkg/bad.run.yaml", "args: '--epochs 1\n", "is not valid YAML"),
])
def test_hook_reads_an_edited_spec_as_parity_reads_it(ws, name, text, error):
    spec = ws / "outputs" / name
    spec.write_text(text)
    proc = torch2ms("check", "--hook", stdin=hook_payload(spec, "Write"))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith(f"torch2ms check: outputs/{name}: spec error: ") and error in proc.stderr
    assert proc.stderr.count("\n") == 1


def test_hook_passes_a_valid_spec_quietly_without_running_it(ws):
    specs = {"good.parity.yaml": "torch: {build: NoSuchModel}\ninputs: [{shape: [2, 4]}]\n",
             "pkg/bad.run.yaml": "args: --epochs 1\nsteps: 2\nfiles: [data]\n"}
    for name, text in specs.items():
        (ws / "outputs" / name).write_text(text)
        proc = torch2ms("check", "--hook", stdin=hook_payload(ws / "outputs" / name, "Edit"))
        assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", ""), name
    assert not (ws / ".torch2ms" / "check.json").exists()  # nothing checked, nothing recorded
