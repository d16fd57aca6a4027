"""The runtime checks: `check --import` on scripts (a clean sys.argv, definitions only, no side
effects, a bound that nothing the file starts can outlive) and `check --parity` verdicts."""

from __future__ import annotations

import os
import textwrap
import time
from pathlib import Path

import pytest

from torch2ms.check.findings import FileResult
from torch2ms.check.runtime import import_check

# A flat training script: argparse with a required flag, data read and written at top level, a
# config loader that execs its command line, a download; the model class at module level.
SCRIPT = textwrap.dedent("""\
    import argparse
    import sys
    import urllib.request
    from mindspore import mint, nn

    assert sys.argv == [__file__], sys.argv  # a definition: runs, and sees a clean command line
    n_embd = 16

    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    args = parser.parse_args()
    for arg in sys.argv[1:]:
        exec(open(arg).read())
    with open("input.txt", "w") as f:
        f.write("")
    urllib.request.urlretrieve("https://example.com/data.txt", "data.txt")
    vocab_size = len(open(args.data).read())


    class Net(nn.Cell):
        def __init__(self):
            super().__init__()
            self.fc = mint.nn.Linear(n_embd, n_embd)

        def construct(self, x):
            return self.fc(x)


    model = Net()
    for step in range(1000000):
        model(mint.ones((2, n_embd)))
    """)


def check(path: Path, root: Path, timeout=60.0) -> FileResult:
    result = FileResult(path.name)
    import_check(path, root, result, timeout)
    return result


def test_a_script_imports_as_definitions_only_with_a_clean_argv(tmp_path):
    out = tmp_path / "outputs"
    out.mkdir()
    (out / "train.py").write_text(SCRIPT)
    result = check(out / "train.py", out)
    assert result.import_result == "ok (definitions only)", result.findings
    assert not result.findings
    [note] = result.notes
    # kept: `parser = argparse.ArgumentParser()` and `model = Net()`, values computed by what
    # the module imports or defines
    assert note == ("import: definitions only: 7 top-level statements not run (L10 call parser.add_argument(), "
                    "L11 args = ..., L12 for, L14 with and 3 more)")
    assert sorted(p.name for p in out.iterdir()) == ["train.py"]  # nothing written next to it


def test_a_module_without_top_level_work_imports_whole(tmp_path):
    out = tmp_path / "outputs"
    (out / "pkg").mkdir(parents=True)
    (out / "pkg" / "__init__.py").write_text("")
    (out / "pkg" / "configuration.py").write_text("class Config:\n    size = 4\n")
    (out / "pkg" / "model.py").write_text(
        "import logging\nfrom .configuration import Config\nlogger = logging.getLogger(__name__)\n"
        "try:\n    import flash_attn_t2ms_absent\nexcept ImportError:\n    flash_attn_t2ms_absent = None\n"
        "SIZE = Config.size * 2\n")
    result = check(out / "pkg" / "model.py", out)
    assert (result.import_result, result.notes, result.findings) == ("ok", [], [])


def test_a_script_keeps_the_values_its_imports_and_functions_compute(tmp_path):
    """Definitions only still runs `RELU_GAIN = math.sqrt(2.0)` and `_SH = _available("sh")`: a class
    that reads them builds; a call named like work (`.read()`) or raising there is left out."""
    out = tmp_path / "outputs"
    out.mkdir()
    (out / "flat.py").write_text(textwrap.dedent("""\
        import importlib.util
        import math
        import sys


        def _available(name):
            return importlib.util.find_spec(name) is not None


        RELU_GAIN = math.sqrt(2.0)
        _SH = _available("sh")
        _JSON = _available("json")
        text = sys.stdin.read()
        missing = math.sqrt(-1.0)
        assert RELU_GAIN > 1.4 and _JSON is True and _SH in (True, False)
        print("top-level work")
        """))
    result = check(out / "flat.py", out)
    assert result.import_result == "ok (definitions only)", result.findings
    [note] = result.notes
    assert note.startswith("import: definitions only: 3 top-level statements not run (L13 text = ..., "
                           "L14 missing = ... (raised ValueError: math domain error"), note
    assert "L16 call print()" in note


def test_definitions_that_need_the_skipped_work_fail_with_the_reason(tmp_path):
    out = tmp_path / "outputs"
    out.mkdir()
    (out / "flat.py").write_text("import sys\nchars = sys.stdin.read()\n\n\ndef f(n=len(chars)):\n    return n\n")
    result = check(out / "flat.py", out)
    assert result.import_result == "failed"
    assert "NameError" in result.findings[0].message and "chars" in result.findings[0].message


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc").is_dir() or not hasattr(os, "fork"), reason="needs fork and /proc")
@pytest.mark.parametrize("hangs", [True, False])
def test_a_process_forked_at_import_does_not_survive(tmp_path, hangs):
    out = tmp_path / "outputs"
    out.mkdir()
    marker = tmp_path / "forked.pid"
    # class bodies run at definition: the fork happens even as definitions only
    (out / "forks.py").write_text(textwrap.dedent(f"""\
        import os, time


        class Fork:
            if os.fork() == 0:
                with open({str(marker)!r}, "w") as fh:
                    fh.write(str(os.getpid()))
                time.sleep(120)
                os._exit(0)
            time.sleep({60 if hangs else 0})
        """))
    start = time.monotonic()
    result = check(out / "forks.py", out, timeout=15)
    assert time.monotonic() - start < 60
    assert result.import_result == ("timeout" if hangs else "ok")
    for _ in range(50):
        if marker.exists() and marker.read_text():
            break
        time.sleep(0.1)
    pid = int(marker.read_text())
    for _ in range(50):  # the group was killed; give init a moment to reap the orphan
        if not _alive(pid):
            break
        time.sleep(0.1)
    assert not _alive(pid), f"the process forked at import ({pid}) outlived the check"


def test_the_import_child_has_an_address_space_limit(tmp_path, monkeypatch):
    out = tmp_path / "outputs"
    out.mkdir()
    # reserving (not touching) 16 GiB: free without a limit, refused under an 8 GiB one
    (out / "greedy.py").write_text("import mmap\n\n\nclass Greedy:\n    area = mmap.mmap(-1, 16 << 30)\n")
    monkeypatch.setenv("TORCH2MS_MEMORY_LIMIT", "8")
    result = check(out / "greedy.py", out)
    assert result.import_result == "failed"
    assert "Cannot allocate memory" in result.findings[0].message
    assert "address-space limit of 8 GiB" in result.findings[0].message


NET = "import torch\n\n\nclass Net(torch.nn.Module):\n    def __init__(self):\n        super().__init__()\n" \
      "        self.fc = torch.nn.Linear(4, 2)\n\n    def forward(self, x):\n        return self.fc(x)\n"
PORT = NET.replace("import torch", "from mindspore import mint, nn").replace("torch.nn.Module", "nn.Cell") \
    .replace("torch.nn.Linear", "mint.nn.Linear").replace("def forward", "def construct")
SPEC = "torch: {build: Net}\ninputs:\n  - {shape: [2, 4]}\n"


def _parity(tmp_path, source: str, spec: str) -> FileResult:
    from torch2ms.check.runtime import parity_check

    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "net.py").write_text(source)
    (tmp_path / "outputs").mkdir()
    (tmp_path / "outputs" / "net.py").write_text(PORT)
    (tmp_path / "outputs" / "net.parity.yaml").write_text(spec)
    result = FileResult("net.py")
    parity_check(tmp_path / "outputs" / "net.py", tmp_path / "project" / "net.py", tmp_path, result, 300)
    return result


def test_a_torch_original_that_cannot_be_imported_is_not_a_parity_failure(tmp_path):
    result = _parity(tmp_path, "import tiktoken_t2ms_absent\n" + NET, SPEC)
    assert result.parity_result == "torch side unavailable" and result.findings == []
    assert result.notes == ["parity: net.parity.yaml cannot run: the torch original imports tiktoken_t2ms_absent, "
                            "which is not installed here: pip install tiktoken-t2ms-absent (parity cannot run "
                            "without it)"]
    assert result.summary() == "pass, parity torch side unavailable"


def test_a_spec_the_torch_side_cannot_use_is_a_spec_error(tmp_path):
    result = _parity(tmp_path, NET, SPEC.replace("[2, 4]", "[2, 5]"))
    assert result.parity_result == "spec error"
    [finding] = result.findings
    assert finding.code == "parity" and "the torch side fails with the spec's inputs" in finding.message
    assert finding.message.endswith("(fix the spec)")
    assert result.summary() == "fail: 1 parity; parity spec error"


def test_a_failing_run_spec_does_not_hide_that_the_models_matched():
    from torch2ms.check.findings import Finding

    result = FileResult("train.py", findings=[Finding(0, "run", "train.run.yaml cannot be used: ...")],
                        import_result="ok", parity_result="ok", run_result="spec error")
    assert result.summary() == "fail: 1 run; import ok, parity ok, run spec error"
    assert FileResult("m.py", findings=[Finding(3, "todo", "x")]).summary() == "fail: 1 todo"


def test_a_port_importing_torchvision_through_its_libraries_imports(tmp_path):
    """The loader's own finder leaves library modules to the finders after it (torch_env's hook,
    which lets torchvision import beside CPU torch, among them)."""
    out = tmp_path / "outputs"
    out.mkdir()
    (out / "vision.py").write_text("import torchvision.transforms as T\n\nRESIZE = T.Resize\n")
    result = check(out / "vision.py", out)
    assert (result.import_result, result.findings) == ("ok", [])
