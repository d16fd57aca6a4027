"""Torch names that arrive through `from .parts import *` are converted in the importing file."""

from __future__ import annotations

from torch2ms.cli import main

PARTS = """\
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn import Linear as _Hidden


class DoubleConv(nn.Module):
    def forward(self, x):
        return F.relu(x)
"""

MODEL = """\
from .parts import *


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = DoubleConv()

    def forward(self, x):
        return torch.cat([F.relu(x), x], dim=1)


def private():
    return _Hidden  # not exported by the star import: left alone
"""


def project(tmp_path, files):
    for rel, text in files.items():
        path = tmp_path / "proj" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path / "proj"


def test_names_of_a_relative_star_import_are_converted(tmp_path, capsys):
    proj = project(tmp_path, {"net/__init__.py": "from .model import Net\n", "net/parts.py": PARTS,
                              "net/model.py": MODEL})
    ws = tmp_path / "ws"
    assert main(["scan", str(proj), "--workspace", str(ws)]) == 0
    code = main(["convert", str(proj / "net" / "model.py"), "--workspace", str(ws)])
    out = capsys.readouterr().out
    assert code in (0, 1), out
    result = (ws / "outputs" / "net" / "model.py").read_text()
    assert "class Net(nn.Cell):" in result
    assert "def construct(self, x):" in result
    assert "mint.cat([mint.nn.functional.relu(x), x], dim=1)" in result
    assert result.startswith("from .parts import *\n")  # the star import itself stays
    assert "return _Hidden" in result
    assert "net/model.py: found 2, converted 2" in out
    # the conversion is recorded as the file's edits
    tracker = (ws / "files_to_convert.md").read_text()
    assert "nn.Module -> nn.Cell" in tracker.split("### `net/model.py`")[1]


def test_an_absolute_star_import_with_all_brings_only_its_names(tmp_path, capsys):
    parts = "import torch.nn as nn\nimport torch\n__all__ = ['nn']\n"
    user = "from layers.parts import *\n\nclass Head(nn.Module):\n    def forward(self, x):\n        return torch.tanh(x)\n"
    proj = project(tmp_path, {"layers/__init__.py": "", "layers/parts.py": parts, "head.py": user})
    ws = tmp_path / "ws"
    main(["convert", str(proj / "head.py"), "-o", str(ws / "outputs")])
    capsys.readouterr()
    result = (ws / "outputs" / "head.py").read_text()
    assert "class Head(nn.Cell):" in result
    assert "torch.tanh(x)" in result  # `torch` is not in __all__: not bound by the star import
