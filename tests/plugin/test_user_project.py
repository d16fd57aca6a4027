"""The pack used from a user's own project, outside this repository.

1. As a package: `torch2ms` installed from this checkout into a fresh virtual environment (the
   base install: libcst and pyyaml only) runs the main job, scan -> convert -> check -> report,
   with the workspace in the user's project.
2. As a plugin: installed into a Claude Code plugin cache the way `/plugin marketplace add` and
   `/plugin install torch2ms@torch2ms` do, its commands, skill and hook run in the user's project
   as Claude Code runs them (tests/conftest.py): first without the helpers (the one line that
   installs them), then with them installed by that line into the plugin's own environment.

The package is built once from a clean copy of the checkout's package files (a wheel, with the
build tools of this checkout's .venv, so no build environment is downloaded), then installed the
way `pip install` installs it.
"""

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from types import SimpleNamespace
from email.parser import Parser
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BASE = {"libcst", "pyyaml"}
# what libcst itself may bring, by Python version (its metadata): pyyaml-ft on 3.13,
# typing-extensions before 3.10
LIBCST_MARKERS = {"pyyaml-ft", "typing-extensions"}

MODEL = (
    "import torch\n"
    "import torch.nn as nn\n\n\n"
    "class Net(nn.Module):\n"
    "    def __init__(self):\n"
    "        super().__init__()\n"
    "        self.fc = nn.Linear(4, 2)\n\n"
    "    def forward(self, x):\n"
    "        return torch.relu(self.fc(x))\n"
)
PROJECT = {  # a user's project: PyTorch code in src/, and files of their own beside it
    "src/model.py": MODEL,
    "src/data.py": (
        "import torch\nfrom torch.utils.data import Dataset\n\n\n"
        "class Pairs(Dataset):\n"
        "    def __init__(self, n):\n        self.x = torch.randn(n, 4)\n\n"
        "    def __len__(self):\n        return len(self.x)\n\n"
        "    def __getitem__(self, i):\n        return self.x[i], self.x[i].sum()\n"
    ),
    "src/train.py": (
        "import torch\nfrom torch.utils.data import DataLoader\n\nfrom data import Pairs\nfrom model import Net\n\n\n"
        "def main():\n"
        "    model = Net()\n"
        "    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)\n"
        "    for x, y in DataLoader(Pairs(8), batch_size=4):\n"
        "        loss = (model(x).sum(-1) - y).pow(2).mean()\n"
        "        opt.zero_grad()\n        loss.backward()\n        opt.step()\n\n\n"
        "if __name__ == \"__main__\":\n    main()\n"
    ),
    "src/util.py": "def double(x):\n    return 2 * x\n",
    "README.md": "my project\n",
}
MODEL_SPEC = ("torch: {build: Net}\ninputs:\n  - {shape: [3, 4], dtype: float32, seed: 0}\n"
              "tolerance: {atol: 1.0e-5, rtol: 0}\nseed: 0\n")


def write(root: Path, files: dict) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def run(cmd, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=kw.pop("timeout", 600), **kw)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The package, built from what a clone of this checkout holds (no build/, no egg-info)."""
    tmp = tmp_path_factory.mktemp("build")
    src = tmp / "torch2ms"
    shutil.copytree(REPO / "scripts", src / "scripts",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, src / name)
    out = tmp / "dist"
    proc = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                "-w", str(out), str(src)])
    if proc.returncode != 0:  # no setuptools in this environment: let pip fetch the build backend
        proc = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(src)])
    assert proc.returncode == 0, proc.stderr
    [whl] = out.glob("torch2ms-*.whl")
    return whl


def distributions(python: Path) -> set[str]:
    code = "import importlib.metadata as m; print('\\n'.join(d.metadata['Name'] for d in m.distributions()))"
    proc = run([str(python), "-c", code])
    assert proc.returncode == 0, proc.stderr
    return {re.sub(r"[-_.]+", "-", n).lower() for n in proc.stdout.split()}


@pytest.fixture(scope="module")
def plugin(tmp_path_factory, wheel, claude_code):
    """The plugin installed into a user's Claude Code (a home of its own), and a user's project.
    Its first command, before the helpers are installed, prints the one line that installs them;
    that line is run as printed (with the package built from this checkout in place of the
    plugin's folder, which pip would build the same way): the plugin's own environment, a fresh
    virtual environment, is where the other tests find the installed `torch2ms`."""
    tmp = tmp_path_factory.mktemp("plugin")
    home = tmp / "home"
    # /plugin marketplace add <this repository>, /plugin install torch2ms@torch2ms
    root = claude_code.install_plugin(REPO, "torch2ms", home)
    project = write(tmp / "my-project", {"src/model.py": MODEL, "src/util.py": PROJECT["src/util.py"]})
    session = claude_code.installed(root, project, home, "torch2ms", "torch2ms", claude_code.path_without("torch2ms"))
    session.env.setdefault("TORCH2MS_CACHE_DIR", str(tmp / "cache"))
    commands = claude_code.plugin_commands(root)
    assert set(commands) == {"scan", "convert-next", "verify", "report"}  # /torch2ms:scan, ...
    # /torch2ms:scan src
    front, body = claude_code.split_frontmatter(commands["scan"])
    [scan] = claude_code.inline_lines(session.expand(body, "src"), "torch2ms")
    before = session.bash(scan)
    install = re.search(r"with: (.*?)   \(", before.stderr)
    assert install, before.stderr
    proc = session.bash(install.group(1).replace(f'install "{root}"', f'install -q "{wheel}"'))
    assert proc.returncode == 0, proc.stderr
    return SimpleNamespace(root=root, project=project, session=session, commands=commands, scan=scan,
                           rules=claude_code.allowed_rules(front),
                           before=before, install=install.group(1), python=session.data / "venv" / "bin" / "python")


def test_without_the_helpers_the_first_command_says_how_to_install_them(plugin):
    assert plugin.scan == "torch2ms scan src"
    assert plugin.before.returncode == 127  # the injected command fails: Claude Code shows its output
    [line] = plugin.before.stderr.splitlines()
    assert line.startswith("torch2ms: the torch2ms helpers are not installed")
    venv = plugin.session.data / "venv"
    assert plugin.install == f'python3 -m venv "{venv}" && "{venv}/bin/pip" install "{plugin.root}"'
    assert not (plugin.project / "files_to_convert.md").exists()


def test_the_base_install_needs_libcst_and_pyyaml_only(wheel, plugin):
    added = distributions(plugin.python) - {"pip", "setuptools"}  # what a fresh venv has
    assert "torch2ms" in added and "libcst" in added
    assert added - {"torch2ms"} <= BASE | LIBCST_MARKERS, f"the base install brought {added}"
    with zipfile.ZipFile(wheel) as z:
        [name] = [n for n in z.namelist() if n.endswith(".dist-info/METADATA")]
        meta = Parser().parsestr(z.read(name).decode())
        files = z.namelist()
    requires = meta.get_all("Requires-Dist")
    base = {re.split(r"[<>=!~ ;\[(]", r, maxsplit=1)[0].lower() for r in requires if "extra ==" not in r}
    assert base == BASE
    assert "verify" in meta.get_all("Provides-Extra")
    verify = {re.split(r"[<>=!~ ;\[(]", r, maxsplit=1)[0].lower() for r in requires if 'extra == "verify"' in r}
    assert {"mindspore", "torch", "mindone"} <= verify
    # the package data the helpers read at run time is in the wheel
    for rel in ("torch2ms/scan/ecosystem.yaml", "torch2ms/check/rules.yaml",
                "torch2ms/convert/mappings/nn.yaml", "torch2ms/cpu_fallback/replacements.yaml"):
        assert rel in files, rel


def user_env(claude_code, tmp_path, bindir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE_", "TORCH2MS_WORKSPACE"))}
    env["PATH"] = os.pathsep.join([str(bindir), claude_code.path_without("torch2ms")])
    env.setdefault("TORCH2MS_CACHE_DIR", str(tmp_path / "cache"))
    return env


def snapshot(root: Path) -> dict:
    """What the main job could write into this repository: the top-level state files."""
    names = ("files_to_convert.md", "outputs", ".torch2ms", "report.md", "conversion_report.md")
    return {n: (root / n).stat().st_mtime_ns for n in names if (root / n).exists()}


def test_main_job_in_a_user_project(tmp_path, plugin, claude_code):
    """As a package: the freshly installed `torch2ms` on PATH, the main job in a user's project."""
    venv = plugin.python.parent
    project = write(tmp_path / "my-project", PROJECT)
    env = user_env(claude_code, tmp_path, venv)
    where = run(["bash", "-c", "command -v torch2ms; python -c 'import torch2ms; print(torch2ms.__file__)'"],
                cwd=project, env=dict(env, PATH=f"{venv}{os.pathsep}{env['PATH']}"))
    command, module = where.stdout.split()
    assert Path(command).parent == venv and REPO not in Path(module).parents  # the installed copy
    repo_before = snapshot(REPO)

    statuses = []
    for step in ("scan src", "convert src", "check", "report"):  # the main job, no --workspace
        proc = run(["bash", "-c", f"torch2ms {step}"], cwd=project, env=env)
        assert "Traceback" not in proc.stderr, proc.stderr
        assert proc.returncode in ((0, 1) if step.split()[0] in ("convert", "check") else (0,)), proc.stderr
        statuses.append(proc.returncode)

    # the workspace is the project: tracker, outputs and reports beside src/, nothing in the repository
    assert snapshot(REPO) == repo_before
    tracker = (project / "files_to_convert.md").read_text()
    for name in ("model.py", "data.py", "train.py"):
        assert f"`{name}`" in tracker
        assert (project / "outputs" / name).is_file()
    assert (project / "outputs" / "util.py").read_text() == PROJECT["src/util.py"]  # copied unchanged
    assert str(project / "src") in tracker  # the input folder it was made from
    checked = json.loads((project / ".torch2ms" / "check.json").read_text())["files"]
    assert {"model.py", "data.py", "train.py", "util.py"} <= set(checked)
    assert checked["util.py"]["verdict"] == "pass"
    assert "torch.relu" not in (project / "outputs" / "model.py").read_text()
    # the report counts what the checks found
    from torch2ms.tracker import Tracker

    entries = Tracker.load(project / "files_to_convert.md").entries
    queued = [e.path for e in entries if e.queued]
    counted = queued + ["util.py"]  # the queued files and the torch-free one copied unchanged
    passing = sum(checked[p]["verdict"] == "pass" for p in counted)
    assert f"**{passing} of {len(counted)} files pass the checks**" in (project / "report.md").read_text()
    assert (project / "conversion_report.md").is_file()


def site_packages(python: Path) -> Path:
    proc = run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    return Path(proc.stdout.strip())


@contextlib.contextmanager
def verify_stack(python: Path):
    """The verification stack ([verify]) lent from this checkout's .venv to the environment of
    `python`, so that --import and --parity run there: a path in a .pth file (the environment's
    own packages, its torch2ms among them, come first)."""
    lent = site_packages(python) / "verify-stack.pth"
    lent.write_text(f"{site_packages(Path(sys.executable))}\n")
    try:
        yield
    finally:
        lent.unlink()


def test_plugin_in_a_user_project(plugin, claude_code):
    root, project, session, commands = plugin.root, plugin.project, plugin.session, plugin.commands
    with verify_stack(plugin.python):
        proc = run([str(plugin.python), "-c", "import torch2ms; print(torch2ms.__file__)"])
        assert Path(proc.stdout.strip()).is_relative_to(session.data), proc.stdout + proc.stderr

        # /torch2ms:scan src, now that the helpers are installed
        assert claude_code.command_allowed(plugin.rules, plugin.scan)
        proc = session.bash(plugin.scan)
        assert proc.returncode == 0, proc.stderr
        assert (project / "files_to_convert.md").is_file()

        # /torch2ms:convert-next: its context line, then its steps as Claude runs them
        text = session.render(commands["convert-next"])
        assert "Next: model.py" in text and str(project / "outputs" / "model.py") in text
        info = json.loads(session.bash("torch2ms next --json").stdout)["next"]
        front, body = claude_code.split_frontmatter(commands["convert-next"])
        rules = claude_code.allowed_rules(front)
        fill = {"<source>": info["source"], "<output>": info["output"], "<file>": info["path"],
                "<what you changed and why>": "replaced torch.relu by mint.nn.functional.relu"}
        for line in claude_code.shell_lines(body):
            for key, value in fill.items():
                line = line.replace(key, value)
            assert claude_code.command_allowed(rules, line), line
            proc = session.bash(line)
            assert proc.returncode in (0, 1) and "Traceback" not in proc.stderr, f"{line}\n{proc.stdout}{proc.stderr}"
            if line.split()[1] == "convert":  # step 4, as Claude writes it
                (project / "outputs" / "model.parity.yaml").write_text(MODEL_SPEC)
        tracker = (project / "files_to_convert.md").read_text()
        assert "- [x] `model.py`" in tracker and "check: pass, import ok, parity ok" in tracker

        # the hook, after an edit of a converted file
        [handler] = session.hooks(claude_code.plugin_hooks(root), "PostToolUse", "Edit")
        planted = project / "outputs" / "planted.py"
        planted.write_text("from mindspore import mint\n\n\ndef f(x):\n    return mint.cat([x], axis=0)\n")
        payload = {"hook_event_name": "PostToolUse", "tool_name": "Edit", "cwd": str(project),
                   "tool_input": {"file_path": str(planted), "old_string": "a", "new_string": "b"}}
        proc = session.hook(handler, payload)
        assert proc.returncode == 2 and "outputs/planted.py: fail" in proc.stderr and "'axis'" in proc.stderr
        planted.unlink()

        # /torch2ms:report (/torch2ms:verify runs the check of convert-next's step 5 again: its lines
        # are validated in test_manifests.py, and run in tests/commands)
        text = session.render(commands["report"])
        assert "# Migration report" in text
        assert "1 of them also matches the torch original numerically (parity)" in text
        assert (project / "report.md").is_file() and (project / "conversion_report.md").is_file()

        # the rules: the skill reads CLAUDE.md from the installed plugin; nothing was copied here
        text = session.render(root / "skills" / "conversion-rules" / "SKILL.md")
        assert (root / "CLAUDE.md").read_text().strip() in text and str(root) in text
        assert "${CLAUDE_PLUGIN_ROOT}" not in text
        written = {p.relative_to(project).parts[0] for p in project.iterdir()}
        assert written == {"src", "outputs", ".torch2ms", "files_to_convert.md", "report.md", "conversion_report.md"}
