"""`undefined-name`: a name read but defined nowhere (a removed definition or import) is a finding
on each line that reads it; Python's scoping rules decide, so valid code raises nothing."""

import ast
import textwrap
from pathlib import Path

import pytest

from torch2ms.check.undefined import undefined_names

REPO = Path(__file__).resolve().parents[2]


def found(source: str) -> list[tuple[int, str]]:
    source = textwrap.dedent(source)
    return [(f.line, f.message.split("`")[1]) for f in undefined_names(source, ast.parse(source))]


CAUGHT = [
    ("definition removed, used in a function", """
        import mindspore as ms

        def train(model, device):
            return model

        def main():
            model = 1
            train(model, device)
        """, [(9, "device")]),
    ("import removed", """
        import numpy as np

        def loaders(ds):
            return DataLoader(ds, batch_size=2), np.zeros(1)

        class Data(Dataset):
            pass
        """, [(5, "DataLoader"), (7, "Dataset")]),
    ("module level", "x = 1\ny = x + z\n", [(2, "z")]),
    ("a class attribute is not visible in a method", """
        class A:
            size = 3

            def f(self):
                return size
        """, [(6, "size")]),
    ("a class attribute is not visible in a comprehension", """
        class A:
            size = 3
            sizes = [size for _ in range(2)]
        """, [(4, "size")]),
    ("in a lambda and a nested comprehension", """
        def f(xs):
            g = lambda t: t + offset
            return [[a * scale for a in x] for x in xs], g
        """, [(3, "offset"), (4, "scale")]),
    ("default and decorator are read outside the function", """
        @register
        def f(x=default):
            default = 2
            return x
        """, [(2, "register"), (3, "default")]),
    ("an evaluated annotation", "def f(x: Tensor) -> Tensor:\n    return x\n", [(1, "Tensor")]),
    ("every line that reads it", "def f():\n    a = device\n    return device\n", [(2, "device"), (3, "device")]),
]

FINE = [
    ("builtins and module attributes", "print(len(__file__), __name__, __doc__, Exception, __debug__)\n"),
    ("defined later at module level", "def f():\n    return g()\n\ndef g():\n    return 1\n"),
    ("global declared and assigned", """
        def setup():
            global STATE
            STATE = 1

        def use():
            return STATE
        """),
    ("nonlocal and closures", """
        def outer():
            count = 0
            def inner():
                nonlocal count
                count += 1
                return count
            return inner
        """),
    ("class body names and methods", """
        class A:
            size = 3
            double = size * 2
            name = __qualname__ + __module__

            def f(self):
                return super().f(), __class__, A.size
        """),
    ("comprehension variables", "def f(xs):\n    return {k: v for k, v in xs}, [y for y in xs if y], (z for z in xs)\n"),
    ("try/except ImportError", """
        try:
            from fast import kernel
        except ImportError:
            kernel = None

        def run():
            return kernel
        """),
    ("conditional and for/with/except bindings", """
        import sys
        if sys.argv:
            mode = 1
        else:
            mode = 2
        for i in range(2):
            pass
        with open(__file__) as fh:
            pass
        try:
            pass
        except Exception as err:
            print(err)
        print(mode, i, fh)
        """),
    ("star-import: names cannot be known, skip", "from mindspore.mint import *\nx = zeros(3)\n"),
    ("postponed annotations", """
        from __future__ import annotations
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            from mindspore import Tensor

        def f(x: Tensor, y: NotImported) -> Other:
            z: Local = x
            return z
        """),
    ("string annotations and local variable annotations", """
        def f(x: "Tensor") -> "Tensor":
            y: Whatever = x
            return y
        """),
    ("del and walrus", "def f(xs):\n    if (n := len(xs)) > 1:\n        return n\n    t = 1\n    del t\n"),
]


@pytest.mark.parametrize("name,source,expected", CAUGHT, ids=[c[0] for c in CAUGHT])
def test_caught(name, source, expected):
    assert found(source) == expected


@pytest.mark.parametrize("name,source", FINE, ids=[c[0] for c in FINE])
def test_fine(name, source):
    assert found(source) == []


def test_is_part_of_the_verdict(check):
    result = check("import mindspore\n\n\ndef f(x):\n    return x + undefined_device\n")
    assert result.verdict == "fail"
    assert [(f.line, f.code) for f in result.findings] == [(5, "undefined-name")]
    assert result.summary() == "fail: 1 undefined-name"


def test_no_false_positive_on_the_examples():
    """The worked examples and the demo project are valid code: not one finding."""
    files = sorted((REPO / "examples").rglob("*.py"))
    assert len(files) > 10
    hits = []
    for path in files:
        source = path.read_text(encoding="utf-8")
        hits += [(path.name, f.line, f.message) for f in undefined_names(source, ast.parse(source))]
    assert hits == []


def test_a_thousand_lines_of_scopes_raise_nothing():
    block = textwrap.dedent("""
        class Block{i}:
            scale = 2

            def f(self, xs, k=3):
                out = [x * k for x in xs if x]
                g = lambda t: t + len(out)
                return {{i: v for i, v in enumerate(out)}}, g, helper{i}(xs)


        def helper{i}(xs):
            total = 0
            for x in xs:
                total += x
            return total
        """)
    source = "".join(block.format(i=i) for i in range(67))
    assert source.count("\n") >= 1000
    assert undefined_names(source, ast.parse(source)) == []  # timed in benchmarks/bench_check.py


def test_torch_left_without_its_import_is_reported_once(check):
    result = check("x = torch.ones(2)\ny = device\n")
    assert [(f.line, f.code) for f in result.findings] == [(1, "torch-name"), (2, "undefined-name")]


def test_a_star_import_of_a_module_beside_the_file_gives_its_names(tmp_path):
    """`from model import *` (char-rnn's generate.py): the names model.py defines are known, so a
    name model.py no longer provides (`Variable`, after its torch import went) is a NameError."""
    from torch2ms.check import check_file

    (tmp_path / "model.py").write_text("import mindspore as ms\nfrom mindspore import nn\n"
                                       "from helpers import *\n\nclass M(nn.Cell):\n    pass\n_private = 1\n")
    (tmp_path / "helpers.py").write_text("def char_tensor(s):\n    return s\n")
    (tmp_path / "listed.py").write_text("__all__ = ['only']\nonly = 1\nother = 2\n")
    (tmp_path / "gen.py").write_text("from model import *\nfrom listed import *\n\n\ndef f():\n"
                                     "    return M(), ms.int32, char_tensor('a'), only, other, _private, Variable(1)\n")
    result = check_file(tmp_path / "gen.py")
    assert sorted(f.message.split("`")[1] for f in result.findings if f.code == "undefined-name") == \
        ["Variable", "_private", "other"]
    # a star-import that cannot be followed (a library's) still skips the file
    (tmp_path / "lib.py").write_text("from mindspore.mint import *\nx = zeros(3)\n")
    assert [f for f in check_file(tmp_path / "lib.py").findings if f.code == "undefined-name"] == []
