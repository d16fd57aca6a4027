"""Sources are read as Python reads them and written back as they were stored (issue case 13):
a PEP 263 coding line, a BOM and CRLF line endings survive convert and check; a notebook given
to convert is refused; edit and done never create a missing workspace."""

from __future__ import annotations

import stat

from torch2ms.cli import main

LATIN1 = ("# -*- coding: latin-1 -*-\n# caf\xe9 cr\xe8me\nimport torch\n"
          "x = torch.tanh(torch.ones(2))  # \xe0 la carte\n").encode("latin-1")


def test_a_latin1_file_with_its_coding_line_is_converted_and_checked(tmp_path, capsys):
    src = tmp_path / "menu.py"
    src.write_bytes(LATIN1)
    out_dir = tmp_path / "ws" / "outputs"
    assert main(["convert", str(src), "-o", str(out_dir)]) == 0
    out = (out_dir / "menu.py").read_bytes()
    assert out.startswith(b"# -*- coding: latin-1 -*-\n# caf\xe9 cr\xe8me\n")
    assert b"mint.tanh(mint.ones(2))  # \xe0 la carte" in out
    capsys.readouterr()
    assert main(["check", str(out_dir / "menu.py"), "--workspace", str(tmp_path / "ws")]) == 0
    assert "menu.py: pass" in capsys.readouterr().out


def test_crlf_line_endings_and_a_bom_are_kept(tmp_path):
    src = tmp_path / "win.py"
    src.write_bytes(b"\xef\xbb\xbfimport torch\r\n\r\ny = torch.tanh(torch.ones(2))\r\n")
    out_dir = tmp_path / "out"
    assert main(["convert", str(src), "-o", str(out_dir)]) == 0
    out = (out_dir / "win.py").read_bytes()
    assert out == b"\xef\xbb\xbffrom mindspore import mint\r\n\r\ny = mint.tanh(mint.ones(2))\r\n"


def test_a_crlf_output_that_passed_its_check_can_be_ticked(workspace, project, capsys):
    (project / "model.py").write_bytes((project / "model.py").read_bytes().replace(b"\n", b"\r\n"))
    assert main(["convert", str(project / "model.py"), "--workspace", str(workspace)]) == 0
    assert b"\r\n" in (workspace / "outputs" / "model.py").read_bytes()
    assert main(["check", "outputs/model.py", "--workspace", str(workspace)]) == 0
    capsys.readouterr()
    assert main(["done", "model.py", "--workspace", str(workspace)]) == 0, capsys.readouterr().err


def test_a_new_output_keeps_the_mode_of_its_source(tmp_path):
    src = tmp_path / "tool.py"
    src.write_text("#!/usr/bin/env python\nimport torch\nprint(torch.ones(1))\n")
    src.chmod(0o755)
    assert main(["convert", str(src), "-o", str(tmp_path / "out")]) == 0
    assert stat.S_IMODE((tmp_path / "out" / "tool.py").stat().st_mode) == 0o755


def test_a_notebook_given_to_convert_is_refused(tmp_path, capsys):
    nb = tmp_path / "explore.ipynb"
    nb.write_text('{"cells": [{"cell_type": "code", "source": ["import torch"]}], "nbformat": 4}\n')
    assert main(["convert", str(nb), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("torch2ms convert: ") and "notebook" in err[0]
    assert not (tmp_path / "out").exists()


def test_edit_and_done_on_a_missing_workspace_do_not_create_it(tmp_path, capsys):
    missing = tmp_path / "no-such-workspace"
    assert main(["edit", "model.py", "-m", "x", "--workspace", str(missing)]) == 2
    assert main(["done", "model.py", "--workspace", str(missing)]) == 2
    assert main(["edit", "model.py", "--blocked", "why", "--workspace", str(missing)]) == 2
    assert "no tracker at" in capsys.readouterr().err
    assert not missing.exists()
