"""The eval suite of `claude plugin eval` (evals/): its structure, the cases as the real client
loads them (it runs no model here: with no credential the first run stops at the login, after
the suite is loaded and validated), and the deterministic graders on a converted version of
classifier-package that passes `torch2ms check --import --parity` (every grader passes) and on
broken versions of it (the graders that see the fault fail).

The client's own free graders (file_exists, regex on a file) are emulated here as the client
documents them; evals/grade.py (the pack's checks) runs as a user runs it."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from torch2ms.parity.run_cli import validate_run_spec
from torch2ms.parity.spec import read_cases

REPO = Path(__file__).resolve().parents[2]
EVALS = REPO / "evals"
CASES = sorted(p.parent.name for p in EVALS.glob("*/case.yaml"))
REFERENCE = Path(__file__).resolve().parent / "eval_reference"


def load_case(name: str) -> dict:
    return yaml.safe_load((EVALS / name / "case.yaml").read_text())


def test_the_suite_has_its_cases():
    assert CASES == ["char-lm", "classifier-package", "cnn-inference"]


@pytest.mark.parametrize("name", CASES)
def test_case_structure(name):
    """A case: a package with __init__.py, a model file and a script at its root; the scaffold
    that copies them; specs for the model file and the script that parity and parity-run accept;
    free graders naming the case's own files, an LLM grader, and the plugin-fired indicator."""
    case_dir = EVALS / name
    case = load_case(name)
    assert case["name"] == name and str(case["schema_version"]).startswith("1.")
    scaffold = case_dir / case["context"]["scaffold_script"]
    assert scaffold.is_file() and scaffold.stat().st_mode & 0o111 and "project/" in scaffold.read_text()
    project = case_dir / "project"
    packages = [p.parent for p in project.glob("*/__init__.py")]
    scripts = [p for p in project.glob("*.py")]
    assert len(packages) == 1 and scripts, (packages, scripts)
    assert any("import torch" in p.read_text() for p in packages[0].glob("*.py"))
    specs = sorted(p for p in (case_dir / "specs").rglob("*") if p.name.endswith((".parity.yaml", ".run.yaml")))
    kinds = set()
    for spec in specs:
        rel = spec.relative_to(case_dir / "specs").as_posix()
        stem = rel.rsplit(".", 2)[0]
        assert (project / f"{stem}.py").is_file(), f"{rel}: no {stem}.py in the project"
        if rel.endswith(".parity.yaml"):
            assert read_cases(spec), rel
            kinds.add("parity")
        else:
            assert validate_run_spec(spec), rel
            kinds.add("run")
    assert kinds == {"parity", "run"}, f"{name}: a spec for the model file and one for the script"
    execution = case["execution"]
    assert "outputs/" in execution["prompt"] and {"Edit", "Write", "Bash"} <= set(execution["allowed_tools"])
    graders = case["graders"]
    for grader in graders:
        target = grader.get("target")
        path = grader.get("path") or (target["path"] if isinstance(target, dict) else None)
        if path:
            original = path.removeprefix("outputs/")
            assert (project / original).is_file(), f"{grader['name']}: {path} is not a file of the project"
    assert any(g["type"] == "llm" for g in graders)
    assert [g for g in graders if g["type"] == "tool_used" and g["tool"] == "Skill" and g.get("arm") == "with-only"]


@pytest.mark.parametrize("name", CASES)
def test_client_loads_the_case(client, fresh_clone, tmp_path, name):
    """`claude plugin eval` on a fresh clone, one case, the tools granted: the case loads with
    its graders and no advisory; without a credential the run stops before any model call."""
    out = tmp_path / "result.json"
    client.env["TMPDIR"] = str(tmp_path)  # where the client keeps a failed run's sandbox
    proc = client("plugin", "eval", fresh_clone, "--case", name, "--ablation", "none", "--runs", "1",
                       "--trust-plugin", "--no-publish", "--allow-tools", "Edit", "Write", "Bash",
                       "--output-dir", tmp_path / "results", "--json", out, cwd=tmp_path, ok=False)
    text = proc.stdout + proc.stderr
    assert "invalid case.yaml" not in text and "case.yaml:" not in text, text
    result = json.loads(out.read_text())
    [loaded] = result["cases"]
    assert loaded["name"] == name and loaded["source"] == "case_yaml", loaded
    assert [g["name"] for g in loaded["graders"]] == [g["name"] for g in load_case(name)["graders"]]
    assert loaded.get("advisories", []) == [] and "cannot pass" not in text, text
    # nothing ran: no credential (or, with Bash granted, no sandbox backend to confine it)
    [run] = loaded["arms"]["with"]
    assert result["costUsd"] == 0 and run["costUsd"] == 0 and run["turns"] <= 1 and run["error"], run


# --- the free graders of case.yaml, as the client runs them ------------------------------------
def client_grader(grader: dict, run_dir: Path) -> bool:
    if grader["type"] == "file_exists":
        return any(run_dir.glob(grader["path"])) == grader.get("exists", True)
    assert grader["type"] == "regex" and isinstance(grader["target"], dict), grader
    path = run_dir / grader["target"]["path"]
    if not path.is_file():
        return False  # the client: "grader threw: ... does not exist"
    flags = sum({"m": re.M, "i": re.I, "s": re.S}[f] for f in grader.get("flags", "") if f in "mis")
    hits = len(re.findall(grader["pattern"], path.read_text(), flags))
    match = grader.get("match", "contains")
    if match.startswith("count:"):
        return hits == int(match.split(":")[1])
    return (hits > 0) == (match == "contains")


def free_graders(name: str, run_dir: Path) -> dict[str, bool]:
    return {g["name"]: client_grader(g, run_dir) for g in load_case(name)["graders"]
            if g["type"] in ("file_exists", "regex")}


def grade(name: str, run_dir: Path) -> tuple[int, dict[str, dict]]:
    proc = subprocess.run([sys.executable, str(EVALS / "grade.py"), str(EVALS / name), str(run_dir), "--json"],
                          capture_output=True, text=True, timeout=1800)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, {g["name"]: g for g in json.loads(proc.stdout)["graders"]}


def run_dir_of(tmp_path: Path, name: str) -> Path:
    """A run's working folder: the scaffold's project and the reference port in outputs/."""
    run = tmp_path / "run"
    run.mkdir()
    subprocess.run(["bash", str(EVALS / name / "scaffold.sh")], cwd=run, check=True)
    shutil.copytree(REFERENCE / name / "outputs", run / "outputs")
    return run


def test_graders_pass_on_a_converted_project(tmp_path):
    run = run_dir_of(tmp_path, "classifier-package")
    assert all(free_graders("classifier-package", run).values()), free_graders("classifier-package", run)
    code, graders = grade("classifier-package", run)
    assert code == 0 and all(g["passed"] for g in graders.values()), graders
    assert set(graders) == {"input-untouched", "outputs-complete", "no-torch-left", "no-open-markers",
                            "checks-pass", "imports", "parity", "report-counts"}


def test_graders_fail_on_broken_outputs(tmp_path):
    """The port computes something else (ReLU for GELU), the training script keeps a torch
    import and a marker, the package's __init__.py has no port, and the run edited the torch
    original: each grader that sees one of these fails."""
    run = run_dir_of(tmp_path, "classifier-package")
    model = run / "outputs" / "tinyclf" / "model.py"
    model.write_text(model.read_text().replace("mint.nn.functional.gelu(", "mint.nn.functional.relu("))
    script = run / "outputs" / "train.py"
    script.write_text(script.read_text().replace(
        "import mindspore as ms\n",
        "import mindspore as ms\nimport torch  # TODO(torch2ms): torch import kept for torch.manual_seed\n", 1))
    (run / "outputs" / "tinyclf" / "__init__.py").unlink()
    original = run / "tinyclf" / "model.py"
    original.write_text(original.read_text().replace("F.gelu(", "F.relu("))

    free = free_graders("classifier-package", run)
    assert not free["script-port-has-no-torch-import"] and not free["package-init-written"], free
    assert free["model-port-is-a-cell"] and free["model-port-has-no-torch-import"], free
    code, graders = grade("classifier-package", run)
    assert code == 1
    failed = {name for name, g in graders.items() if not g["passed"]}
    assert failed == {"input-untouched", "outputs-complete", "no-torch-left", "no-open-markers", "checks-pass",
                      "parity", "report-counts"}, graders
    assert "tinyclf/model.parity.yaml" in graders["parity"]["explanation"], graders["parity"]
    assert "tinyclf/__init__.py" in graders["outputs-complete"]["explanation"]
    assert "tinyclf/model.py" in graders["input-untouched"]["explanation"]
