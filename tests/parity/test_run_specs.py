"""Run specs for real scripts: environment variables, a checkpoint made for an inference run,
every model behind every optimizer (a GAN), the captured model (the outer module, or the one the
spec names) and library seed functions as the script's seeds."""

import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
PROJECTS = DATA / "projects"


def parity_run(*args, cwd):
    env = {k: v for k, v in os.environ.items() if k not in ("TORCH2MS_SANDBOXED", "WANDB_MODE")}
    return subprocess.run([sys.executable, "-m", "torch2ms", "parity-run", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=600, env=env)


def _plant(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def _project(tmp_path, name):
    """The torch project as the input folder, its port in a workspace's outputs/."""
    project, ws = tmp_path / "project", tmp_path / "ws"
    shutil.copytree(PROJECTS / name / "torch", project)
    shutil.copytree(PROJECTS / name / "port", ws / "outputs")
    return project, ws


def test_a_gan_gets_the_weights_of_both_models_and_both_losses_match(tmp_path):
    project, ws = _project(tmp_path, "gan")
    proc = parity_run(project / "train_gan.py", ws / "outputs" / "train_gan.py", "--args=--steps 3", "--steps", "4",
                      cwd=ws)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("parity-run (training, 4 steps): MATCH, 4/4 losses within tolerance"), proc.stdout
    assert lines[1].startswith("captured at the first optimizer (Discriminator, Generator)"), proc.stdout
    assert lines[2:4] == ["weights: Discriminator: copied 4 tensors by name", "  Generator: copied 4 tensors by name"]


def test_a_port_training_fewer_models_than_the_original_is_a_mismatch(tmp_path):
    project, ws = _project(tmp_path, "gan")
    port = ws / "outputs" / "train_gan.py"
    _plant(port, "optG = mint.optim.Adam(netG.trainable_params(), lr=0.01)\n", "")
    _plant(port, "    optG(grads)\n", "")
    _plant(port, "grad_g = mindspore.value_and_grad(g_loss, None, optG.parameters)",
           "grad_g = mindspore.value_and_grad(g_loss, None, netG.trainable_params())")
    proc = parity_run(project / "train_gan.py", port, "--args=--steps 3", "--steps", "4", cwd=ws)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stdout.startswith("parity-run: MISMATCH, the torch original trains 2 models before its first loss "
                                  "(Discriminator, Generator), the port 1 (Discriminator)"), proc.stdout


def test_an_inference_run_with_env_a_named_model_and_a_checkpoint_made_for_it(tmp_path):
    project, ws = _project(tmp_path, "infer")
    spec = ws / "outputs" / "infer.run.yaml"
    spec.write_text("steps: 1\nenv: {WANDB_MODE: disabled}\nmodel: net\n"
                    "checkpoint: {build: Net, from: sr/model.py, path: ckpt/net.pth, key: model, seed: 3}\n")
    proc = parity_run(project / "infer.py", ws / "outputs" / "infer.py", "--spec", spec, cwd=ws)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "parity-run (inference, 1 steps): MATCH, 1/1 outputs within tolerance (max abs diff 0)", proc.stdout
    assert lines[1].startswith("captured at the first eval (Net)")
    assert "weights: copied 4 tensors by name" in proc.stdout  # the named model: width 6, not the baseline's 3
    assert "making the checkpoint ckpt/net.pth (Net, seed 3)" in proc.stderr
    # the checkpoints were made in the copies the scripts ran from, not in the user's folders
    assert not (project / "ckpt").exists() and not (ws / "outputs" / "ckpt").exists()
    # without the environment variable the torch script stops on its own: its arguments are refused
    spec.write_text(spec.read_text().replace("env: {WANDB_MODE: disabled}\n", ""))
    proc = parity_run(project / "infer.py", ws / "outputs" / "infer.py", "--spec", spec, cwd=ws)
    assert proc.returncode == 2 and "WANDB_MODE=disabled" in proc.stderr, proc.stdout + proc.stderr


@pytest.mark.parametrize("spec,message", [
    ("env: [WANDB_MODE]\n", "env must map variable names to values"),
    ("model: 3\n", "model must name the model in the script"),
    ("checkpoint: {build: Net}\n", "checkpoint needs `path:`"),
    ("checkpoint: {build: Net, path: ../elsewhere.pt}\n", "checkpoint path must be a path inside the project"),
    ("checkpoint: {build: Net, path: a.pt, weights: b}\n", "unknown checkpoint keys: weights"),
])
def test_run_spec_keys_are_checked_before_anything_runs(tmp_path, spec, message):
    from torch2ms.parity.run_cli import validate_run_spec
    from torch2ms.parity.spec import SpecError

    path = tmp_path / "x.run.yaml"
    path.write_text(spec)
    with pytest.raises(SpecError, match=message.replace("(", r"\(")):
        validate_run_spec(path)


@pytest.mark.parametrize("seed_call", [
    "import lightning_fabric as L\nL.seed_everything(1337)",
    "from accelerate.utils import set_seed\nset_seed(1337)",
], ids=["L.seed_everything", "accelerate.utils.set_seed"])
def test_library_seed_functions_are_the_scripts_seed(tmp_path, seed_call):
    """The port's `mindspore.set_seed(1337)` resets the shared stream; the original's
    `seed_everything(1337)` must too, or the batches drawn with torch.randint differ."""
    project, ws = tmp_path / "project", tmp_path / "ws"
    (project / "data").mkdir(parents=True)
    (ws / "outputs").mkdir(parents=True)
    rng = random.Random(0)
    (project / "data" / "digits.txt").write_text(" ".join(str(rng.randint(0, 9)) for _ in range(300)))
    shutil.copy(DATA / "scripts" / "train_torch.py", project / "train.py")
    shutil.copy(DATA / "scripts" / "train_ms.py", ws / "outputs" / "train.py")
    for path in (project / "train.py", ws / "outputs" / "train.py"):
        _plant(path, 'open("digits.txt")', 'open("data/digits.txt")')
    _plant(project / "train.py", "torch.manual_seed(1337)", seed_call)
    proc = parity_run(project / "train.py", ws / "outputs" / "train.py", "--args=--steps 100 --dropout 0",
                      "--steps", "3", "--files", "data/digits.txt", cwd=ws)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("parity-run (training, 3 steps): MATCH, 3/3 losses")


# --------------------------------------------------------------------- which module is the model
def _models(framework):
    if framework == "torch":
        import torch.nn as nn

        base, seq, mdict, lin, emb = nn.Module, nn.Sequential, nn.ModuleDict, nn.Linear, nn.Embedding
        params = lambda m: list(m.parameters())  # noqa: E731
    else:
        from mindspore import mint, nn

        base, seq, mdict, lin, emb = nn.Cell, nn.SequentialCell, nn.CellDict, mint.nn.Linear, mint.nn.Embedding
        params = lambda m: m.trainable_params()  # noqa: E731

    class Net(base):  # all its parameters in one inner Sequential
        def __init__(self, layers=None):
            super().__init__()
            self.layers = layers if layers is not None else seq(lin(3, 4), lin(4, 2))

    class GPT(base):  # a ModuleDict holding the layers, the head tied to the embedding
        def __init__(self, transformer=None):
            super().__init__()
            self.transformer = transformer if transformer is not None else mdict({"wte": emb(10, 4),
                                                                                  "proj": lin(4, 4)})
            self.lm_head = lin(4, 10, bias=False)
            self.transformer["wte"].weight = self.lm_head.weight

    inner_first = [Net(seq(lin(3, 4), lin(4, 2))), GPT(mdict({"wte": emb(10, 4), "proj": lin(4, 4)}))]
    outer_first = [Net(), GPT()]
    return base, params, inner_first + outer_first


@pytest.mark.parametrize("framework", ["torch", "mindspore"])
def test_the_captured_model_is_the_outer_module_owning_the_optimizers_parameters(framework):
    """An inner container owning the same parameters as its model (a Sequential; a ModuleDict
    when the head is tied to its embedding) must not be captured instead, whichever was created
    first."""
    from torch2ms.parity import script_hooks

    kind, params, models = _models(framework)
    for model in models:
        ids = {id(p) for p in params(model)}
        assert script_hooks._largest_owner(kind, ids) is model, (framework, type(model).__name__)


def test_the_model_the_spec_names_is_captured_as_the_project_code_calls_it(monkeypatch):
    """`model: self.small`: looked up in the project's own frames (not the hooks' own `self`)."""
    import torch

    from torch2ms.parity import script_hooks

    monkeypatch.setitem(script_hooks.STATE, "roots", [str(Path(__file__).parent) + os.sep])

    class Trainer:
        def __init__(self):
            self.big, self.small = torch.nn.Linear(8, 8), torch.nn.Linear(2, 2)

        def owner(self):  # what the optimizer hook asks, from inside the project's code
            ids = {id(p) for m in (self.big, self.small) for p in m.parameters()}
            return script_hooks._owner(torch.nn.Module, ids)

    trainer = Trainer()
    monkeypatch.setitem(script_hooks.STATE, "names", ["self.small"])
    assert trainer.owner() is trainer.small
    monkeypatch.setitem(script_hooks.STATE, "names", [])
    assert trainer.owner() is trainer.big  # unnamed: the module owning most of the parameters


def test_a_script_in_a_subfolder_imports_the_project_package(tmp_path):
    """`scripts/train_gan.py` imports the `gan` package of the project root, as it does where the
    project is installed for development: both sides run with the root importable."""
    project, ws = _project(tmp_path, "gan")
    for side in (project, ws / "outputs"):
        (side / "scripts").mkdir()
        shutil.move(str(side / "train_gan.py"), str(side / "scripts" / "train_gan.py"))
    scan = subprocess.run([sys.executable, "-m", "torch2ms", "scan", str(project), "--workspace", str(ws)],
                          capture_output=True, text=True)
    assert scan.returncode == 0, scan.stderr  # the workspace knows the project's root
    proc = parity_run(project / "scripts" / "train_gan.py", ws / "outputs" / "scripts" / "train_gan.py",
                      "--args=--steps 3", "--steps", "4", cwd=ws)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("parity-run (training, 4 steps): MATCH, 4/4 losses within tolerance"), proc.stdout
