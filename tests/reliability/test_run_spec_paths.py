"""A run spec's `files:` never reads or writes outside where it is meant to (issue 18, case 1):
every entry names data inside the project and lands inside the run's temporary copy; anything
else is refused with one line naming the entry, before a script runs or a file is copied."""

from __future__ import annotations

import tempfile

import pytest
from torch2ms.cli import main

SCRIPT = "import sys\nprint('ran', file=sys.stderr)\n"


@pytest.fixture
def deep(tmp_path, monkeypatch):
    """A project three folders down, and the run's copies three folders down elsewhere."""
    proj = tmp_path / "a" / "b" / "proj"
    proj.mkdir(parents=True)
    (proj / "train.py").write_text(SCRIPT)
    (proj / "train_ms.py").write_text(SCRIPT)
    copies = tmp_path / "t" / "u"
    copies.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(copies))
    return proj


def _parity_run(proj, spec_text, capsys):
    spec = proj / "train.run.yaml"
    spec.write_text(spec_text)
    code = main(["parity-run", str(proj / "train.py"), str(proj / "train_ms.py"), "--spec", str(spec)])
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    return code, err


def test_a_files_entry_climbing_out_overwrites_nothing_and_is_named(deep, tmp_path, capsys):
    source = tmp_path / "victim" / "user_file.txt"  # what ../../../ names from the project
    source.parent.mkdir()
    source.write_text("attacker's\n")
    victim = tmp_path / "t" / "victim" / "user_file.txt"  # what ../../../ names from the copy
    victim.parent.mkdir()
    victim.write_text("precious\n")
    code, err = _parity_run(deep, 'files: ["../../../victim/user_file.txt"]\n', capsys)
    assert victim.read_text() == "precious\n"
    assert code == 2 and len(err) == 1, err
    assert err[0].startswith("torch2ms parity-run: files entry '../../../victim/user_file.txt'") and "outside" in err[0]


def test_an_absolute_files_entry_is_refused_in_one_line(deep, tmp_path, capsys):
    data = tmp_path / "datasets" / "x"
    data.mkdir(parents=True)
    (data / "part.txt").write_text("1 2 3\n")
    code, err = _parity_run(deep, f'files: ["{data}"]\n', capsys)
    assert code == 2 and len(err) == 1, err
    assert err[0].startswith(f"torch2ms parity-run: files entry '{data}': not a path relative to")
    # the same data inside the project, named with a detour, is copied as before
    (deep / "data").mkdir()
    (deep / "data" / "part.txt").write_text("1 2 3\n")
    code, err = _parity_run(deep, 'files: ["data/../data/part.txt"]\nsteps: 1\n', capsys)
    assert not any("files entry" in line or "does not exist" in line for line in err), err
