"""Text from users is inert where it is shown (issue 18, cases 5 and 6): a `|` in a file name
does not split its report row, a blocked reason's HTML or markdown is rendered as text; a
checkpoint that would call a command is refused without advice to allow that call."""

from __future__ import annotations

import os
import re

import pytest
from torch2ms.cli import main

SRC = "import torch\nfrom torch import nn\n\n\nclass Net(nn.Module):\n    def forward(self, x):\n        return x\n"
HOSTILE = "<img src=x onerror=alert(1)> [x](javascript:alert(1)) ![i](http://e/i.png)"


def test_report_cells_escape_pipes_and_user_text_is_inert(tmp_path):
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "a|b.py").write_text(SRC)
    (proj / "plain.py").write_text(SRC)
    ws = tmp_path / "ws"
    assert main(["scan", str(proj), "--workspace", str(ws)]) == 0
    assert main(["edit", "a|b.py", "--blocked", HOSTILE, "--workspace", str(ws)]) == 0
    assert main(["report", "--workspace", str(ws)]) == 0
    table = (ws / "conversion_report.md").read_text()
    header = next(line for line in table.splitlines() if line.startswith("| file |"))
    cells = len(re.findall(r"(?<!\\)\|", header))
    row = next(line for line in table.splitlines() if line.startswith("| `a"))
    assert len(re.findall(r"(?<!\\)\|", row)) == cells, row
    for name in ("conversion_report.md", "report.md"):
        text = (ws / name).read_text()
        assert "<img" not in text and "[x](javascript:" not in text and "![i](" not in text, name
        assert "&lt;img src=x onerror=alert(1)&gt;" in text, name


def test_a_checkpoint_calling_a_command_gets_no_advice_to_allow_it(tmp_path):
    torch = pytest.importorskip("torch")
    from torch2ms.weights.checkpoints import CheckpointError, torch_load

    marker = tmp_path / "command-ran"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    torch.save({"w": torch.ones(2), "x": Payload()}, tmp_path / "evil.pt")
    with pytest.raises(CheckpointError) as info:
        torch_load(tmp_path / "evil.pt")
    assert "posix.system" in str(info.value) and "--safe-global" not in str(info.value)
    with pytest.raises(CheckpointError) as info:
        torch_load(tmp_path / "evil.pt", ["posix.system"])
    assert "--safe-global posix.system" in str(info.value) and "runs commands or code" in str(info.value)
    assert not marker.exists()
