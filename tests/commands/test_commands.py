"""Contract tests for .claude/commands/*.md and the PostToolUse hook in .claude/settings.json.

Every command file's frontmatter parses and pre-approves only the torch2ms helpers; every `!`
context line and every line of its bash blocks runs, as written, against a fixture project in a
Claude Code session opened in this repository (tests/conftest.py: the placeholders filled in from
`torch2ms next`, as Claude would); the hook runs and prints the findings of an edited output file.
"""

import json
import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
COMMANDS = REPO / ".claude" / "commands"
OURS = ["convert-next.md", "verify.md", "report.md"]
HELPER = "torch2ms"

PROJECT = {
    "model.py": (
        "import torch\n"
        "import torch.nn as nn\n\n\n"
        "class Net(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.fc = nn.Linear(4, 2)\n\n"
        "    def forward(self, x):\n"
        "        return torch.relu(self.fc(x))\n"
    ),
    "util.py": "def double(x):\n    return 2 * x\n",
}


# the parity spec /convert-next step 4 asks for, for the fixture's model.py
MODEL_SPEC = ("torch: {build: Net}\ninputs:\n  - {shape: [3, 4], dtype: float32, seed: 0}\n"
              "tolerance: {atol: 1.0e-5, rtol: 0}\nseed: 0\n")


def split_command(path: Path) -> tuple[dict, str]:
    text = path.read_text(encoding="utf-8")
    m = re.match(r"^---\n(.*?)\n---\n(.*)$", text, re.S)
    assert m, f"{path.name}: no YAML frontmatter"
    return yaml.safe_load(m.group(1)), m.group(2)


def context_lines(body: str) -> list[str]:
    return re.findall(r"^!`([^`]+)`\s*$", body, re.M)


def shell_lines(body: str) -> list[str]:
    lines = []
    for block in re.findall(r"```(?:bash|sh)\n(.*?)```", body, re.S):
        lines += [ln.strip() for ln in block.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    return lines


def allowed_patterns(front: dict) -> list[str]:
    tools = front["allowed-tools"]
    return [t.strip() for t in (tools.split(",") if isinstance(tools, str) else tools)]


@pytest.mark.parametrize("name", OURS)
def test_frontmatter(name):
    front, body = split_command(COMMANDS / name)
    assert front["description"].strip()
    assert "argument-hint" in front
    tools = allowed_patterns(front)
    assert tools
    for tool in tools:  # only the helpers; edits are never pre-approved
        assert re.fullmatch(r"Bash\(torch2ms [a-z-]+ \*\)", tool), tool
    # every helper the file runs is pre-approved, so it runs without a prompt
    subs = {re.match(r"Bash\(torch2ms ([a-z-]+) ", t).group(1) for t in tools}
    for line in context_lines(body) + shell_lines(body):
        assert line.startswith(HELPER + " "), line
        assert line.split()[1] in subs, f"{name}: {line} is not in allowed-tools"


@pytest.fixture(scope="module")
def project(tmp_path_factory, claude_code):
    """A scanned fixture project: its tracker and outputs live in a workspace of their own."""
    root = tmp_path_factory.mktemp("cmd")
    src, ws = root / "project", root / "ws"
    src.mkdir()
    for rel, text in PROJECT.items():
        (src / rel).write_text(text)
    env = dict(os.environ, TORCH2MS_WORKSPACE=str(ws),
               TORCH2MS_CACHE_DIR=os.environ.get("TORCH2MS_CACHE_DIR") or str(root / "cache"))
    session = claude_code.opened_here(root, env)
    proc = session.bash(f"{HELPER} scan {shlex.quote(str(src))}", timeout=120)
    assert proc.returncode == 0, proc.stderr
    return ws, session


def run_line(line: str, session, fill: dict) -> subprocess.CompletedProcess:
    for key, value in fill.items():
        line = line.replace(key, value)
    assert "<" not in line or "-m" in line, f"unfilled placeholder in {line}"
    return session.bash(line)


def assert_ran(line: str, proc: subprocess.CompletedProcess) -> None:
    # `convert` (lines flagged) and `check` report findings with exit status 1; the rest succeed
    ok = (0, 1) if line.split()[1] in ("convert", "check") else (0,)
    assert proc.returncode in ok, f"{line}\n{proc.stdout}\n{proc.stderr}"
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.stdout.strip() or proc.stderr.strip(), f"{line} printed nothing"


def test_convert_next_verify_report_run_as_written(project):
    ws, session = project
    seen = []
    # /convert-next: the context line, then the steps in order, the placeholders filled in
    # from what the context line shows
    front, body = split_command(COMMANDS / "convert-next.md")
    [ctx] = context_lines(body)
    proc = run_line(ctx, session, {})
    assert_ran(ctx, proc)
    assert "Next: model.py" in proc.stdout
    info = json.loads(run_line(ctx + " --json", session, {}).stdout)["next"]
    fill = {"<source>": info["source"], "<output>": info["output"], "<file>": info["path"],
            "<what you changed and why>": "replaced torch.relu by mint.nn.functional.relu"}
    for line in shell_lines(body):
        proc = run_line(line, session, fill)
        assert_ran(line, proc)
        seen.append(line.split()[1])
        if seen == ["convert"]:  # step 4: a Modeling file gets its parity spec, as Claude writes it
            (ws / "outputs" / "model.parity.yaml").write_text(MODEL_SPEC)
    assert seen == ["convert", "check", "edit", "done"]
    assert (ws / "outputs" / "model.py").is_file()
    tracker = (ws / "files_to_convert.md").read_text()
    assert "- [x] `model.py`" in tracker and "check: pass, import ok, parity ok" in tracker
    assert "replaced torch.relu" in tracker
    # /verify with no arguments
    front, body = split_command(COMMANDS / "verify.md")
    fill = {"$ARGUMENTS": "", "<file>": "model.py", "<what you fixed and why>": "fixed the check findings"}
    for line in shell_lines(body):
        proc = run_line(line, session, fill)
        assert_ran(line, proc)
    check = json.loads((ws / ".torch2ms" / "check.json").read_text())
    assert check["files"]["model.py"]["import"] in ("ok", "failed")
    # /report
    front, body = split_command(COMMANDS / "report.md")
    [ctx] = context_lines(body)
    proc = run_line(ctx, session, {})
    assert_ran(ctx, proc)
    assert "# Migration report" in proc.stdout
    assert "1 of them also matches the torch original numerically (parity)" in proc.stdout
    assert (ws / "report.md").is_file() and (ws / "conversion_report.md").is_file()


def test_hook_runs_and_prints(project):
    ws, session = project
    settings = json.loads((REPO / ".claude" / "settings.json").read_text())
    [entry] = settings["hooks"]["PostToolUse"]
    assert set(entry["matcher"].split("|")) >= {"Edit", "Write"}
    [hook] = entry["hooks"]
    assert hook["type"] == "command"
    target = ws / "outputs" / "planted.py"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("from mindspore import mint\n\n\ndef f(x):\n    return mint.cat([x], axis=0)\n")
    payload = {"hook_event_name": "PostToolUse", "tool_name": "Edit", "cwd": str(REPO),
               "tool_input": {"file_path": str(target), "old_string": "a", "new_string": "b"}}
    proc = session.hook(hook, payload)
    assert proc.returncode == 2, proc.stdout + proc.stderr  # exit 2: stderr goes to the model
    assert "outputs/planted.py: fail" in proc.stderr and "'axis'" in proc.stderr
    target.write_text("from mindspore import mint\n\n\ndef f(x):\n    return mint.cat([x], dim=0)\n")
    proc = session.hook(hook, payload)
    assert proc.returncode == 0 and "pass" in proc.stdout


def test_convert_next_ticks_after_the_check_claude_md_requires():
    """The check run before `done` in /convert-next is the one CLAUDE.md's contract names."""
    _, body = split_command(COMMANDS / "convert-next.md")
    lines = shell_lines(body)
    check = lines[[ln.split()[1] for ln in lines].index("done") - 2]  # check, edit, done
    assert check == f"{HELPER} check --import --parity <output>"
    contract = (REPO / "CLAUDE.md").read_text().split("## Workflow contract")[1].split("\n## ")[0]
    assert "`torch2ms check --import --parity <output>` passes" in " ".join(contract.split())
    assert "Never edit it by hand, not even to tick a box" in " ".join(contract.split())


def test_convert_next_parity_spec_example_is_a_valid_spec():
    from torch2ms.parity.spec import validate

    _, body = split_command(COMMANDS / "convert-next.md")
    [block] = re.findall(r"```yaml\n(.*?)```", body, re.S)
    spec = validate(yaml.safe_load(block))
    assert spec["torch"]["build"] and spec["inputs"]
    assert "<output stem>.parity.yaml" in body and "Modeling" in body


def test_convert_next_explains_exit_1_of_convert():
    _, body = split_command(COMMANDS / "convert-next.md")
    text = " ".join(body.split())
    assert "Exit status 1 is not a failure when the output was written" in text
