"""einops calls written out with mint give einops' results on torch, exactly.

Each case is one einops expression on an input `x`: the torch side runs it with einops, the
converter turns the file into MindSpore code (no einops left), which runs under the CPU fallback
on the same numbers; values, shapes and dtypes must be equal. The inputs hold small integers, so
sums and means are exact in any order and "equal" means equal.
"""

import sys
import textwrap

import numpy as np
import pytest

from torch2ms.convert.engine import convert_source

TEMPLATE = """\
from torch import nn
from einops import rearrange, repeat, reduce
from einops.layers.torch import Rearrange, Reduce


def run(x):
    return {expr}
"""

# name -> (expression on x, input shape, dtype)
CASES = {
    # rearrange: permutations, groups, ellipsis, anonymous unit axes
    "transpose": ("rearrange(x, 'b c h w -> b h w c')", (2, 3, 4, 5)),
    "split_heads": ("rearrange(x, 'b n (h d) -> b h n d', h=4)", (2, 3, 8)),
    "merge_heads": ("rearrange(x, 'b h n d -> b n (h d)')", (2, 4, 3, 2)),
    "patchify": ("rearrange(x, 'b c (h p1) (w p2) -> b (h w) (p1 p2 c)', p1=2, p2=3)", (2, 3, 4, 6)),
    "unpatchify": ("rearrange(x, 'b (h w) (p1 p2 c) -> b c (h p1) (w p2)', h=2, p1=2, p2=3)", (2, 4, 18)),
    "group_both_lengths": ("rearrange(x, 'b (h d) -> d b h', h=2, d=4)", (3, 8)),
    "flatten_group": ("rearrange(x, 'b c h w -> b (c h w)')", (2, 3, 4, 5)),
    "identity": ("rearrange(x, 'b n -> b n')", (2, 3)),
    "ellipsis_move": ("rearrange(x, 'b ... d -> b d ...')", (2, 3, 4, 5)),
    "ellipsis_empty": ("rearrange(x, 'b ... d -> b d ...')", (2, 5)),
    "ellipsis_split_last": ("rearrange(x, '... (h d) -> ... h d', h=2)", (2, 3, 8)),
    "ellipsis_grouped": ("rearrange(x, 'b ... -> b (...)')", (2, 3, 4, 5)),
    "ellipsis_grouped_with_axis": ("rearrange(x, 'b ... d -> (... d) b')", (2, 3, 4)),
    "unit_axis_dropped": ("rearrange(x, 'b 1 n -> b n')", (3, 1, 4)),
    "unit_axes_added": ("rearrange(x, 'b n -> b 1 n 1')", (3, 4)),
    "empty_parens": ("rearrange(x, 'b () n -> n b ()')", (3, 1, 4)),
    # repeat: new axes, repeated groups, anonymous lengths
    "repeat_new_last": ("repeat(x, 'h w -> h w c', c=3)", (2, 4)),
    "repeat_new_first": ("repeat(x, 'n d -> b n d', b=2)", (3, 4)),
    "repeat_tile_rows": ("repeat(x, 'b n -> (r b) n', r=3)", (2, 4)),
    "repeat_upsample": ("repeat(x, 'h w -> (h 2) (w 3)')", (2, 4)),
    "repeat_cls_token": ("repeat(x, '1 n d -> b n d', b=2)", (1, 1, 4)),
    "repeat_ellipsis": ("repeat(x, '... -> ... r', r=2)", (2, 3)),
    "repeat_permute": ("repeat(x, 'a b -> b c a', c=2)", (2, 3)),
    # reduce: mean, sum, max, min (and prod, any, all)
    "mean_pool": ("reduce(x, 'b c h w -> b c', 'mean')", (2, 3, 4, 2)),
    "sum_tokens": ("reduce(x, 'b n d -> b d', 'sum')", (2, 3, 4)),
    "max_all_but_channel": ("reduce(x, 'b c h w -> c', 'max')", (2, 3, 4, 5)),
    "min_keep_dims": ("reduce(x, 'b c h w -> b c 1 1', 'min')", (2, 3, 4, 5)),
    "max_pool_anonymous": ("reduce(x, 'b (h 2) (w 2) c -> b h w c', 'max')", (2, 4, 6, 3)),
    "mean_pool_lengths": ("reduce(x, 'b (h h2) (w w2) c -> b h w c', 'mean', h2=2, w2=2)", (2, 4, 6, 3)),
    "sum_ellipsis": ("reduce(x, 'b ... -> b', 'sum')", (2, 3, 4)),
    "mean_then_permute": ("reduce(x, 'b n d -> d b', 'mean')", (2, 4, 3)),
    "mean_grouped_output": ("reduce(x, 'b n d -> (d b)', 'mean')", (2, 4, 3)),
    "prod": ("reduce(x, 'b n d -> b', 'prod')", (2, 2, 3)),
    "any": ("reduce(x > 2, 'b n d -> b d', 'any')", (2, 3, 4)),
    "all": ("reduce(x > -3, 'b n d -> n', 'all')", (2, 3, 4)),
    # keyword forms
    "keywords": ("reduce(tensor=x, pattern='b n d -> b d', reduction='max')", (2, 3, 4)),
    # layers in an nn.Sequential
    "layers_sequential": ("nn.Sequential(Rearrange('b c h w -> b (h w) c'), Reduce('b n c -> b c', 'max'))(x)",
                          (2, 3, 4, 5)),
    "layers_lengths": ("nn.Sequential(Rearrange('b c (h p1) (w p2) -> b (h w) (p1 p2 c)', p1=2, p2=2), "
                       "Reduce('b n d -> b d', 'mean'))(x)", (2, 3, 4, 4)),
    "layer_repeated_use": ("nn.Sequential(Rearrange('b n d -> b d n'), Rearrange('b n d -> b d n'))(x)",
                           (2, 3, 4)),
}


def source(name: str) -> str:
    return TEMPLATE.format(expr=CASES[name][0])


def data(shape) -> np.ndarray:
    rng = np.random.default_rng(sum(shape))
    return rng.integers(-4, 5, size=shape).astype(np.float32)


@pytest.fixture(scope="module", autouse=True)
def cpu_fallback():
    from torch2ms import cpu_fallback

    with cpu_fallback.enabled():
        yield


@pytest.mark.parametrize("name", sorted(CASES))
def test_converted_call_equals_einops_on_torch(name):
    import mindspore as ms
    import torch

    code = source(name)
    result = convert_source(code)
    assert "TODO(torch2ms)" not in result.code, result.code
    imports = [line for line in result.code.splitlines() if line.startswith(("import ", "from "))]
    assert not [line for line in imports if "torch" in line or "einops" in line], result.code
    assert result.found == result.converted and result.flagged == 0, result.code
    x = data(CASES[name][1])
    ns: dict = {}
    exec(compile(code, "<einops case>", "exec"), ns)
    want = ns["run"](torch.from_numpy(x.copy())).numpy()
    ns = {}
    exec(compile(result.code, "<converted case>", "exec"), ns)
    got = ns["run"](ms.Tensor(x.copy()))
    assert isinstance(got, ms.Tensor), type(got)
    got = got.asnumpy()
    assert got.shape == want.shape and got.dtype == want.dtype, (got.shape, want.shape, got.dtype, want.dtype)
    np.testing.assert_array_equal(got, want)


# ------------------------------------------------------------------ the written source
BEFORE_AFTER = [
    (
        """\
        from einops import rearrange


        def heads(q, n_heads):
            return rearrange(q, "b n (h d) -> b h n d", h=n_heads)
        """,
        '''\
        from mindspore import mint


        def einops_rearrange_1(x, h):
            """einops.rearrange(x, "b n (h d) -> b h n d", h=h), written with mint."""
            b, n, h_d = x.shape
            x = mint.reshape(x, (b, n, h, h_d // h))
            return mint.permute(x, (0, 2, 1, 3))


        def heads(q, n_heads):
            return einops_rearrange_1(q, h=n_heads)
        ''',
    ),
    (
        """\
        import einops


        def pool(x, y):
            a = einops.reduce(x, "b c h w -> b c", "mean")
            b = einops.reduce(y, "b c h w -> b c", "mean")
            return a, einops.repeat(b, "b c -> b c k", k=2)
        """,
        '''\
        from mindspore import mint


        def einops_reduce_1(x):
            """einops.reduce(x, "b c h w -> b c", "mean"), written with mint."""
            return mint.mean(x, dim=(2, 3))


        def einops_repeat_1(x, k):
            """einops.repeat(x, "b c -> b c k", k=k), written with mint."""
            x = mint.unsqueeze(x, 2)
            return mint.broadcast_to(x, (-1, -1, k))


        def pool(x, y):
            a = einops_reduce_1(x)
            b = einops_reduce_1(y)
            return a, einops_repeat_1(b, k=2)
        ''',
    ),
    (
        """\
        from einops import rearrange


        def einops_rearrange_1(x):
            return x


        def tokens(x):
            return rearrange(x, "b ... d -> b (...) d")
        """,
        '''\
        import math
        from mindspore import mint


        def einops_rearrange_2(x):
            """einops.rearrange(x, "b ... d -> b (...) d"), written with mint."""
            b, ellipsis, d = x.shape[0], x.shape[1:-1], x.shape[-1]
            return mint.reshape(x, (b, math.prod(ellipsis), d))


        def einops_rearrange_1(x):
            return x


        def tokens(x):
            return einops_rearrange_2(x)
        ''',
    ),
    (
        """\
        from torch import nn
        from einops.layers.torch import Rearrange


        class Patches(nn.Module):
            def __init__(self, p):
                super().__init__()
                self.net = nn.Sequential(Rearrange("b c (h p) (w q) -> b (h w) (p q c)", p=p, q=p))
        """,
        '''\
        from mindspore import mint, nn


        def einops_rearrange_1(x, p, q):
            """einops.rearrange(x, "b c (h p) (w q) -> b (h w) (p q c)", p=p, q=q), written with mint."""
            b, c, h_p, w_q = x.shape
            x = mint.reshape(x, (b, c, h_p // p, p, w_q // q, q))
            x = mint.permute(x, (0, 2, 4, 3, 5, 1))
            return mint.reshape(x, (b, h_p // p * (w_q // q), p * q * c))


        class EinopsRearrange1(nn.Cell):
            """einops.layers.torch.Rearrange("b c (h p) (w q) -> b (h w) (p q c)"), written with mint."""

            def __init__(self, **axes_lengths):
                super().__init__()
                self.axes_lengths = axes_lengths

            def construct(self, x):
                return einops_rearrange_1(x, **self.axes_lengths)


        class Patches(nn.Cell):
            def __init__(self, p):
                super().__init__()
                self.net = nn.SequentialCell(EinopsRearrange1(p=p, q=p))
        ''',
    ),
]


@pytest.mark.parametrize("before, after", BEFORE_AFTER, ids=["split_heads", "reduce_repeat", "name_taken", "layer"])
def test_written_source(converts, before, after):
    converts(before, after)


NO_CHANGE = [
    # a project's own rearrange, a method of that name, a string that looks like a pattern
    """\
    def rearrange(x, pattern):
        return x


    y = rearrange(x, "b c -> c b")
    """,
    """\
    from mylib import rearrange, reduce

    y = reduce(rearrange(x, "b c -> c b"), "c b -> c", "sum")
    """,
    """\
    z = x.rearrange("b c -> c b")
    pattern = "b n (h d) -> b h n d"
    """,
    """\
    import numpy as np

    y = np.einsum("ij,jk->ik", a, b)
    """,
]


@pytest.mark.parametrize("code", NO_CHANGE)
def test_no_change(converts, code):
    converts(code, code)


# ------------------------------------------------------------------ what is marked
MARKED = {
    "pattern_variable": ("rearrange(x, pattern)", "the pattern is not a string literal"),
    "f_string": ("rearrange(x, f'b {a} -> {a} b')", "the pattern is not a string literal"),
    "callable_reduction": ("reduce(x, 'b n -> b', torch.logsumexp)", "a callable or a variable"),
    "list_input": ("rearrange([x, x], 'n b c -> b n c')", "mint.stack"),
    "unpacked_lengths": ("rearrange(x, 'b (h d) -> b h d', **lengths)", "unpacked"),
    "rejected": ("rearrange(x, 'b c -> b c d')", "einops rejects the pattern: Identifiers only on one side"),
    "axis_named_mint": ("rearrange(x, 'mint c -> c mint')", "rename the axis"),
    "einsum": ("einops.einsum(x, y, 'b i d, b j d -> b i j')", 'mint.einsum("bid,bjd->bij"'),
    "pack": ("einops.pack([x, y], 'b * c')", "mint.cat"),
    "unpack": ("einops.unpack(x, ps, 'b * c')", "mint.split"),
    "einmix": ("EinMix('b n d -> b n e', weight_shape='d e', d=4, e=4)", "mint.nn.Linear"),
}


@pytest.mark.parametrize("name", sorted(MARKED))
def test_marked(name):
    expr, why = MARKED[name]
    code = textwrap.dedent(f"""\
        import torch
        import einops
        from einops import rearrange, reduce
        from einops.layers.torch import EinMix


        def run(x, y, pattern, lengths, ps):
            return {expr}
        """)
    result = convert_source(code)
    marker = next(line for line in result.code.splitlines() if line.strip().startswith("return"))
    assert why in marker, marker
    assert result.flagged >= 1 and result.converted == 0, (result.found, result.converted, result.flagged)
    assert "einops_" not in result.code  # nothing written for it


def test_without_einops_every_call_is_marked(monkeypatch):
    for name in {"einops", "einops.einops", "einops.parsing", *[m for m in sys.modules if m.startswith("einops.")]}:
        monkeypatch.setitem(sys.modules, name, None)
    code = source("layers_lengths") + "\n\ndef two(x):\n    return rearrange(x, 'a b -> b a'), reduce(x, 'a b -> a', 'sum')\n"
    result = convert_source(code)
    markers = [line for line in result.code.splitlines() if "einops is not installed" in line]
    assert len(markers) == 4 and result.flagged == 4, result.code
    assert result.converted == 1, result.code  # nn.Sequential only
    assert "from einops import" in result.code and "def einops_" not in result.code


def test_another_einops_is_marked_not_a_crash(monkeypatch):
    """torch2ms reads patterns with einops 0.8's recipe functions: one without them is named."""
    import einops.einops

    monkeypatch.delattr(einops.einops, "_reconstruct_from_shape_uncached")
    result = convert_source("from einops import rearrange\n\ny = rearrange(x, 'a b -> b a')\n")
    assert result.error is None and result.flagged == 1 and result.converted == 0, result.code
    assert "not the one torch2ms reads patterns with" in result.code


def test_every_mint_name_in_the_table_exists(resolve_dotted):
    """The functions the written code calls and the markers name exist in the installed MindSpore."""
    import re

    from torch2ms.convert.rules import einops as rules

    names = {spec["to"] for spec in rules.REDUCTIONS.values()}
    for value in [*rules._DATA["notes"].values(), *(v for v in rules._DATA.values() if isinstance(v, str))]:
        names |= {"mindspore." + n for n in re.findall(r"\b(mint(?:\.[A-Za-z_][A-Za-z0-9_]*)+)", value)}
    names = {n for n in names if not n.endswith(".mint")}
    names |= {"mindspore.mint.reshape", "mindspore.mint.permute", "mindspore.mint.unsqueeze",
              "mindspore.mint.broadcast_to", "math.prod"}
    assert len(names) > 15, names
    for name in sorted(names):
        resolve_dotted(name)
