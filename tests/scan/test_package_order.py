"""The conversion order of projects laid out as packages: `__init__.py` re-exports, star and
relative imports, `from pkg import X`, and import cycles converted as one group."""

from __future__ import annotations

import json

from torch2ms.cli import main

PARTS = """\
import torch
import torch.nn as nn


class DoubleConv(nn.Module):
    def forward(self, x):
        return torch.relu(x)
"""

# net/parts.py is imported as net.parts: Python runs net/__init__.py first, which imports
# net.model, which star-imports net.parts: the three only import together.
NET = {
    "entry.py": "import torch\nfrom net import Net\n\nif __name__ == '__main__':\n    print(Net())\n",
    "net/__init__.py": "from .model import Net\n",
    "net/parts.py": PARTS,
    "net/model.py": "from .parts import *\n\n\nclass Net(nn.Module):\n    def forward(self, x):\n"
                    "        return DoubleConv()(x)\n",
    "aaa_first.py": "import torch\nfrom net.parts import DoubleConv\n",
}

# the cycle of the Lightning + Hydra template: src/utils/__init__.py imports instantiators,
# which imports `from src.utils import pylogger` (through the package)
CYCLE = {
    "src/__init__.py": "",
    "src/utils/__init__.py": "from src.utils.instantiators import instantiate_callbacks\n"
                             "from src.utils.pylogger import RankedLogger\n",
    "src/utils/instantiators.py": "import lightning as L\nfrom src.utils import pylogger\n\n"
                                  "def instantiate_callbacks(cfg):\n    return [L.Callback()]\n",
    "src/utils/pylogger.py": "from lightning_utilities.core.rank_zero import rank_zero_only\n"
                             "import logging\n\nclass RankedLogger(logging.LoggerAdapter):\n    pass\n",
    "src/train.py": "import lightning as L\nfrom src.utils import instantiate_callbacks\n\n"
                    "def train(cfg):\n    trainer = L.Trainer()\n    trainer.fit(None)\n",
    # torch-free helper between a listed file and a listed module: the order sees through it
    "src/helpers/__init__.py": "",
    "src/helpers/shim.py": "from src.helpers.deep import Net\n",
    "src/helpers/deep.py": "from src.models.net import Net\n",  # listed: it imports torch-based code
    "src/models/__init__.py": "",
    "src/models/net.py": PARTS,
    "src/aa_uses_shim.py": "import torch\nfrom src.helpers.shim import Net\n",
}


def order_of(scan, tmp_path, write_tree, files):
    write_tree(tmp_path / "proj", files)
    code, _, _, data = scan(tmp_path / "proj")
    assert code == 0
    return data


def test_package_init_and_its_imports_come_before_a_module_of_the_package(scan, tmp_path, write_tree):
    data = order_of(scan, tmp_path, write_tree, NET)
    order = data["order"]
    files = {f["path"]: f for f in data["files"]}
    # importing net.parts runs net/__init__.py, which imports net.model: all three before
    # anything that imports the package
    group = {"net/__init__.py", "net/model.py", "net/parts.py"}
    assert set(order[:3]) == group
    assert order.index("entry.py") > 2 and order.index("aaa_first.py") > 2
    # inside the group, a module after what it names (model star-imports parts; __init__ imports model)
    assert order[:3] == ["net/parts.py", "net/model.py", "net/__init__.py"]
    assert "net/__init__.py" in files["net/parts.py"]["imports_local"]
    assert "net/parts.py" in files["net/model.py"]["imports_local"]
    assert {"net/__init__.py", "net/parts.py"} <= set(files["aaa_first.py"]["imports_local"])
    assert any("convert them together" in n and "net/model.py" in n for n in data["order_notes"])


def test_a_cycle_through_a_package_init_is_one_group(scan, tmp_path, write_tree):
    data = order_of(scan, tmp_path, write_tree, CYCLE)
    order = data["order"]
    cycle = ["src/utils/instantiators.py", "src/utils/__init__.py"]
    assert all(p in order for p in cycle)
    first = min(order.index(p) for p in cycle)
    assert sorted(order[first:first + 2]) == sorted(cycle)
    assert order.index("src/train.py") > first + 1
    # the torch-free shim is copied, not listed: the file importing it still comes after deep.py
    assert "src/helpers/shim.py" not in order
    assert order.index("src/aa_uses_shim.py") > order.index("src/helpers/deep.py")


def test_next_shows_the_group_to_convert_together(scan, tmp_path, write_tree, capsys):
    data = order_of(scan, tmp_path, write_tree, NET)
    ws = data["workspace"]
    assert main(["next", "--workspace", ws]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Next: net/parts.py")
    assert "group:     convert these 3 files together" in out
    assert "    - net/model.py  (not converted yet)" in out
    assert main(["next", "--json", "--workspace", ws]) == 0
    nxt = json.loads(capsys.readouterr().out)["next"]
    assert nxt["group"] == ["net/parts.py", "net/model.py", "net/__init__.py"]
