"""Incremental verification: `check --parity` runs a spec again only when one of its inputs
changed (the port, the torch original, the spec, the files it reads, the project modules either
side imports, the pack), reuses the verdict otherwise and says so; `--fresh` runs all again."""

import json
import os

import pytest

from torch2ms.check import runtime, verdicts
from torch2ms.check.cli import check_paths
from torch2ms.cli import main
from torch2ms.workspace import Workspace

CONF = "class TinyConfig:\n    width = 4\n"
MODEL = ("import torch\nfrom torch import nn\nfrom .configuration_tiny import TinyConfig\n\n\n"
         "class Tiny(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
         "        self.proj = nn.Linear(TinyConfig.width, 3)\n\n"
         "    def forward(self, x):\n        return torch.relu(self.proj(x))\n")
UNRELATED = "import torch\n\n\ndef norm(x):\n    return torch.sqrt((x * x).sum())\n"


@pytest.fixture
def project(tmp_path, index):
    """A scanned and converted package with a parity spec and a run spec beside its model."""
    package = tmp_path / "project" / "mymodel"
    (package / "data").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "configuration_tiny.py").write_text(CONF)
    (package / "modeling_tiny.py").write_text(MODEL)
    (package / "unrelated.py").write_text(UNRELATED)
    (package / "data" / "digits.txt").write_text("1 2 3\n")
    ws = tmp_path / "ws"
    w = ["--workspace", str(ws)]
    assert main(["scan", str(package), *w]) == 0
    assert main(["convert", str(package), *w]) == 0
    (ws / "outputs" / "modeling_tiny.parity.yaml").write_text("torch: {build: Tiny}\ninputs:\n  - {shape: [2, 4]}\n")
    (ws / "outputs" / "modeling_tiny.run.yaml").write_text("steps: 2\nfiles: [data/digits.txt]\n")
    return package, ws


@pytest.fixture
def runs(monkeypatch):
    """The specs run (command, spec file name), each giving "ok" as a matching run does."""
    ran = []

    def spec_run(command, spec, path, source, workspace_root, result, timeout):
        assert source is not None and source.is_file()
        ran.append((command, spec.name))
        result.notes.append(f"{'parity' if command == 'parity' else 'run'}: {spec.name} matches: 1 values")
        return "ok"

    monkeypatch.setattr(runtime, "_spec_run", spec_run)
    return ran


def _check(ws, fresh=False):
    [(key, result)] = check_paths([ws / "outputs" / "modeling_tiny.py"], Workspace(ws), parity=True, fresh=fresh)
    assert (result.parity_result, result.run_result) == ("ok", "ok")
    return result


BOTH = [("parity", "modeling_tiny.parity.yaml"), ("parity-run", "modeling_tiny.run.yaml")]
PARITY, RUN = BOTH[:1], BOTH[1:]


def _append(path, text="\n# changed\n"):
    path.write_text(path.read_text() + text)


CHANGES = {
    "the port": (lambda pkg, ws: _append(ws / "outputs" / "modeling_tiny.py"), BOTH),
    "the torch original": (lambda pkg, ws: _append(pkg / "modeling_tiny.py"), BOTH),
    "the parity spec": (lambda pkg, ws: _append(ws / "outputs" / "modeling_tiny.parity.yaml", "atol: 1.0e-5\n"), PARITY),
    "the run spec": (lambda pkg, ws: _append(ws / "outputs" / "modeling_tiny.run.yaml", "timeout: 300\n"), RUN),
    "a file the run spec reads": (lambda pkg, ws: _append(pkg / "data" / "digits.txt", "4\n"), RUN),
    "a module the port imports": (lambda pkg, ws: _append(ws / "outputs" / "configuration_tiny.py"), BOTH),
    "a module the original imports": (lambda pkg, ws: _append(pkg / "configuration_tiny.py"), BOTH),
    "the package's __init__": (lambda pkg, ws: _append(pkg / "__init__.py"), BOTH),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_change_to_any_input_runs_what_depends_on_it_again(project, runs, change):
    package, ws = project
    _check(ws)
    assert runs == BOTH
    result = _check(ws)  # nothing changed: nothing runs, both verdicts are given back
    assert runs == BOTH
    assert [n for n in result.notes if "verdict reused" in n] == [
        n for n in result.notes if n.startswith(("parity: modeling_tiny.parity.yaml: verdict reused",
                                                 "run: modeling_tiny.run.yaml: verdict reused"))]
    assert len([n for n in result.notes if "verdict reused" in n]) == 2
    assert "parity: modeling_tiny.parity.yaml matches: 1 values" in result.notes
    make, rerun = CHANGES[change]
    make(package, ws)
    runs.clear()
    result = _check(ws)
    assert runs == rerun
    assert len([n for n in result.notes if "verdict reused" in n]) == 2 - len(rerun)


def test_nothing_else_runs_a_spec_again(project, runs):
    package, ws = project
    _check(ws)
    runs.clear()
    port = ws / "outputs" / "modeling_tiny.py"
    os.utime(port, (1, 1))  # a newer time, the same content
    _append(ws / "outputs" / "unrelated.py")  # files neither side imports
    _append(package / "unrelated.py")
    (ws / "outputs" / "notes.txt").write_text("a file of the user's")
    main(["check", "--workspace", str(ws)])  # a static check in between
    _check(ws)
    assert runs == []


def test_a_change_to_the_pack_and_fresh_run_every_spec_again(project, runs, monkeypatch):
    package, ws = project
    _check(ws)
    _check(ws, fresh=True)
    assert runs == BOTH + BOTH
    monkeypatch.setattr(verdicts, "pack_digest", lambda: "another version of the pack")
    _check(ws)
    assert runs == BOTH * 3


def test_a_timeout_is_never_reused(project, monkeypatch):
    package, ws = project
    ran = []

    def spec_run(command, spec, path, source, workspace_root, result, timeout):
        ran.append(command)
        return "timeout"

    monkeypatch.setattr(runtime, "_spec_run", spec_run)
    for _ in range(2):
        check_paths([ws / "outputs" / "modeling_tiny.py"], Workspace(ws), parity=True)
    assert ran == ["parity", "parity-run"] * 2


def test_check_parity_says_which_verdicts_it_reused(project, capsys):
    """The real run: the parity spec is compared once; the second check reuses its verdict and
    says so; --fresh compares again."""
    package, ws = project
    (ws / "outputs" / "modeling_tiny.run.yaml").unlink()
    w = ["--workspace", str(ws)]
    assert main(["check", "--parity", "outputs/modeling_tiny.py", *w]) == 0
    first = capsys.readouterr().out
    assert "modeling_tiny.py: pass, parity ok" in first and "reused" not in first
    assert main(["check", "--parity", "outputs/modeling_tiny.py", *w]) == 0
    second = capsys.readouterr().out
    assert "note: parity: modeling_tiny.parity.yaml: verdict reused (its inputs are unchanged since " in second
    assert second.rstrip().endswith("1 parity/run verdict reused, their inputs unchanged: modeling_tiny.py parity "
                                    "(--fresh runs them again)")
    recorded = json.loads((ws / ".torch2ms" / "check.json").read_text())["files"]["modeling_tiny.py"]
    assert recorded["parity"] == "ok"
    assert main(["check", "--parity", "--fresh", "outputs/modeling_tiny.py", *w]) == 0
    assert "reused" not in capsys.readouterr().out
    assert main(["check", "--fresh", *w]) == 2
