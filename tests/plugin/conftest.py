"""The real Claude Code client (`@anthropic-ai/claude-code` from npm, pinned), for the plugin
commands it runs without a model: `plugin validate`, `plugin marketplace add`, `plugin install`,
`plugin details`, `plugin list`. Installed once into ~/.cache/torch2ms-tests/ (or
$TORCH2MS_TEST_CACHE) and reused; each test runs it with a HOME and config folder of its own,
so nothing of the machine's settings is read or written."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

CLIENT_PACKAGE = "@anthropic-ai/claude-code"
CLIENT_VERSION = "2.1.328"
REPO = Path(__file__).resolve().parents[2]


def cache_root() -> Path:
    return Path(os.environ.get("TORCH2MS_TEST_CACHE") or Path.home() / ".cache" / "torch2ms-tests")


def client_version(binary: Path) -> str:
    try:
        proc = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=60,
                              env={"PATH": os.environ.get("PATH", ""), "HOME": str(binary.parent)})
    except OSError:
        return ""
    return proc.stdout.split(" ")[0].strip() if proc.returncode == 0 else ""


def install_client() -> Path:
    """The client's `claude` binary: the cached install, or a fresh `npm install` of the pinned
    version (into a temporary folder renamed into place, so a broken install is never reused)."""
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip(f"npm is not installed: the tests of the real Claude Code client need it to install "
                    f"{CLIENT_PACKAGE}@{CLIENT_VERSION} (.ci/run installs node and npm)")
    dest = cache_root() / f"claude-code-{CLIENT_VERSION}"
    binary = dest / "node_modules" / ".bin" / "claude"
    if client_version(binary) == CLIENT_VERSION:
        return binary
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = dest.parent / f".{dest.name}.{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    proc = subprocess.run([npm, "install", "--prefix", str(staging), "--no-audit", "--no-fund",
                           f"{CLIENT_PACKAGE}@{CLIENT_VERSION}"], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"npm install {CLIENT_PACKAGE}@{CLIENT_VERSION} failed:\n{proc.stderr[-3000:]}"
    staged = staging / "node_modules" / ".bin" / "claude"
    assert client_version(staged) == CLIENT_VERSION, f"{staged} does not run as version {CLIENT_VERSION}"
    shutil.rmtree(dest, ignore_errors=True)
    try:
        staging.rename(dest)
    except OSError:  # another run installed it meanwhile
        shutil.rmtree(staging, ignore_errors=True)
    assert client_version(binary) == CLIENT_VERSION
    return binary


class Client:
    """`claude` with its own HOME and config folder (under `home`)."""

    def __init__(self, binary: Path, home: Path):
        self.binary = binary
        self.home = home
        home.mkdir(parents=True, exist_ok=True)
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(home),
            "CLAUDE_CONFIG_DIR": str(home / ".claude"),
            "DISABLE_AUTOUPDATER": "1",
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
            "TERM": "dumb",
            "NO_COLOR": "1",
        }

    def __call__(self, *args, cwd: Path | None = None, ok: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run([str(self.binary), *map(str, args)], cwd=cwd or self.home, env=self.env,
                              capture_output=True, text=True, timeout=300)
        if ok:
            assert proc.returncode == 0, f"claude {' '.join(map(str, args))}: exit {proc.returncode}\n{proc.stdout}{proc.stderr}"
        return proc


@pytest.fixture(scope="session")
def claude_binary() -> Path:
    return install_client()


@pytest.fixture
def client(claude_binary, tmp_path) -> Client:
    return Client(claude_binary, tmp_path / "home")


@pytest.fixture(scope="module")
def fresh_clone(tmp_path_factory) -> Path:
    """A `git clone` of this checkout's committed HEAD: what a user clones or a marketplace fetches."""
    dest = tmp_path_factory.mktemp("clone") / "torch2ms"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(dest)], check=True, capture_output=True, timeout=300)
    return dest
