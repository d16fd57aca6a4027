"""The plugin in the real Claude Code client (tests/plugin/conftest.py installs it from npm):
what the client runs without a model, against a fresh clone of this checkout. What it cannot run
without a model (a command's expansion, the skill's text, the hook on an edit) is emulated in
test_user_project.py and test_manifests.py."""

import json
import re
from pathlib import Path

EXPECTED_COMMANDS = {"torch2ms:scan", "torch2ms:convert-next", "torch2ms:verify", "torch2ms:report"}
HOOK = '"${CLAUDE_PLUGIN_ROOT}"/bin/torch2ms check --hook'


def manifest(clone):
    return json.loads((clone / ".claude-plugin" / "plugin.json").read_text())


def test_validate_directory_profile(client, fresh_clone):
    """`claude plugin validate --profile directory`: nothing the plugin directory refuses, and it
    provides the four commands, the rules skill, the check hook and bin/torch2ms."""
    proc = client("plugin", "validate", "--json", "--profile", "directory", fresh_clone, ok=False)
    report = json.loads(proc.stdout)
    assert proc.returncode == 0 and report["success"], proc.stdout
    assert report["directory"]["findings"] == [] and report["directory"]["failure"] is None, report["directory"]
    assert report["manifest"]["errors"] == [] and report["manifest"]["warnings"] == [], report["manifest"]
    warnings = [w["message"] for part in report["contents"] for w in part["warnings"]]
    errors = [e for part in report["contents"] for e in part["errors"]]
    assert errors == [], errors
    # the one warning left: CLAUDE.md is not project context; the skill conversion-rules carries it
    assert len(warnings) == 1 and warnings[0].startswith("CLAUDE.md at the plugin root is not loaded"), warnings
    provides = report["provides"]
    assert set(provides["commands"]) == EXPECTED_COMMANDS, provides["commands"]
    assert provides["skills"] == ["torch2ms:conversion-rules"], provides["skills"]
    assert [(h["event"], h["matcher"], h["command"]) for h in provides["hooks"]] == [
        ("PostToolUse", "Edit|MultiEdit|Write", HOOK)], provides["hooks"]
    assert provides["bin"] == ["torch2ms"]
    # the text a user reads says the same
    text = client("plugin", "validate", "--profile", "directory", fresh_clone).stdout
    assert "Validation passed" in text and "LICENSE_MISSING" not in text and "ICON_MISSING" not in text, text


def test_marketplace_add_install_details(client, fresh_clone):
    """`claude plugin marketplace add <clone>`, `claude plugin install torch2ms@torch2ms`, then
    `plugin details` and `plugin list` on what was installed."""
    added = client("plugin", "marketplace", "add", fresh_clone).stdout
    assert "Successfully added marketplace: torch2ms" in added, added
    installed = client("plugin", "install", "torch2ms@torch2ms").stdout
    assert "Successfully installed plugin: torch2ms@torch2ms" in installed, installed

    version = manifest(fresh_clone)["version"]
    details = client("plugin", "details", "torch2ms@torch2ms").stdout
    assert re.search(rf"^torch2ms {re.escape(version)}$", details, re.M), details
    # where a user reads that the rules of CLAUDE.md come as a skill
    assert re.search(r"Description: .*CLAUDE\.md.* skill torch2ms:conversion-rules", details), details
    skills = re.search(r"^\s*Skills \((\d+)\)\s+(.*)$", details, re.M)
    assert skills, details
    listed = {s.strip() for s in skills.group(2).split(",")}
    assert listed == {"conversion-rules", "scan", "convert-next", "verify", "report"} and skills.group(1) == "5", details
    assert re.search(r"^\s*Hooks \(1\)\s+PostToolUse\b", details, re.M), details
    assert re.search(r"^\s*Agents \(0\)", details, re.M) and re.search(r"^\s*MCP servers \(0\)", details, re.M), details
    always_on = re.search(r"Always-on:\s+~([\d.]+)(k?) tok", details)
    assert always_on, details
    tokens = float(always_on.group(1)) * (1000 if always_on.group(2) else 1)
    assert tokens < 1000, f"the plugin adds ~{tokens:.0f} tokens to every session"

    [entry] = json.loads(client("plugin", "list", "--json").stdout)
    assert entry["id"] == "torch2ms@torch2ms" and entry["enabled"] and entry["version"] == version, entry
    root = Path(entry["installPath"])
    for rel in ("LICENSE", "CLAUDE.md", "hooks/hooks.json", "bin/torch2ms", "skills/conversion-rules/SKILL.md",
                ".claude/commands/scan.md", ".claude-plugin/icon.png"):
        assert (root / rel).is_file(), f"{rel} is not in the installed copy"
    assert not (root / ".venv").exists()
