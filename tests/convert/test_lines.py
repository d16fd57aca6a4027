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


LAYOUTS = [
    # decorators with comments between them, semicolons, a parenthesized start, a block footer,
    # comments between methods and after a dedent, no trailing newline
    '"""doc"""\n# header\nimport torch; import os\n\n\n@dec\n# between\n@dec2(\n    1)\ndef f(x):\n'
    "    return x.view(2)\n    # footer of f\n# dedented\n(\n    a\n) = 1, 2\n\n"
    "class A(torch.nn.Module):\n    '''doc'''\n    x = 1; y = 2\n\n    # before g\n    @property\n"
    "    def g(self):\n        return self.x.size(0)\n\n    class Inner:\n        def h(self): pass\n"
    "    def forward(self, x):\n        return torch.cat([x, x])\n    # end of A\n\n\n"
    "class B: pass\nz = torch.zeros(3)",
    "import torch\n\n\nclass C(torch.nn.Module):\n\n    def __init__(self):\n        super().__init__()\n"
    "        self.l = torch.nn.Linear(2, 2)\n\n    def forward(self, x):\n        return self.l(x)\n",
    # blocks at every depth: if/elif/else (one-line bodies too), loops with else, try with a
    # node in an except header, with, while, match, nested functions
    "import torch\n\ndef f(x, n):\n    # c\n    if x.dim() == 2:\n        y = torch.zeros(n)\n"
    "    # before elif\n    elif x.dim() == 3: y = torch.ones(n)\n    else: y = x.view(-1)\n"
    "    for i in torch.arange(n):\n        while i.item() > 0:\n            i = i - 1\n"
    "    else:\n        y = y.float()\n    try:\n        y = y.cuda()\n"
    "    except torch.cuda.OutOfMemoryError as e:\n        y = y.cpu()\n    finally:\n"
    "        pass\n    with torch.no_grad():\n        z = torch.cat([y,\n                       y])\n"
    "    match n:\n        case 1:\n            z = z.sum()\n        case _:\n            pass\n"
    "    def inner(a):\n        return a.size(0)\n    if z: return inner(z)\n    return z\n",
]
_TYPES = (cst.SimpleStatementLine, cst.FunctionDef, cst.ClassDef, cst.Call, cst.Attribute, cst.Name)


def _with_statements(module):
    """Every node of _TYPES with the statements holding it, outermost first (as the converter
    keeps them)."""
    found = []

    class Walk(cst.CSTVisitor):
        def __init__(self):
            super().__init__()
            self.stack = []

        def on_visit(self, node):
            if isinstance(node, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
                self.stack.append(node)
            if isinstance(node, _TYPES):
                found.append((node, list(self.stack)))
            return True

        def on_leave(self, node):
            if isinstance(node, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
                self.stack.pop()

    module.visit(Walk())
    return found


@pytest.mark.parametrize("source", LAYOUTS)
def test_lazy_lines_are_the_whole_pass_lines(source):
    module = cst.parse_module(source)
    lazy = lines.LazyLines.build(module, source, _TYPES)
    assert type(lazy) is lines.LazyLines  # the layout was read from the source
    whole = lines.Lines(module, _TYPES).first
    nodes = _with_statements(module)
    assert len(nodes) > 20
    for node, stack in nodes:
        assert lazy.line_of(node, stack) == whole[id(node)], module.code_for_node(node)
    assert lazy._whole is None  # no node needed the whole module's code


@pytest.mark.parametrize("source", LAYOUTS)
def test_code_reusing_lazy_lines_is_the_module_code(source):
    module = cst.parse_module(source)
    lazy = lines.LazyLines.build(module, source, _TYPES)
    assert lines.code_reusing(module, lazy) == source
    classes = [i for i, s in enumerate(module.body) if isinstance(s, cst.ClassDef)
               and isinstance(s.body, cst.IndentedBlock)]
    for i in classes:
        cls = module.body[i]
        # one method changed: the class is generated again, its other members reused
        members = list(cls.body.body)
        k = next(j for j, m in enumerate(members) if isinstance(m, cst.FunctionDef))
        members[k] = members[k].with_changes(name=cst.Name("renamed"))
        changed = cls.with_changes(body=cls.body.with_changes(body=members))
        body = [*module.body[:i], changed, *module.body[i + 1:]]
        for new in (module.with_changes(body=body), module.with_changes(body=body[:i + 1]),
                    module.with_changes(body=body[:-1])):
            assert lines.code_reusing(new, lazy) == new.code
        # the class body re-indented: nothing of it is reused as it was
        deeper = changed.with_changes(body=changed.body.with_changes(indent="        "))
        new = module.with_changes(body=[*module.body[:i], deeper, *module.body[i + 1:]])
        assert lines.code_reusing(new, lazy) == new.code


def test_lazy_lines_fall_back_where_the_layout_is_not_read():
    for source in ("import torch\r\nx = torch.zeros(3)\r\n", "x = 1\ry = 2\n"):
        module = cst.parse_module(source)
        assert type(lines.LazyLines.build(module, source, _TYPES)) is lines.Lines


def test_convert_does_not_generate_the_whole_module(monkeypatch):
    """A file with edits gets its edit lines and output without one code generation of the
    whole module (the cost the source's layout saves)."""
    from torch2ms.convert.engine import convert_source
    source = LAYOUTS[0] + "\n"
    expected = convert_source(source)
    assert expected.edits and expected.code != source

    def whole_pass(*args, **kwargs):
        raise AssertionError("the whole module's code was generated")

    monkeypatch.setattr(lines.Lines, "__init__", whole_pass)
    result = convert_source(source)
    assert (result.code, [str(e) for e in result.edits], [str(f) for f in result.flags]) == \
        (expected.code, [str(e) for e in expected.edits], [str(f) for f in expected.flags])
