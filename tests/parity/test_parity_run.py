"""`torch2ms parity-run`: a torch script and its port run from the same weights, compared step by
step (losses) or call by call (generated tokens), with no harness written for them; and the
`<stem>.run.yaml` that `check --parity` runs."""

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from torch2ms.check.findings import FileResult
from torch2ms.check.runtime import parity_check

SCRIPTS = Path(__file__).parent / "data" / "scripts"


def parity_run(*args, cwd):
    env = {k: v for k, v in os.environ.items() if k != "TORCH2MS_SANDBOXED"}
    return subprocess.run([sys.executable, "-m", "torch2ms", "parity-run", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=600, env=env)


@pytest.fixture
def workspace(tmp_path):
    """An input folder with the torch scripts and their data, and a workspace whose outputs/ holds
    the ports (as /convert-next leaves them)."""
    project, ws = tmp_path / "project", tmp_path / "ws"
    (project / "data").mkdir(parents=True)
    (ws / "outputs").mkdir(parents=True)
    rng = random.Random(0)
    (project / "data" / "digits.txt").write_text(" ".join(str(rng.randint(0, 9)) for _ in range(300)))
    for name in ("train", "gen"):
        shutil.copy(SCRIPTS / f"{name}_torch.py", project / f"{name}.py")
        shutil.copy(SCRIPTS / f"{name}_ms.py", ws / "outputs" / f"{name}.py")
    for path in (project / "train.py", ws / "outputs" / "train.py"):
        path.write_text(path.read_text().replace('open("digits.txt")', 'open("data/digits.txt")'))
    (ws / ".torch2ms").mkdir()
    (ws / ".torch2ms" / "scan.json").write_text(json.dumps({"input_dir": str(project)}))
    return project, ws


def test_check_parity_runs_the_run_spec_of_a_training_script(workspace):
    project, ws = workspace
    (ws / "outputs" / "train.run.yaml").write_text(
        'args: "--steps 100 --dropout 0"\nsteps: 4\nfiles: [data/digits.txt]\ntolerance: {atol: 1.0e-5, rtol: 1.0e-5}\n')
    result = FileResult("train.py")
    parity_check(ws / "outputs" / "train.py", project / "train.py", ws, result, 600)
    assert (result.run_result, result.findings) == ("ok", []), result.findings
    assert result.parity_result == "no spec"
    [note] = result.notes  # what the match compared, for the check's output and the reports
    assert note.startswith("run: train.run.yaml matches: 4 losses, max abs diff "), note
    # the scripts ran in copies: nothing was written next to the user's files
    assert sorted(p.name for p in project.iterdir()) == ["data", "gen.py", "train.py"]
    assert sorted(p.name for p in (ws / "outputs").iterdir()) == ["gen.py", "train.py", "train.run.yaml"]


def test_losses_step_by_step_and_dropout_named_on_a_mismatch(workspace):
    project, ws = workspace
    proc = parity_run(project / "train.py", ws / "outputs" / "train.py", "--args=--steps 100 --dropout 0",
                      "--steps", "3", "--files", "data/digits.txt", cwd=ws)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("parity-run (training, 3 steps): MATCH, 3/3 losses within tolerance (max abs diff ")
    assert lines[1] == "captured at the first optimizer (Net); tolerance atol 0.0001, rtol 0.0001"
    assert lines[2] == "weights: copied 3 tensors by name"
    assert [ln.split(":")[0] for ln in lines[3:6]] == ["ok   step 1", "ok   step 2", "ok   step 3"]
    # the default dropout (0.1) draws different masks in each framework
    proc = parity_run(project / "train.py", ws / "outputs" / "train.py", "--args=--steps 100", "--steps", "3",
                      "--files", "data/digits.txt", cwd=ws)
    assert proc.returncode == 1
    assert "MISMATCH" in proc.stdout.splitlines()[0]
    assert "note: the model drops at random (drop)" in proc.stdout


def test_generated_tokens_sampled_from_one_random_stream(workspace):
    """torch.multinomial and mint.multinomial draw from the stream parity-run shares."""
    project, ws = workspace
    proc = parity_run(project / "gen.py", ws / "outputs" / "gen.py", "--args=--tokens 12 --sample", "--steps", "1",
                      cwd=ws)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[0] == ("parity-run (generation, 1 steps): MATCH, 1/1 generated outputs "
                                           "within tolerance (max abs diff 0)")
    assert "ok   call 1 output: 26/26 equal" in proc.stdout  # 2 rows of 1 + 12 tokens


def test_a_torch_script_needing_a_missing_package_is_its_own_verdict(workspace):
    project, ws = workspace
    (project / "needs.py").write_text("import tiktoken_t2ms_absent\n")
    proc = parity_run(project / "needs.py", ws / "outputs" / "gen.py", cwd=ws)
    assert proc.returncode == 3
    assert proc.stdout.strip() == ("parity-run: TORCH SIDE UNAVAILABLE, the torch original imports "
                                   "tiktoken_t2ms_absent, which is not installed here: pip install "
                                   "tiktoken-t2ms-absent (parity cannot run without it)")


def test_a_script_with_nothing_to_compare_is_bad_input(workspace):
    project, ws = workspace
    (project / "plain.py").write_text("import torch\nprint(torch.ones(2).sum())\n")
    proc = parity_run(project / "plain.py", ws / "outputs" / "gen.py", cwd=ws)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1] == (
        "torch2ms parity-run: the torch original built no optimizer, called no generate() and no eval() in its "
        "own code: nothing to compare (parity-run compares training steps, generation or evaluation)")


def test_constants_replace_a_flat_scripts_top_level_values(tmp_path):
    from torch2ms.parity.run_cli import set_constants

    script = tmp_path / "gpt.py"
    script.write_text("n_embd = 384  # width\nblock_size: int = 256\nlr = 3e-4\nname = 'é' ; n_layer = 6\n"
                      "def f():\n    n_embd = 1\n    return n_embd\n")
    assert set_constants(script, {"n_embd": 32, "block_size": 8, "n_layer": 2, "dropout": 0.0}) == ["dropout"]
    assert script.read_text() == ("n_embd = 32  # width\nblock_size: int = 8\nlr = 3e-4\nname = 'é' ; n_layer = 2\n"
                                  "def f():\n    n_embd = 1\n    return n_embd\n")


@pytest.mark.parametrize("flag", ["", "--infinite"], ids=["shuffle=True", "RandomSampler(replacement)"])
def test_shuffled_data_loaders_give_both_sides_the_same_batches(tmp_path, flag):
    """DataLoader(shuffle=True) / RandomSampler and GeneratorDataset(shuffle=True) / ds.RandomSampler
    draw one index order: the losses match over more steps than one epoch holds (13 batches)."""
    project, outputs = tmp_path / "project", tmp_path / "ws" / "outputs"
    project.mkdir()
    outputs.mkdir(parents=True)
    shutil.copy(SCRIPTS / "loader_torch.py", project / "loader.py")
    shutil.copy(SCRIPTS / "loader_ms.py", outputs / "loader.py")
    proc = parity_run(project / "loader.py", outputs / "loader.py", f"--args=--steps 16 {flag}".strip(),
                      "--steps", "16", cwd=tmp_path / "ws")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("parity-run (training, 16 steps): MATCH, 16/16 losses within tolerance")


def _plant(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def _crash_after_step_1(path: Path, anchor: str) -> None:
    _plant(path, anchor, "    if step == 1:\n        raise RuntimeError('boom')\n" + anchor)


def test_a_torch_script_failing_at_run_time_is_a_torch_run_failure_not_a_spec_error(workspace):
    project, ws = workspace
    _crash_after_step_1(project / "train.py", "    model.train()\n")
    proc = parity_run(project / "train.py", ws / "outputs" / "train.py", "--args=--steps 100 --dropout 0",
                      "--steps", "3", "--files", "data/digits.txt", cwd=ws)
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert proc.stdout.strip() == ("parity-run: TORCH RUN FAILED, the torch script stopped after 1 of 3 steps: "
                                   f"RuntimeError: boom (at {project / 'train.py'}:36)")
    # before its first step (a data file it cannot find), through the run spec check --parity runs
    _plant(project / "train.py", 'open("data/digits.txt")', 'open("data/absent.txt")')
    (ws / "outputs" / "train.run.yaml").write_text('args: "--steps 100 --dropout 0"\nfiles: [data/digits.txt]\n')
    result = FileResult("train.py")
    parity_check(ws / "outputs" / "train.py", project / "train.py", ws, result, 600)
    assert result.run_result == "torch run failed"
    [finding] = result.findings
    assert finding.code == "run"
    assert finding.message.startswith("train.run.yaml: torch run failed: the torch script fails before its first "
                                      "step: FileNotFoundError: [Errno 2] No such file or directory: "
                                      "'data/absent.txt'"), finding.message
    assert "fix the spec" not in finding.message


def test_a_port_stopping_early_says_after_how_many_steps(workspace):
    project, ws = workspace
    _crash_after_step_1(ws / "outputs" / "train.py", "    model.set_train(True)\n")
    proc = parity_run(project / "train.py", ws / "outputs" / "train.py", "--args=--steps 100 --dropout 0",
                      "--steps", "3", "--files", "data/digits.txt", cwd=ws)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[0].startswith(
        "parity-run (training, 3 steps): MISMATCH, the port script stopped after 1 of 3 steps: RuntimeError: boom "
        f"(at {ws / 'outputs' / 'train.py'}:"), proc.stdout


def test_batches_drawn_with_pythons_random_line_up(workspace):
    """Python's `random` starts from the same seed on both sides."""
    project, ws = workspace
    for path, old in ((project / "train.py", "torch.randint(len(data) - 9, (4,))"),
                      (ws / "outputs" / "train.py", "mint.randint(0, len(data) - 9, (4,))")):
        _plant(path, old, "[random.randint(0, len(data) - 10) for _ in range(4)]")
        _plant(path, "import argparse\n", "import argparse\nimport random\n")
    proc = parity_run(project / "train.py", ws / "outputs" / "train.py", "--args=--steps 100 --dropout 0",
                      "--steps", "3", "--files", "data/digits.txt", cwd=ws)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("parity-run (training, 3 steps): MATCH, 3/3 losses")


def test_a_run_spec_with_cases_runs_each_and_check_counts_them_all(workspace):
    """One script, several runs (makemore's `--type transformer|rnn|...`): each case overrides the
    top-level keys, each is compared, and the run is ok only when every case matches."""
    project, ws = workspace
    spec = ws / "outputs" / "train.run.yaml"
    spec.write_text('steps: 3\nfiles: [data/digits.txt]\ntolerance: {atol: 1.0e-5, rtol: 1.0e-5}\ncases:\n'
                    '  - {name: small-lr, args: "--steps 100 --dropout 0 --lr 0.001"}\n'
                    '  - {name: large-lr, args: "--steps 100 --dropout 0 --lr 0.05", steps: 4}\n')
    proc = parity_run(project / "train.py", ws / "outputs" / "train.py", "--spec", spec, cwd=ws)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "== case small-lr ==\nparity-run (training, 3 steps): MATCH, 3/3 losses" in out
    assert "== case large-lr ==\nparity-run (training, 4 steps): MATCH, 4/4 losses" in out
    assert out.rstrip().endswith("parity-run: 2 of 2 cases match")
    proc = parity_run(project / "train.py", ws / "outputs" / "train.py", "--spec", spec, "--json", cwd=ws)
    doc = json.loads(proc.stdout)  # one document for all the cases
    assert proc.returncode == 0 and doc["ok"] is True
    assert [(c["name"], c["ok"], c["compared"]) for c in doc["cases"]] == [("small-lr", True, 3), ("large-lr", True, 4)]
    # a case with dropout on mismatches: the spec's run is not ok, and check says so
    spec.write_text(spec.read_text().replace("--lr 0.05", "--lr 0.05 --dropout 0.5"))
    result = FileResult("train.py")
    parity_check(ws / "outputs" / "train.py", project / "train.py", ws, result, 600)
    assert result.run_result == "failed"
    assert "large-lr: parity-run (training, 4 steps): MISMATCH" in result.findings[0].message
    spec.write_text("cases:\n  - {args: '--steps 1'}\n  - {args: '--steps 2'}\n  - {name: case 1}\n")
    proc = parity_run(project / "train.py", ws / "outputs" / "train.py", "--spec", spec, cwd=ws)
    assert proc.returncode == 2 and "another case is named 'case 1' too" in proc.stderr


def test_noise_drawn_with_randn_like_in_forward_lines_up(workspace):
    """A VAE's `torch.randn_like(std)` and its port's `mint.randn_like(std)` draw from the shared stream."""
    project, ws = workspace
    _plant(project / "train.py", "        logits = self.head(self.drop(self.emb(x)))\n",
           "        logits = self.head(self.drop(self.emb(x)))\n        logits = logits + torch.randn_like(logits)\n")
    _plant(ws / "outputs" / "train.py", "        logits = self.head(self.drop(self.emb(x)))\n",
           "        logits = self.head(self.drop(self.emb(x)))\n        logits = logits + mint.randn_like(logits)\n")
    proc = parity_run(project / "train.py", ws / "outputs" / "train.py", "--args=--steps 100 --dropout 0",
                      "--steps", "3", "--files", "data/digits.txt", cwd=ws)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("parity-run (training, 3 steps): MATCH, 3/3 losses")
