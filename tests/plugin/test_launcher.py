"""bin/torch2ms, the launcher the commands and hooks call: which installed `torch2ms` it runs
(this copy's .venv, then PATH, then the plugin's own environment), that it never runs itself or
another copy of the pack's bin/, that arguments and exit status pass through unchanged, and the
one line it prints when nothing is installed. Fake installs stand in for the real command."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

LAUNCHER = Path(__file__).resolve().parents[2] / "bin" / "torch2ms"


def fake(path: Path, name: str, status: int = 0) -> Path:
    """An installed `torch2ms` that says who it is and repeats its arguments, one a line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'#!/bin/sh\necho "{name}"\nfor a in "$@"; do echo "[$a]"; done\nexit {status}\n')
    path.chmod(0o755)
    return path


def pack(root: Path) -> Path:
    """A copy of the pack's launcher at <root>/bin/torch2ms."""
    (root / "bin").mkdir(parents=True, exist_ok=True)
    shutil.copy2(LAUNCHER, root / "bin" / "torch2ms")
    return root


@pytest.fixture
def run(tmp_path, claude_code):
    base = claude_code.path_without("torch2ms")

    def go(root: Path, *args, path=(), env=None, launcher=None):
        environ = {k: v for k, v in os.environ.items() if not k.startswith("CLAUDE_")}
        environ.update(HOME=str(tmp_path / "home"), PATH=os.pathsep.join([*map(str, path), base]))
        environ.update(env or {})
        return subprocess.run([str(launcher or root / "bin" / "torch2ms"), *args], cwd=tmp_path,
                              env=environ, capture_output=True, text=True, timeout=60)

    return go


CACHE = "home/.claude/plugins/cache/torch2ms/torch2ms/1a2b3c4"
DATA = "home/.claude/plugins/data/torch2ms-torch2ms/venv/bin/torch2ms"


# (what is installed, where the pack is, which one runs)
CASES = [
    ({"venv", "path", "data"}, CACHE, "venv"),   # this copy's own environment first
    ({"path", "data"}, CACHE, "path"),           # then the user's own install
    ({"data"}, CACHE, "data"),                   # then the plugin's environment
    ({"venv", "path"}, "clone", "venv"),         # a clone: .venv, then PATH
    ({"path"}, "clone", "path"),
]


@pytest.mark.parametrize("installed, where, expected", CASES)
def test_which_install_runs(tmp_path, run, installed, where, expected):
    root = pack(tmp_path / where)
    if "venv" in installed:
        fake(root / ".venv" / "bin" / "torch2ms", "venv")
    if "path" in installed:
        fake(tmp_path / "user-env" / "bin" / "torch2ms", "path")
    if "data" in installed:
        fake(tmp_path / DATA, "data")
    # the plugin's bin/ comes first on PATH, as Claude Code may put it: it must not run itself
    proc = run(root, "scan", "my project", "--package", "it's", path=[root / "bin", tmp_path / "user-env" / "bin"])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [expected, "[scan]", "[my project]", "[--package]", "[it's]"]


def test_exit_status_passes_through(tmp_path, run):
    root = pack(tmp_path / "clone")
    fake(root / ".venv" / "bin" / "torch2ms", "venv", status=3)
    assert run(root, "check").returncode == 3


def test_other_copies_of_the_launcher_are_skipped(tmp_path, run):
    """Another version of the plugin left on PATH is a launcher too: running it would loop."""
    root = pack(tmp_path / CACHE)
    older = pack(tmp_path / "home/.claude/plugins/cache/torch2ms/torch2ms/0000000")
    fake(tmp_path / "user-env" / "bin" / "torch2ms", "path")
    proc = run(root, "next", path=[older / "bin", root / "bin", tmp_path / "user-env" / "bin"])
    assert proc.stdout.splitlines()[0] == "path", proc.stdout + proc.stderr


def test_called_through_a_symlink(tmp_path, run):
    root = pack(tmp_path / "clone")
    fake(root / ".venv" / "bin" / "torch2ms", "venv")
    link = tmp_path / "elsewhere" / "torch2ms"
    link.parent.mkdir()
    link.symlink_to(root / "bin" / "torch2ms")
    assert run(root, "next", launcher=link).stdout.splitlines()[0] == "venv"


def test_plugin_data_from_claude_code(tmp_path, run):
    """Where Claude Code sets CLAUDE_PLUGIN_DATA for this plugin (its hooks), that folder is the
    plugin's environment; the variable of another plugin is not."""
    root = pack(tmp_path / "clone")
    fake(tmp_path / "data" / "venv" / "bin" / "torch2ms", "data")
    env = {"CLAUDE_PLUGIN_DATA": str(tmp_path / "data"), "CLAUDE_PLUGIN_ROOT": str(root)}
    assert run(root, "next", env=env).stdout.splitlines()[0] == "data"
    env["CLAUDE_PLUGIN_ROOT"] = str(tmp_path / "another-plugin")
    assert run(root, "next", env=env).returncode == 127


def test_not_installed_in_a_plugin(tmp_path, run):
    root = pack(tmp_path / CACHE)
    proc = run(root, "scan", "src")
    assert proc.returncode == 127 and proc.stdout == ""
    [line] = proc.stderr.splitlines()  # one line: what is missing and the command that installs it
    data = tmp_path / "home/.claude/plugins/data/torch2ms-torch2ms/venv"
    assert line.startswith("torch2ms: the torch2ms helpers are not installed")
    assert f'python3 -m venv "{data}" && "{data}/bin/pip" install "{root.resolve()}"' in line
    assert f'"{root.resolve()}[verify]"' in line


def test_not_installed_in_a_clone(tmp_path, run):
    root = pack(tmp_path / "clone")
    proc = run(root, "report")
    [line] = proc.stderr.splitlines()
    assert proc.returncode == 127
    assert f'bash "{root.resolve()}/setup.sh" --no-demo' in line and f'pip install "{root.resolve()}"' in line


def test_the_hook_never_gets_in_the_way(tmp_path, run):
    """Without the helpers the check hook does nothing, in every project the plugin is enabled in."""
    root = pack(tmp_path / CACHE)
    proc = run(root, "check", "--hook")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
