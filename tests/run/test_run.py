"""`torch2ms run`: runs converted mint code on CPU through the fallback, like `python SCRIPT`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

# Embedding and arange have no CPU kernel in MindSpore 2.10: this script fails under plain python.
MINT_SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    import mindspore
    from mindspore import mint
    import helper  # lives next to the script

    emb = mint.nn.Embedding(6, 3)
    emb.weight.set_data(mindspore.Tensor(np.arange(18, dtype=np.float32).reshape(6, 3)))
    out = emb(mint.arange(1, 5))
    print(json.dumps({"out": out.asnumpy().tolist(), "argv": sys.argv[1:],
                      "argv0": sys.argv[0], "name": __name__, "helper": helper.TAG,
                      "path0": sys.path[0]}))
    sys.exit(int(sys.argv[1]))
""")


def _env() -> dict:
    env = dict(os.environ)
    env["GLOG_v"] = "3"
    env.pop("TORCH2MS_WORKSPACE", None)
    return env


def t2ms_run(*args, cwd, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "torch2ms", "run", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=120, env=env or _env())


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "proj"
    folder.mkdir()
    (folder / "main.py").write_text(MINT_SCRIPT)
    (folder / "helper.py").write_text("TAG = 'local helper'\n")
    return folder


def test_runs_mint_script_with_fallback_argv_and_exit_code(project: Path, tmp_path: Path):
    # run from another folder: the script's own folder must still come first on sys.path
    proc = t2ms_run(project / "main.py", "7", "--flag", "-h", "--", "x y", cwd=tmp_path)
    assert proc.returncode == 7, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    expected = np.arange(18, dtype=np.float32).reshape(6, 3)[1:5]
    np.testing.assert_array_equal(np.array(result["out"], dtype=np.float32), expected)
    assert result["argv"] == ["7", "--flag", "-h", "--", "x y"]
    assert Path(result["argv0"]).name == "main.py"
    assert result["name"] == "__main__"
    assert result["helper"] == "local helper"
    assert Path(result["path0"]) == project.resolve()
    note = [ln for ln in proc.stderr.splitlines() if ln.startswith("torch2ms run:")]
    assert len(note) == 1 and "CPU fallback on" in note[0]
    assert int(note[0].split("fallback on:")[1].split()[0]) > 10  # how many APIs it replaces


def test_same_script_fails_on_cpu_without_run(project: Path):
    proc = subprocess.run([sys.executable, "main.py", "0"], cwd=project, capture_output=True,
                          text=True, timeout=120, env=_env())
    assert proc.returncode != 0
    assert "unregistered" in proc.stderr or "kernel" in proc.stderr.lower(), proc.stderr[-2000:]


def test_double_dash_separates_options_and_zero_exit(project: Path):
    proc = t2ms_run("--", "main.py", "0", "--workspace", "w", cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1])["argv"] == ["0", "--workspace", "w"]


def test_exception_shows_script_traceback(tmp_path: Path):
    (tmp_path / "bad.py").write_text("def f():\n    raise ValueError('boom 42')\n\nf()\n")
    proc = t2ms_run("bad.py", cwd=tmp_path)
    assert proc.returncode == 1
    tb = proc.stderr[proc.stderr.index("Traceback"):]
    assert "ValueError: boom 42" in tb
    assert 'bad.py", line 4' in tb and 'bad.py", line 2, in f' in tb
    assert "torch2ms" not in tb and "runpy" not in tb  # starts in the script, as with python


def test_module_mode(tmp_path: Path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "tool.py").write_text(textwrap.dedent("""
        import sys
        from mindspore import mint
        print(__name__, sys.argv[1:], mint.arange(3).asnumpy().tolist())
        sys.exit("stopped here")
    """))
    proc = t2ms_run("-m", "pkg.tool", "--x", "1", cwd=tmp_path)
    assert proc.stdout.split("\n")[0] == "__main__ ['--x', '1'] [0, 1, 2]", proc.stderr
    # sys.exit with a message: printed on stderr, status 1, as python does
    assert proc.returncode == 1 and proc.stderr.strip().endswith("stopped here")


def test_missing_script_is_exit_2_with_one_line(tmp_path: Path):
    proc = subprocess.run([sys.executable, "-m", "torch2ms", "run", "nowhere.py", "a"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, env=_env())
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == ["torch2ms run: no such script: nowhere.py"]
    assert proc.stdout == ""


def _workspace(tmp_path: Path) -> tuple[Path, Path]:
    """An input folder with a torch-free helper, and a workspace whose outputs/ lacks it."""
    inp, ws = tmp_path / "input", tmp_path / "ws"
    (inp / "sub").mkdir(parents=True)
    (inp / "sub" / "plain.py").write_text("print('INPUT COPY IMPORTED')\nVALUE = 1\n")
    (inp / "sub" / "app.py").write_text("import plain\n")
    (inp / "plain.py").write_text("print('INPUT COPY IMPORTED')\nVALUE = 1\n")
    (ws / ".torch2ms").mkdir(parents=True)
    (ws / ".torch2ms" / "scan.json").write_text(json.dumps({"input_dir": str(inp)}))
    (ws / "outputs" / "sub").mkdir(parents=True)
    (ws / "outputs" / "sub" / "app.py").write_text(
        "import json\nimport plain\nprint('VALUE', plain.VALUE)\n")
    (ws / "outputs" / "top.py").write_text("import plain\n")
    return inp, ws


def test_project_module_missing_from_outputs_is_reported(tmp_path: Path):
    inp, ws = _workspace(tmp_path)
    env = _env()
    env["PYTHONPATH"] = str(inp / "sub")  # the input copy is reachable: it must still not be used
    app = ws / "outputs" / "sub" / "app.py"
    # with --workspace; found from the script's path (in a subfolder of outputs/, and at its top)
    cases = [(["--workspace", ws], app, ("sub",)), ([], app, ("sub",)), ([], ws / "outputs" / "top.py", ())]
    for opts, script, sub in cases:
        proc = t2ms_run(*opts, script, cwd=tmp_path, env=env)
        assert proc.returncode == 1
        assert "INPUT COPY IMPORTED" not in proc.stdout
        lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("torch2ms run: `plain`")]
        assert len(lines) == 1, proc.stderr
        assert "not in outputs/" in lines[0]
        assert str(Path("input", *sub, "plain.py")) in lines[0]
        assert str(Path("ws", "outputs", *sub, "plain.py")) in lines[0]
        assert "ModuleNotFoundError" in proc.stderr

    # once copied into outputs/, it runs
    (ws / "outputs" / "sub" / "plain.py").write_text("VALUE = 2\n")
    proc = t2ms_run(app, cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "VALUE 2"


def test_bad_workspace_is_exit_2(tmp_path: Path, project: Path):
    proc = t2ms_run("--workspace", tmp_path / "none", project / "main.py", "0", cwd=tmp_path)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "workspace" in proc.stderr


@pytest.mark.skipif(not hasattr(os, "fork") or not Path("/proc").is_dir(), reason="needs fork and /proc")
def test_timeout_stops_the_script_and_what_it_forked(tmp_path: Path):
    marker = tmp_path / "child.pid"
    (tmp_path / "hang.py").write_text(textwrap.dedent(f"""
        import os, sys, time
        if os.fork() == 0:
            open({str(marker)!r}, "w").write(str(os.getpid()))
            time.sleep(120)
            os._exit(0)
        print("started", flush=True)
        time.sleep(120)
    """))
    start = time.monotonic()
    proc = t2ms_run("--timeout", "10", "hang.py", cwd=tmp_path)
    assert time.monotonic() - start < 60
    assert proc.returncode == 124, proc.stderr
    assert proc.stdout.strip() == "started"  # its output is not captured: it went through
    assert "hang.py did not finish within 10 s: stopped it and every process it started" in proc.stderr
    pid = int(marker.read_text())
    for _ in range(50):
        if not _alive(pid):
            break
        time.sleep(0.1)
    assert not _alive(pid), "a process the script forked outlived the timeout"


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_bad_timeout_is_exit_2(tmp_path: Path, project: Path):
    proc = t2ms_run("--timeout", "0", project / "main.py", "0", cwd=tmp_path)
    assert proc.returncode == 2 and proc.stderr.strip() == "torch2ms run: --timeout must be a positive number of seconds"
