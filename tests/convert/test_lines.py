"""lines.code and lines.code_reusing give libcst's own code, byte for byte."""

import libcst as cst
import pytest

from torch2ms.convert import lines

SOURCES = [
    "import torch\n\n\nx = torch.zeros(3)\n# a comment\ny = 1",          # no trailing newline
    "import torch\r\nx = torch.zeros(3)\r\ny = 2\r\n",                       # CRLF
    "# header\nimport torch\nclass A(torch.nn.Module):\n    pass\n    # block footer\n\n# footer\n",
    "x = (a . b)\nif x:\n\ty = a.b.c  # tab indent\n",
    "",
]


@pytest.mark.parametrize("source", SOURCES)
def test_code_reusing_is_the_module_code(source):
    module = cst.parse_module(source)
    old = lines.Lines(module, (cst.Name,))
    assert lines.code_reusing(module, old) == module.code == source
    if module.body:
        # the first statement replaced, the others reused from the old module's code
        new = module.with_changes(body=[cst.parse_statement("z = 0\n"), *module.body[1:]])
        assert lines.code_reusing(new, old) == new.code
        assert lines.code_reusing(new, None) == new.code


def test_code_is_code_for_node():
    module = cst.parse_module("a.b.c\n(a).b\na . b\nx\n(x)\nself.x[0].y\nf(a)\n")
    for stmt in module.body:
        node = stmt.body[0].value
        assert lines.code(module, node) == module.code_for_node(node)


def test_first_lines():
    module = cst.parse_module("\n# c\nx = 1\n\ndef f():\n    return y\n")
    found = lines.first_lines(module, (cst.SimpleStatementLine, cst.FunctionDef, cst.Name))
    assign, fn = module.body
    assert found[id(assign)] == 3 and found[id(fn)] == 5
    assert found[id(fn.body.body[0].body[0].value)] == 6
