"""The plugin's files against the fields Claude Code documents (plugins reference, plugin
marketplaces, hooks, skills and permissions pages, v2.1.240; the Agent Skills specification for
SKILL.md): plugin.json, marketplace.json, hooks/hooks.json, .claude/settings.json, and the
frontmatter of every command and skill. Names are valid, paths exist inside the plugin, and
`allowed-tools` pre-approves every `torch2ms` line a file runs, naming subcommands that exist."""

import json
import re
import subprocess

import pytest

from torch2ms.cli import COMMANDS

# --- what Claude Code documents ------------------------------------------------------------
MANIFEST_FIELDS = {
    "$schema", "name", "displayName", "version", "description", "author", "homepage", "repository",
    "license", "keywords", "metadata", "defaultEnabled", "skills", "commands", "agents", "workflows",
    "hooks", "mcpServers", "outputStyles", "lspServers", "experimental", "userConfig", "channels",
    "dependencies",
}
PATH_FIELDS = ("skills", "commands", "agents", "workflows", "outputStyles")
MARKETPLACE_FIELDS = {"$schema", "name", "owner", "plugins", "description", "version", "metadata",
                      "allowCrossMarketplaceDependenciesOn", "renames"}
MARKETPLACE_ENTRY_FIELDS = MANIFEST_FIELDS | {"source", "category", "tags", "strict", "relevance"}
COMPONENT_FIELDS = {"skills", "commands", "agents", "workflows", "hooks", "mcpServers", "outputStyles",
                    "lspServers", "experimental"}
RESERVED_MARKETPLACES = {
    "claude-code-marketplace", "claude-code-plugins", "claude-plugins-official", "claude-plugins-community",
    "claude-community", "anthropic-marketplace", "anthropic-plugins", "agent-skills", "anthropic-agent-skills",
    "knowledge-work-plugins", "life-sciences", "claude-for-legal", "claude-for-financial-services",
    "financial-services-plugins", "first-party-plugins", "healthcare",
}
HOOK_EVENTS = {
    "SessionStart", "Setup", "UserPromptSubmit", "UserPromptExpansion", "PreToolUse", "PermissionRequest",
    "PermissionDenied", "PostToolUse", "PostToolUseFailure", "PostToolBatch", "Notification",
    "MessageDisplay", "SubagentStart", "SubagentStop", "TaskCreated", "TaskCompleted", "Stop",
    "StopFailure", "TeammateIdle", "InstructionsLoaded", "ConfigChange", "CwdChanged", "DirectoryAdded",
    "FileChanged", "WorktreeCreate", "WorktreeRemove", "PreCompact", "PostCompact", "Elicitation",
    "ElicitationResult", "SessionEnd",
}
COMMAND_HOOK_FIELDS = {"type", "if", "timeout", "statusMessage", "once", "command", "args", "async",
                       "asyncRewake", "shell"}
FILE_TOOLS = {"Edit", "MultiEdit", "Write", "NotebookEdit"}
FRONTMATTER_FIELDS = {
    "name", "description", "when_to_use", "argument-hint", "arguments", "disable-model-invocation",
    "user-invocable", "allowed-tools", "disallowed-tools", "model", "effort", "context", "agent",
    "background", "hooks", "paths", "shell", "metadata", "license", "compatibility",
}
KEBAB = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
HELPER_RULE = re.compile(r"Bash\(torch2ms ([a-z-]+) \*\)")
EXPECTED_COMMANDS = {"scan", "convert-next", "verify", "report"}


@pytest.fixture(scope="module")
def repo(claude_code):
    return claude_code.REPO


@pytest.fixture(scope="module")
def manifest(repo):
    return json.loads((repo / ".claude-plugin" / "plugin.json").read_text())


def inside(root, rel: str):
    """The path a component field names, checked: relative, `./`-prefixed, inside the plugin."""
    assert rel == "." or rel.startswith("./"), f"{rel}: component paths start with ./"
    path = (root / rel).resolve()
    assert path == root or root in path.parents, f"{rel} leaves the plugin"
    return path


def test_plugin_manifest(repo, manifest):
    assert set(manifest) <= MANIFEST_FIELDS, set(manifest) - MANIFEST_FIELDS
    assert KEBAB.fullmatch(manifest["name"]), manifest["name"]
    assert manifest["name"] == "torch2ms"  # the commands are /torch2ms:scan, ...
    assert isinstance(manifest["description"], str) and manifest["description"].strip()
    assert isinstance(manifest.get("keywords", []), list)
    assert all(isinstance(k, str) for k in manifest.get("keywords", []))
    assert isinstance(manifest.get("author", {}).get("name", ""), str)
    for key in PATH_FIELDS:
        for rel in [manifest[key]] if isinstance(manifest.get(key), str) else manifest.get(key, []):
            assert inside(repo, rel).exists(), f"{key}: {rel} does not exist"


def test_plugin_commands_are_the_ones_opened_here(repo, manifest):
    """`commands` points at .claude/commands/, the folder Claude Code reads when opened here:
    one copy of each command file. It replaces the default commands/, which must not exist (its
    files would be ignored, with a warning)."""
    [folder] = [manifest["commands"]] if isinstance(manifest["commands"], str) else manifest["commands"]
    assert inside(repo, folder) == (repo / ".claude" / "commands").resolve()
    assert {p.stem for p in (repo / ".claude" / "commands").glob("*.md")} == EXPECTED_COMMANDS
    assert not (repo / "commands").exists()
    # hooks/hooks.json and skills/ are the default locations, read without naming them
    assert "hooks" not in manifest and (repo / "hooks" / "hooks.json").is_file()
    assert "skills" not in manifest and list((repo / "skills").glob("*/SKILL.md"))


def test_marketplace(repo, manifest):
    catalog = json.loads((repo / ".claude-plugin" / "marketplace.json").read_text())
    assert set(catalog) <= MARKETPLACE_FIELDS, set(catalog) - MARKETPLACE_FIELDS
    assert KEBAB.fullmatch(catalog["name"]) and catalog["name"] not in RESERVED_MARKETPLACES
    assert set(catalog["owner"]) <= {"name", "email", "url"} and catalog["owner"]["name"].strip()
    [entry] = catalog["plugins"]
    assert set(entry) <= MARKETPLACE_ENTRY_FIELDS, set(entry) - MARKETPLACE_ENTRY_FIELDS
    assert entry["name"] == manifest["name"]  # /plugin install torch2ms@torch2ms
    assert isinstance(entry["source"], str)
    source = inside(repo, entry["source"])  # relative to the marketplace root, not .claude-plugin/
    assert (source / ".claude-plugin" / "plugin.json").is_file()
    # strict (the default): plugin.json is the authority for components, the entry adds none
    assert entry.get("strict", True) is True and not set(entry) & COMPONENT_FIELDS


def command_handlers(config: dict):
    for event, groups in config["hooks"].items():
        assert event in HOOK_EVENTS, event
        for group in groups:
            assert set(group) <= {"matcher", "hooks"}, group
            for handler in group["hooks"]:
                assert set(handler) <= COMMAND_HOOK_FIELDS, handler
                assert handler["type"] == "command"
                yield event, group.get("matcher", ""), handler


def launcher_path(command: str, variable: str):
    """The script a shell-form hook command runs: `"${VARIABLE}"/path args...`."""
    m = re.fullmatch(r'"\$\{' + variable + r'\}"(/\S+)( .*)?', command)
    assert m, f"{command}: not a quoted ${{{variable}}}/... script call"
    return m.group(1).lstrip("/"), (m.group(2) or "").strip()


def tracked_mode(repo, rel: str) -> str:
    out = subprocess.run(["git", "ls-files", "-s", "--", rel], cwd=repo, capture_output=True, text=True).stdout
    return out.split()[0] if out else "100755" if (repo / rel).stat().st_mode & 0o111 else "100644"


def test_plugin_hooks_file(repo):
    config = json.loads((repo / "hooks" / "hooks.json").read_text())
    assert set(config) <= {"description", "hooks"}
    [(event, matcher, handler)] = list(command_handlers(config))
    assert event == "PostToolUse"
    assert set(matcher.split("|")) <= FILE_TOOLS and {"Edit", "Write"} <= set(matcher.split("|"))
    script, args = launcher_path(handler["command"], "CLAUDE_PLUGIN_ROOT")
    assert (repo / script).is_file() and tracked_mode(repo, script) == "100755"
    assert args.split()[0] in COMMANDS and args == "check --hook"
    assert isinstance(handler.get("timeout", 600), int)


def test_one_check_for_both_ways_of_use(repo):
    """The repository's PostToolUse hook and the plugin's run the same launcher with the same
    arguments: only the root differs (the project here, the installed plugin there)."""
    plugin = json.loads((repo / "hooks" / "hooks.json").read_text())
    here = json.loads((repo / ".claude" / "settings.json").read_text())
    [(_, m1, h1)] = [h for h in command_handlers(plugin) if h[0] == "PostToolUse"]
    [(_, m2, h2)] = [h for h in command_handlers(here) if h[0] == "PostToolUse"]
    assert m1 == m2 and h1.get("timeout") == h2.get("timeout")
    assert launcher_path(h1["command"], "CLAUDE_PLUGIN_ROOT") == launcher_path(h2["command"], "CLAUDE_PROJECT_DIR")
    # and this repository's SessionStart hook puts bin/ on PATH, as Claude Code does for a plugin
    [(_, _, start)] = [h for h in command_handlers(here) if h[0] == "SessionStart"]
    script, _ = launcher_path(start["command"], "CLAUDE_PROJECT_DIR")
    assert (repo / script).is_file() and tracked_mode(repo, script) == "100755"


def invocations(claude_code, body: str) -> list[str]:
    return (claude_code.context_lines(body) + claude_code.shell_lines(body)
            + claude_code.inline_lines(body, "torch2ms"))


@pytest.mark.parametrize("name", sorted(EXPECTED_COMMANDS))
def test_command_frontmatter(claude_code, repo, name):
    front, body = claude_code.split_frontmatter(repo / ".claude" / "commands" / f"{name}.md")
    assert set(front) <= FRONTMATTER_FIELDS, set(front) - FRONTMATTER_FIELDS
    text = front["description"] + front.get("when_to_use", "")
    assert front["description"].strip() and len(text) <= 1536
    assert isinstance(front.get("argument-hint", ""), str)
    rules = claude_code.allowed_rules(front)
    assert rules
    for rule in rules:  # only the helpers, each one that exists; edits are never pre-approved
        m = HELPER_RULE.fullmatch(rule)
        assert m, f"{name}: {rule} is not Bash(torch2ms <subcommand> *)"
        assert m.group(1) in COMMANDS, f"{name}: no subcommand {m.group(1)}"
    lines = invocations(claude_code, body)
    assert lines, f"{name}: runs no torch2ms line"
    for line in lines:
        assert line.split()[0] == "torch2ms", f"{name}: {line}"
        assert claude_code.command_allowed(rules, line), f"{name}: `{line}` is not pre-approved by {rules}"


def test_skill(claude_code, repo):
    [path] = list((repo / "skills").glob("*/SKILL.md"))
    front, body = claude_code.split_frontmatter(path)
    assert set(front) <= FRONTMATTER_FIELDS, set(front) - FRONTMATTER_FIELDS
    # the Agent Skills specification: a name of 1-64 characters matching the folder, a description
    # of 1-1024 characters
    assert KEBAB.fullmatch(front["name"]) and len(front["name"]) <= 64
    assert front["name"] == path.parent.name
    assert 0 < len(front["description"]) <= 1024
    rules = claude_code.allowed_rules(front)
    [command] = claude_code.context_lines(body)
    assert claude_code.command_allowed(rules, command), (command, rules)
    # what it reads is CLAUDE.md itself, from the installed plugin: no copy of it in the repository
    assert command == "cat ${CLAUDE_PLUGIN_ROOT}/CLAUDE.md"
    rules_lines = {ln.strip() for ln in (repo / "CLAUDE.md").read_text().splitlines() if len(ln.strip()) >= 60}
    tracked = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "*.md"], cwd=repo,
                             capture_output=True, text=True, check=True).stdout.split()
    for rel in tracked:
        if rel != "CLAUDE.md" and (repo / rel).is_file():
            lines = {ln.strip() for ln in (repo / rel).read_text(encoding="utf-8", errors="replace").splitlines()}
            assert len(rules_lines & lines) <= 2, f"{rel} repeats CLAUDE.md: {sorted(rules_lines & lines)[:3]}"


def test_agents_md_names_what_exists(repo):
    text = (repo / "AGENTS.md").read_text()
    subs = set(re.findall(r"`torch2ms ([a-z-]+)", text))
    assert subs and subs <= set(COMMANDS), subs - set(COMMANDS)
    assert {"scan", "next", "convert", "check", "edit", "done", "report"} <= subs
    for rel in re.findall(r"`((?:\.claude|docs|examples|bin)/[^`<>* ]*|CLAUDE\.md|setup\.sh)`", text):
        assert (repo / rel).exists(), rel
    for name in EXPECTED_COMMANDS:
        assert f".claude/commands/{name}.md" in text


SEMVER = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?")


def test_release_metadata(repo, manifest):
    """What the plugin directory asks of a submission: a licence (LICENSE and an SPDX id), one
    semver version in plugin.json, the marketplace entry and the package, a square PNG icon of
    512 to 2048 px under 2 MB at .claude-plugin/icon.png."""
    assert manifest["license"] == "Apache-2.0"
    licence = (repo / "LICENSE").read_text()
    assert "Apache License" in licence and "Version 2.0, January 2004" in licence
    assert SEMVER.fullmatch(manifest["version"]), manifest["version"]
    [entry] = json.loads((repo / ".claude-plugin" / "marketplace.json").read_text())["plugins"]
    assert entry["version"] == manifest["version"] and entry.get("license", "Apache-2.0") == "Apache-2.0"
    package = re.search(r'^version = "([^"]+)"', (repo / "pyproject.toml").read_text(), re.M).group(1)
    assert package == manifest["version"]
    icon = repo / ".claude-plugin" / "icon.png"
    data = icon.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR" and len(data) < 2 * 1024 * 1024
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width == height and 512 <= width <= 2048, (width, height)


def test_gemini_extension(repo, manifest):
    """Gemini CLI's extension manifest: the plugin's name and version, and as context the files
    that already hold the rules (AGENTS.md, CLAUDE.md), never a copy of them."""
    extension = json.loads((repo / "gemini-extension.json").read_text())
    assert set(extension) <= {"name", "version", "description", "contextFileName", "mcpServers", "excludeTools",
                              "settings", "themes", "plan"}, set(extension)
    assert extension["name"] == manifest["name"] and extension["version"] == manifest["version"]
    context = extension["contextFileName"]
    context = [context] if isinstance(context, str) else context
    assert set(context) == {"AGENTS.md", "CLAUDE.md"}
    for rel in context:
        assert (repo / rel).is_file() and (repo / rel).resolve().parent == repo.resolve()
    assert not (repo / "GEMINI.md").exists()  # the default context file would be a second copy
