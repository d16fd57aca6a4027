"""Every user error is one line and exit 2, whatever the bytes and the depth (issue 18, cases 4
and 6): non-UTF-8 text, a tree a thousand folders deep, hook payloads of another shape, an empty
folder, a .py of random bytes in a folder, a chmod 000 input."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

from torch2ms.cli import main

SRC = "import torch\nx = torch.tanh(torch.ones(1))\n"


def test_non_utf8_edit_and_blocked_texts_are_recorded_escaped(workspace, run):
    for args in (["edit", "model.py", "-m", "bad \udcff byte"], ["edit", "train.py", "--blocked", "needs \udcfe"]):
        proc = run(*args, "--workspace", workspace)
        assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-1500:]
    text = (workspace / "files_to_convert.md").read_bytes().decode("utf-8")
    assert "- bad \\xff byte" in text and "blocked: needs \\xfe" in text


def _deep(root, levels=1100):
    """root/top.py and root/d/d/.../d/m.py, `levels` folders down (made without recursion)."""
    root.mkdir()
    (root / "top.py").write_text(SRC)
    fd = os.open(root, os.O_RDONLY)
    for _ in range(levels):
        os.mkdir("d", dir_fd=fd)
        inner = os.open("d", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = inner
    with os.fdopen(os.open("m.py", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "w") as fh:
        fh.write(SRC)
    os.close(fd)


def test_a_tree_a_thousand_folders_deep_is_scanned_converted_and_checked(tmp_path, run):
    proj = tmp_path / "proj"
    try:
        _deep(proj)
        for args in (["scan", proj], ["convert", proj], ["check"], ["report"]):
            proc = run(*args, "--workspace", tmp_path / "ws", timeout=600)
            assert "Traceback" not in proc.stderr and proc.returncode in (0, 1), (args, proc.stderr[-1500:])
        tracker = (tmp_path / "ws" / "files_to_convert.md").read_text()
        assert "/".join(["d"] * 1100) + "/m.py" in tracker
    finally:  # pytest's own clean-up of old temporary folders recurses: leave no deep tree behind
        subprocess.run(["rm", "-rf", str(proj), str(tmp_path / "ws")], check=False)


def _hook(payload: str):
    return subprocess.run([sys.executable, "-m", "torch2ms", "check", "--hook"], input=payload,
                          capture_output=True, text=True, timeout=300)


def test_hook_payloads_of_another_shape_pass_quietly():
    for payload in ("[]", '{"tool_input": "x"}', '{"tool_input": {"file_path": 3}}', '"text"', "[" * 100000):
        proc = _hook(payload)
        assert proc.returncode == 0 and proc.stderr == "", (payload[:40], proc.stderr[-1500:])


def test_hook_on_a_path_through_outputs_dotdot_does_not_check_the_input(tmp_path):
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "model.py").write_text(SRC)  # the input: torch left, a check would block it
    ws = tmp_path / "ws"
    assert main(["scan", str(proj), "--workspace", str(ws)]) == 0
    (ws / "outputs").mkdir()
    sneaky = ws / "outputs" / ".." / ".." / "proj" / "model.py"
    proc = _hook(json.dumps({"tool_input": {"file_path": str(sneaky)}}))
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr[-1500:]


def test_convert_of_an_empty_folder_says_so_in_one_line(tmp_path, run, one_line_error):
    (tmp_path / "empty").mkdir()
    line = one_line_error(run("convert", tmp_path / "empty", "--workspace", tmp_path / "ws"), "convert")
    assert "holds no .py file" in line


def test_a_py_of_random_bytes_is_skipped_by_a_folder_convert_as_by_scan(tmp_path, run):
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "model.py").write_text(SRC)
    (proj / "blob.py").write_bytes(bytes(range(256)) * 8)
    ws = tmp_path / "ws"
    proc = run("convert", proj, "--workspace", ws)
    assert proc.returncode == 0, proc.stdout[-1500:] + proc.stderr[-1500:]
    assert "skipped: blob.py: binary content in a source file" in proc.stdout
    assert (ws / "outputs" / "model.py").is_file() and not (ws / "outputs" / "blob.py").exists()


def test_an_input_with_no_permissions_gives_an_output_its_owner_can_read_and_write(tmp_path):
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "model.py").write_text(SRC)
    (proj / "vocab.txt").write_text("a b\n")
    ws = tmp_path / "ws"
    assert main(["scan", str(proj), "--workspace", str(ws)]) == 0
    os.chmod(proj / "model.py", 0)
    os.chmod(proj / "vocab.txt", 0)
    try:
        main(["convert", str(proj), "--workspace", str(ws)])
    finally:
        os.chmod(proj / "model.py", 0o644)
        os.chmod(proj / "vocab.txt", 0o644)
    for name in ("model.py", "vocab.txt"):
        mode = stat.S_IMODE(os.stat(ws / "outputs" / name).st_mode)
        assert mode & 0o600 == 0o600, (name, oct(mode))
