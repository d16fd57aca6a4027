"""Engine-wide properties: comments kept, markers, idempotence, partial inputs, imports."""

import importlib

import libcst as cst
import pytest

from torch2ms.convert.engine import convert_source
from torch2ms.convert.naming import _SHORT, Namer

MODEL = '''\
"""Module docstring."""
# a comment before the imports
import torch  # why torch
import torch.nn as nn


# block comment
class Net(nn.Module):  # a module
    """Docstring."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)  # trailing

    def forward(self, x):
        # inside forward
        y = torch.frobnicate(x)  # not mapped
        return self.fc(y)  # done
'''


def _comments(code: str) -> list[str]:
    return [line.split("#", 1)[1].strip() for line in code.splitlines()
            if "#" in line and "TODO(torch2ms)" not in line]


def test_comments_and_docstrings_are_kept(convert_code):
    result = convert_code(MODEL)
    for comment in _comments(MODEL):
        assert comment in result.code, comment
    assert '"""Module docstring."""' in result.code and '"""Docstring."""' in result.code


def test_marker_goes_above_when_the_line_has_a_comment(convert_code):
    result = convert_code(MODEL)
    lines = result.code.splitlines()
    i = lines.index("        y = torch.frobnicate(x)  # not mapped")
    assert lines[i - 1] == "        # TODO(torch2ms): torch.frobnicate has no MindSpore mapping yet"


def test_marker_above_a_statement_spanning_lines(convert_code):
    result = convert_code("import torch\ny = torch.frobnicate(\n    x,\n)\n")
    assert "# TODO(torch2ms): torch.frobnicate has no MindSpore mapping yet\ny = torch.frobnicate(\n" in result.code


def test_idempotent_without_duplicate_markers(convert_code):
    first = convert_code(MODEL).code
    second = convert_code(first)
    assert second.code == first
    assert second.edits == []
    assert first.count("TODO(torch2ms)") == 2  # the call, and the import it keeps


def test_partially_converted_input_converts_only_torch_parts(convert_code):
    code = ("import mindspore as ms\nfrom mindspore import mint, nn\nimport torch\n\n"
            "a = mint.cat([x, x])\nb = torch.tanh(a)\nc = ms.Tensor(1)\nclass M(nn.Cell):\n    pass\n")
    result = convert_code(code)
    assert result.code == ("import mindspore as ms\nfrom mindspore import mint, nn\n\n"
                           "a = mint.cat([x, x])\nb = mint.tanh(a)\nc = ms.Tensor(1)\n"
                           "class M(nn.Cell):\n    pass\n")
    assert [e.before for e in result.edits] == ["torch.tanh"]


def test_edits_carry_line_rule_before_after(convert_code):
    result = convert_code(MODEL)
    assert [(e.line, e.rule, e.before, e.after) for e in result.edits[:2]] == [
        (8, "modules", "nn.Module", "nn.Cell"),
        (13, "mapping", "nn.Linear", "mint.nn.Linear"),
    ]
    assert (result.found, result.converted, result.flagged) == (2, 1, 1)


def test_unparseable_input_comes_back_unchanged():
    result = convert_source("def broken(:\n")
    assert result.error and result.code == "def broken(:\n"


def test_output_always_parses_on_awkward_layouts(convert_code):
    code = ("import torch\nif x: y = torch.tanh(x); z = torch.frobnicate(x)\n"
            "try:\n    import torch.nn as nn\nexcept ImportError:\n    nn = None\n"
            "with torch.no_grad(): w = torch.tanh(x)\n"
            "lam = lambda v: v.size(0)\n")
    result = convert_code(code)
    cst.parse_module(result.code)
    assert convert_code(result.code).code == result.code


def test_every_import_the_engine_can_write_exists():
    """Each short-name import and a mindone one resolve in the installed packages."""
    namer = Namer({})
    for prefix in _SHORT:
        namer.text(prefix + ".Tensor" if prefix == "mindspore" else prefix + ".x")
    for item in namer.needed:
        module = importlib.import_module(item.module)
        if item.obj_name:
            assert hasattr(module, item.obj_name), item
    assert "import mint.nn" not in convert_source(MODEL).code


@pytest.mark.parametrize("code", [
    "from torch import nn\nclass M(nn.Module):\n    pass\n",
    "import torch\nx = torch.manual_seed(0)\nd = torch.float16\n",
])
def test_written_imports_are_importable(convert_code, code):
    result = convert_code(code)
    module = cst.parse_module(result.code)
    for stmt in module.body:
        if isinstance(stmt, cst.SimpleStatementLine) and isinstance(stmt.body[0], cst.ImportFrom):
            imp = stmt.body[0]
            mod = importlib.import_module(module.code_for_node(imp.module))
            for alias in imp.names:
                assert hasattr(mod, alias.name.value)
        elif isinstance(stmt, cst.SimpleStatementLine) and isinstance(stmt.body[0], cst.Import):
            for alias in stmt.body[0].names:
                importlib.import_module(module.code_for_node(alias.name))


def test_statements_survive_many_removed_imports(convert_code):
    """Removed import statements in many blocks: no other statement may disappear with them."""
    code = "".join(f"if c{i}:\n    import torch\n    x{i} = torch.tanh(1)\n    y{i} = {i}\n"
                   for i in range(120))
    result = convert_code(code)
    for i in range(120):
        assert f"    x{i} = mint.tanh(1)\n    y{i} = {i}\n" in result.code
    assert "import torch" not in result.code


@pytest.mark.parametrize("code", [
    # only annotations still use torch: the import must stay on the second run too
    "import torch\nimport torch.types\n\n\ndef f(x: torch.types.Number, y: torch.Tensor):\n    return x\n",
    # a flagged ModuleDict renamed to torch_nn must stay flagged, not become a CellDict
    "from torch import nn\n\n\nclass M(nn.Module):\n    def __init__(self, names):\n"
    "        super().__init__()\n        self.d = nn.ModuleDict({n: nn.ModuleList([]) for n in names})\n",
    # a layer built by converted code is a module, not a tensor
    "import torch.nn as nn\n\n\nclass M(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
    "        self.emb = nn.Embedding(2, 2)\n        self.emb.requires_grad_(False)\n",
])
def test_second_conversion_changes_nothing(convert_code, code):
    first = convert_code(code).code
    assert convert_code(first).code == first
