"""Every literal einops pattern of a project, written out as `torch2ms convert` writes it and run
against einops on torch.

    python benchmarks/einops_patterns.py path/to/project

Collects the distinct `rearrange` / `repeat` / `reduce` calls (and `Rearrange` / `Reduce`
layers) whose pattern is a string literal, gives every axis a small length (an ellipsis 0, 1 and
2 dimensions), runs einops on a torch tensor of integers and the written mint function on the
same numbers (CPU fallback on), and prints how many agree exactly. A pattern einops rejects is
counted apart (the converter marks it).
"""

from __future__ import annotations

import sys
from pathlib import Path

import libcst as cst
import numpy as np

NAMES = {"rearrange": "rearrange", "repeat": "repeat", "reduce": "reduce",
         "Rearrange": "rearrange", "Reduce": "reduce"}


def calls(folder: Path):
    """(op, pattern, reduction, axis names) of each literal call, once each."""
    found = set()

    class Visit(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call):
            func = node.func
            name = func.value if isinstance(func, cst.Name) else (
                func.attr.value if isinstance(func, cst.Attribute) else None)
            if name not in NAMES or any(a.star for a in node.args):
                return
            layer = name[0].isupper()
            op = NAMES[name]
            positional = [a.value for a in node.args if a.keyword is None]
            keywords = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
            order = (["pattern"] if layer else ["tensor", "pattern"]) + (["reduction"] if op == "reduce" else [])
            given = dict(zip(order, positional))
            given.update({k: v for k, v in keywords.items() if k in order})
            pattern, reduction = given.get("pattern"), given.get("reduction")
            if not isinstance(pattern, cst.SimpleString):
                return
            if op == "reduce" and not isinstance(reduction, cst.SimpleString):
                return
            axes = tuple(sorted(k for k in keywords if k not in order))
            found.add((op, pattern.evaluated_value, reduction.evaluated_value if reduction else None, axes))

    for path in sorted(folder.rglob("*.py")):
        try:
            cst.parse_module(path.read_text(encoding="utf-8")).visit(Visit())
        except (cst.ParserSyntaxError, UnicodeDecodeError):
            continue
    return sorted(found, key=str)


def lengths_for(pattern: str, ellipsis_dims: int):
    """Input shape and the length of every named axis, small and distinct where possible."""
    from einops.parsing import ParsedExpression, _ellipsis

    left_text, right_text = pattern.split("->")
    left, right = ParsedExpression(left_text), ParsedExpression(right_text)
    names = sorted(str(a) for a in left.identifiers | right.identifiers if isinstance(a, str) and a != _ellipsis)
    length = {n: 2 + (i % 3) for i, n in enumerate(names)}
    shape = []
    for group in left.composition:
        if group == _ellipsis:
            shape += [2 + (k % 2) for k in range(ellipsis_dims)]
            continue
        size = 1
        for axis in group:
            size *= length[axis] if isinstance(axis, str) else axis.value
        shape.append(size)
    return tuple(shape), length, left.has_ellipsis


def main(folder: str) -> int:
    import einops
    import mindspore as ms
    import torch
    from mindspore import mint

    from torch2ms import cpu_fallback
    from torch2ms.convert.rules.einops import Unsupported, write_function

    agree = differ = rejected = 0
    found = calls(Path(folder))
    with cpu_fallback.enabled():
        for op, pattern, reduction, axes in found:
            try:
                text = write_function(op, pattern, reduction, axes, "written", "mint", "math.prod")
            except Unsupported as exc:
                rejected += 1
                print(f"marked   {op} {pattern!r}: {exc}")
                continue
            ns = {"mint": mint, "math": __import__("math")}
            exec(text, ns)
            has_ellipsis = lengths_for(pattern, 0)[2]
            for dims in ((0, 1, 2) if has_ellipsis else (0,)):
                shape, length, _ = lengths_for(pattern, dims)
                kw = {a: length[a] for a in axes}
                x = np.random.default_rng(len(shape)).integers(-4, 5, size=shape).astype(np.float32)
                args = (reduction,) if reduction else ()
                try:
                    want = getattr(einops, op)(torch.from_numpy(x.copy()), pattern, *args, **kw).numpy()
                except einops.EinopsError:
                    continue  # the lengths chosen here do not fit the pattern
                got = ns["written"](ms.Tensor(x.copy()), **kw).asnumpy()
                if got.shape == want.shape and got.dtype == want.dtype and np.array_equal(got, want):
                    agree += 1
                else:
                    differ += 1
                    print(f"DIFFERS  {op} {pattern!r} {reduction or ''} {kw} input {shape}")
    print(f"{len(found)} distinct calls: {agree} runs equal to einops, {differ} differ, "
          f"{rejected} patterns marked")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
