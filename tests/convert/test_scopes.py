"""The converter's name resolution (scopes.resolve) answers as libcst's ScopeProvider does
(scopes.differences: every Name and Attribute, every scope), on the constructs its walk models
by hand and on the examples; what it does not model falls back to the ScopeProvider."""

from pathlib import Path

import libcst as cst
import pytest

from torch2ms.convert import scopes

REPO = Path(__file__).resolve().parents[2]

CASES = {
    "aliases": "import torch as t\nfrom torch import nn\nimport torch.nn.functional as F\n"
               "x = t.zeros(1)\nF.relu(x)\nnn.Linear\n",
    "dotted import": "import a.b\na.b.c()\na.x\nimport a\na.b\n",
    "global": "x = 1\ndef f():\n    global x\n    x = 2\n    return x\n",
    "nonlocal": "def f():\n    y = 1\n    def g():\n        nonlocal y\n        y = 2\n    return g\n",
    "comprehensions": "import torch\nys = [torch.relu(v) for v in xs if v for w in v]\n"
                      "d = {k: v for k, v in x.items()}\ng = (a for a in a)\n",
    "class scope": "import torch\nclass A(torch.nn.Module):\n    t = torch\n"
                   "    def f(self, t=t):\n        return t.zeros(1)\n",
    "lambda and walrus": "import torch\nf = lambda x, y=torch: y.zeros(x)\n"
                         "if (n := len(a)) > 1:\n    print(n)\n",
    "typing": "from typing import TypeVar, cast, List\nT = TypeVar('T', bound='torch.Tensor')\n"
              "x = cast('List[int]', y)\ndef f(a: 'torch.Tensor') -> List['int']:\n    pass\n",
    "function-local import": "def f():\n    import torch.nn as nn\n    return nn.Linear(1, 1)\n",
    "del and augmented": "x = 1\nx += 2\ny: int = x\ndel x\n",
    "for, with, except": "import torch\nfor i, (a, b) in enumerate(z):\n    pass\nelse:\n    i\n"
                         "with open(f) as fh, torch.no_grad():\n    pass\ntry:\n    pass\n"
                         "except ValueError as e:\n    print(e)\n",
    "late binding": "def f():\n    return g()\ndef g():\n    return 1\nx = x\n",
    "decorators and returns": "import torch\n@torch.no_grad()\ndef f(x: torch.Tensor) -> torch.Tensor:\n"
                              "    return x\n",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_case_answers_as_the_scope_provider(name):
    module = cst.parse_module(CASES[name])
    names = scopes.resolve(module)
    assert type(names) is scopes.Names  # the walk's own answers, not the fallback
    assert scopes.differences(module, names) == []


def test_example_files_answer_as_the_scope_provider():
    files = sorted((REPO / "examples").rglob("*.py"))
    assert len(files) > 10
    for path in files:
        module = cst.parse_module(path.read_text(encoding="utf-8"))
        assert scopes.differences(module) == [], path


@pytest.mark.parametrize("code", [
    "def f[T](x: T) -> T:\n    return x\n",            # PEP 695 type parameters
    "x: 'lambda: y' = 1\n",                              # a string annotation that opens a scope
])
def test_unmodelled_constructs_fall_back_to_the_scope_provider(code):
    module = cst.parse_module(code)
    assert type(scopes.resolve(module)) is scopes.LibcstNames


def test_a_wrong_answer_is_reported():
    module = cst.parse_module(CASES["aliases"])
    names = scopes.resolve(module)
    names._accesses.clear()  # every read forgotten
    assert any("read" in line for line in scopes.differences(module, names))


def test_hot_nodes_are_those_holding_a_torch_name():
    module = cst.parse_module("import torch\na = b(c)\nd = torch.zeros(e)\n")
    names = scopes.resolve(module, hot_names=frozenset({"torch"}))
    plain, torch_call = module.body[1].body[0], module.body[2].body[0]
    assert id(torch_call.value) in names.hot and id(torch_call.value.args[0]) not in names.hot
    assert id(plain.value) not in names.hot


def test_every_handler_lets_the_pass_skip_the_expressions_nothing_reacts_to():
    """A handler of every method ("*") or of an expression type without a trigger makes the
    converter enter every node of every file (several times slower): each must declare what it
    reacts to (`rules.node(attrs=, keywords=, when=)`, `rules.method("*", when=)`)."""
    from torch2ms.convert import engine

    seen = []
    init = engine.Converter.__init__

    def spy(self, *args, **kwargs):
        init(self, *args, **kwargs)
        seen.append(self._prune)

    engine.Converter.__init__ = spy
    try:
        engine.convert_source("import torch\nfrom torch import nn\n\n\nclass M(nn.Module):\n"
                              "    def forward(self, x):\n        return torch.relu(x).sum(1)\n")
    finally:
        engine.Converter.__init__ = init
    assert seen == [True]
