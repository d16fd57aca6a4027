"""What Claude Code does with the pack's files, emulated for the tests (Claude Code does not run
here). Each step follows Claude Code's documentation (plugins reference, skills, hooks and
permissions pages, v2.1.240):

- a command (`.claude/commands/*.md`) or skill (`SKILL.md`) is YAML frontmatter and markdown;
  its `` !`cmd` `` lines run before the text reaches Claude, through the Bash tool, and only
  when a rule of its `allowed-tools` allows them (an injected command never prompts: a command
  not allowed, or exiting non-zero, aborts the whole invocation);
- `$ARGUMENTS` is replaced by what the user typed; in a plugin's skills and commands
  `${CLAUDE_PLUGIN_ROOT}` is replaced by the plugin's installed folder, in the text and in the
  Bash rules of `allowed-tools`;
- the Bash tool runs a command in the project folder, after sourcing the file that SessionStart
  hooks wrote to ($CLAUDE_ENV_FILE); an enabled plugin's bin/ is on its PATH;
- a shell-form command hook runs under `sh -c` in the project folder, with
  `${CLAUDE_PROJECT_DIR}` / `${CLAUDE_PLUGIN_ROOT}` / `${CLAUDE_PLUGIN_DATA}` substituted and
  exported, and the event's JSON on stdin;
- `Bash(prefix *)` (or `Bash(prefix:*)`) allows the prefix alone or followed by a space and
  anything; `*` elsewhere matches any characters; a rule must match each part of a compound
  command.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SHELL_OPERATORS = re.compile(r"&&|\|\||[;|&\n]")


def split_frontmatter(path: Path) -> tuple[dict, str]:
    text = path.read_text(encoding="utf-8")
    m = re.match(r"^---\n(.*?)\n---\n(.*)$", text, re.S)
    assert m, f"{path}: no YAML frontmatter"
    front = yaml.safe_load(m.group(1))
    assert isinstance(front, dict), f"{path}: the frontmatter is not a mapping"
    return front, m.group(2)


def allowed_rules(front: dict) -> list[str]:
    """`allowed-tools` as a list of rules (a YAML list, or a string separated by commas or by
    spaces outside parentheses)."""
    tools = front.get("allowed-tools") or []
    if isinstance(tools, list):
        return [str(t).strip() for t in tools]
    return [t.strip() for t in re.findall(r"[^\s,(]+(?:\([^)]*\))?", tools)]


def context_lines(body: str) -> list[str]:
    """The `` !`cmd` `` lines, which run before the text reaches Claude."""
    return re.findall(r"(?:^|(?<=\s))!`([^`]+)`", body)


def shell_lines(body: str) -> list[str]:
    """The lines of the ```bash blocks, which Claude runs as written (placeholders filled in)."""
    lines = []
    for block in re.findall(r"```(?:bash|sh)\n(.*?)```", body, re.S):
        lines += [ln.strip() for ln in block.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    return lines


def inline_lines(body: str, program: str) -> list[str]:
    """Inline code spans alone on their line that run `program` (e.g. `/scan`'s step 2)."""
    return re.findall(rf"^\s*`({re.escape(program)} [^`]+)`\s*$", body, re.M)


def bash_rule_matches(rule: str, command: str) -> bool:
    """Whether the permission rule `rule` allows the simple command `command`."""
    m = re.fullmatch(r"Bash\((.*)\)", rule.strip(), re.S)
    if not m:
        return False
    spec = m.group(1)
    if spec.endswith(":*"):
        spec = spec[:-2] + " *"
    if spec.endswith(" *") and "*" not in spec[:-2]:
        prefix = spec[:-2]
        return command == prefix or command.startswith(prefix + " ")
    return re.fullmatch(".*".join(map(re.escape, spec.split("*"))), command, re.S) is not None


def command_allowed(rules: list[str], command: str) -> bool:
    parts = [p.strip() for p in SHELL_OPERATORS.split(command) if p.strip()]
    return bool(parts) and all(any(bash_rule_matches(r, p) for r in rules) for p in parts)


def path_without(program: str) -> str:
    """This machine's PATH less every folder holding `program`, so that a test decides alone
    where the pack's helpers are found."""
    dirs = [d for d in os.environ.get("PATH", "/usr/bin:/bin").split(os.pathsep)
            if d and not os.access(os.path.join(d, program), os.X_OK)]
    return os.pathsep.join(dirs)


@dataclass
class Session:
    """A Claude Code session: `root` is the pack (this checkout opened as the project, or an
    installed plugin's copy), `project` the folder Claude Code was started in."""
    root: Path
    project: Path
    env: dict
    plugin: bool
    env_file: Path | None = None
    data: Path | None = field(default=None)

    def expand(self, text: str, arguments: str = "") -> str:
        text = text.replace("$ARGUMENTS", arguments).replace("${CLAUDE_PROJECT_DIR}", str(self.project))
        if self.plugin:
            text = text.replace("${CLAUDE_PLUGIN_ROOT}", str(self.root))
            text = text.replace("${CLAUDE_PLUGIN_DATA}", str(self.data))
        return text

    def bash(self, command: str, timeout: float = 300) -> subprocess.CompletedProcess:
        """A command run by the Bash tool (stderr kept apart, to read it in the tests)."""
        script = (f'. "{self.env_file}"\n' if self.env_file else "") + command
        return subprocess.run(["bash", "-c", script], cwd=self.project, env=self.env,
                              capture_output=True, text=True, timeout=timeout)

    def hook_env(self) -> dict:
        env = dict(self.env, CLAUDE_PROJECT_DIR=str(self.project))
        if self.plugin:
            env.update(CLAUDE_PLUGIN_ROOT=str(self.root), CLAUDE_PLUGIN_DATA=str(self.data))
        return env

    def hook(self, handler: dict, payload: dict) -> subprocess.CompletedProcess:
        assert handler["type"] == "command" and "args" not in handler, handler
        command = handler["command"].replace("${CLAUDE_PROJECT_DIR}", str(self.project))
        if self.plugin:
            command = command.replace("${CLAUDE_PLUGIN_ROOT}", str(self.root))
            command = command.replace("${CLAUDE_PLUGIN_DATA}", str(self.data))
        return subprocess.run(["sh", "-c", command], input=json.dumps(payload), cwd=self.project,
                              env=self.hook_env(), capture_output=True, text=True,
                              timeout=handler.get("timeout", 600))

    def hooks(self, config: dict, event: str, tool: str | None = None) -> list[dict]:
        """The handlers of `config` (a settings or hooks.json object) that fire for `event`."""
        handlers = []
        for group in config.get("hooks", {}).get(event, []):
            matcher = group.get("matcher", "")
            if tool is None or matcher in ("", "*") or tool in re.split(r"\s*[|,]\s*", matcher):
                handlers += group["hooks"]
        return handlers

    def render(self, path: Path, arguments: str = "") -> str:
        """The text of a command or skill as Claude receives it: each `` !`cmd` `` replaced by
        its output. Fails the test as Claude Code aborts the invocation: on a command that
        `allowed-tools` does not allow, or that exits non-zero."""
        front, body = split_frontmatter(path)
        rules = [self.expand(r) for r in allowed_rules(front)]
        text = self.expand(body, arguments)
        for command in context_lines(text):
            assert command_allowed(rules, command), f"{path.name}: `{command}` is not in allowed-tools {rules}"
            proc = self.bash(command)
            assert proc.returncode == 0, f"{path.name}: `{command}` failed:\n{proc.stdout}{proc.stderr}"
            text = text.replace(f"!`{command}`", proc.stdout.rstrip("\n") + proc.stderr.rstrip("\n"), 1)
        return text


class ClaudeCode:
    """The emulation, as a fixture: `claude_code.opened_here(...)`, `claude_code.installed(...)`."""

    REPO = REPO
    split_frontmatter = staticmethod(split_frontmatter)
    allowed_rules = staticmethod(allowed_rules)
    context_lines = staticmethod(context_lines)
    shell_lines = staticmethod(shell_lines)
    inline_lines = staticmethod(inline_lines)
    bash_rule_matches = staticmethod(bash_rule_matches)
    command_allowed = staticmethod(command_allowed)
    path_without = staticmethod(path_without)

    @staticmethod
    def opened_here(tmp: Path, env: dict | None = None) -> Session:
        """Claude Code started in this repository: the project's SessionStart hooks run first."""
        env = dict(os.environ if env is None else env)
        env_file = tmp / "claude-env.sh"
        env_file.write_text("")
        session = Session(root=REPO, project=REPO, env=env, plugin=False, env_file=env_file)
        settings = json.loads((REPO / ".claude" / "settings.json").read_text())
        for handler in session.hooks(settings, "SessionStart"):
            proc = subprocess.run(["sh", "-c", handler["command"].replace("${CLAUDE_PROJECT_DIR}", str(REPO))],
                                  input=json.dumps({"hook_event_name": "SessionStart", "source": "startup"}),
                                  cwd=REPO, env=dict(session.hook_env(), CLAUDE_ENV_FILE=str(env_file)),
                                  capture_output=True, text=True, timeout=60)
            assert proc.returncode == 0, proc.stderr
        return session

    @staticmethod
    def install_plugin(marketplace: Path, plugin: str, home: Path, version: str = "0000000") -> Path:
        """`/plugin marketplace add <marketplace>` then `/plugin install <plugin>@<name>`: the
        plugin's folder copied into the plugin cache, <home>/.claude/plugins/cache/<marketplace
        name>/<plugin>/<version> (as a clone would have it: files git tracks or would track)."""
        catalog = json.loads((marketplace / ".claude-plugin" / "marketplace.json").read_text())
        [entry] = [p for p in catalog["plugins"] if p["name"] == plugin]
        assert isinstance(entry["source"], str) and entry["source"].startswith("./"), entry["source"]
        source = (marketplace / entry["source"]).resolve()
        dest = home / ".claude" / "plugins" / "cache" / catalog["name"] / plugin / version
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                                cwd=source, capture_output=True, text=True, check=True).stdout
        for rel in filter(None, listed.split("\0")):
            src = source / rel
            if src.is_file():
                (dest / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dest / rel)
        return dest

    @staticmethod
    def plugin_commands(root: Path) -> dict[str, Path]:
        """The plugin's commands as Claude Code finds them: the `commands` paths of its
        plugin.json (files, or folders of .md files) in place of the default commands/."""
        manifest_path = root / ".claude-plugin" / "plugin.json"
        manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
        paths = manifest.get("commands", ["./commands/"])
        found = {}
        for rel in [paths] if isinstance(paths, str) else paths:
            path = root / rel
            for f in sorted(path.glob("*.md")) if path.is_dir() else [path] if path.is_file() else []:
                found[f.stem] = f
        return found

    @staticmethod
    def plugin_hooks(root: Path) -> dict:
        """The plugin's hooks: hooks/hooks.json (read whether or not plugin.json names it)."""
        path = root / "hooks" / "hooks.json"
        return json.loads(path.read_text()) if path.exists() else {"hooks": {}}

    @staticmethod
    def installed(root: Path, project: Path, home: Path, marketplace: str, plugin: str,
                  path: str) -> Session:
        """A session in `project` with the plugin at `root` enabled: its bin/ first on PATH."""
        data = home / ".claude" / "plugins" / "data" / re.sub(r"[^A-Za-z0-9_-]", "-", f"{plugin}@{marketplace}")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE_", "TORCH2MS_WORKSPACE"))}
        env.update(HOME=str(home), PATH=os.pathsep.join([str(root / "bin"), path]))
        return Session(root=root, project=project, env=env, plugin=True, data=data)


@pytest.fixture(scope="session")
def claude_code():
    return ClaudeCode
