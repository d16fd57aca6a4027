"""A vision-transformer package written with einops (`data/einops_vit/`), converted as a user
converts a project: every einops call with a literal pattern is written out with mint, pack and
unpack are marked, and the converted models equal the torch ones (`vit.parity.yaml`: forward of
three models and one training step, weights transferred by name)."""

from pathlib import Path

import pytest

from torch2ms import sandbox
from torch2ms.cli import main
from torch2ms.convert.engine import convert_source

PACKAGE = Path(__file__).parent / "data" / "einops_vit"
# file -> (einops calls converted, einops calls marked)
EXPECTED = {"layers.py": (2, 0), "vit.py": (9, 2)}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_einops_calls_converted_and_marked(name):
    result = convert_source((PACKAGE / name).read_text(encoding="utf-8"))
    converted = [e for e in result.edits if e.rule == "einops"]
    marked = [f for f in result.flags if f.rule == "einops"]
    assert (len(converted), len(marked)) == EXPECTED[name], (converted, marked)
    assert all(f.message.startswith(("einops.pack:", "einops.unpack:")) for f in marked), marked
    assert "from einops import pack, unpack" in result.code if marked else "einops import" not in result.code


@pytest.fixture
def in_process(monkeypatch):
    """parity's work runs in this process; the CPU fallback it enables is turned off after."""
    from torch2ms import cpu_fallback

    monkeypatch.setenv(sandbox.ENV_INSIDE, "1")
    was = cpu_fallback.is_enabled()
    yield
    if not was:
        cpu_fallback.disable()


def test_converted_package_matches_torch(tmp_path, capsys, in_process):
    out = tmp_path / "outputs"
    assert main(["convert", str(PACKAGE), "-o", str(out), "--workspace", str(tmp_path), "-j", "1"]) == 1
    assert "vit.py: found 32, converted 30, flagged 2" in capsys.readouterr().out  # pack, unpack
    code = main(["parity", str(PACKAGE / "vit.py"), str(out / "vit.py"),
                 "--spec", str(PACKAGE / "vit.parity.yaml")])
    report = capsys.readouterr().out
    assert code == 0, report
    assert report.rstrip().endswith("parity: 4 of 4 cases match"), report
    assert "parity (train-step, eval mode): MATCH, 65/65 values within tolerance" in report
