"""How table entries are applied: rename, positional binding, drop, defaults, unsupported."""

import pytest

CASES = [
    ("rename_keyword_keep_positionals", """\
        import torch
        a = torch.clamp(x, 0, 1)
        b = torch.clamp(x, min=0, max=1)
        """, """\
        from mindspore import mint
        a = mint.clamp(x, 0, 1)
        b = mint.clamp(x, min_value=0, max=1)
        """),
    ("defaults_passed_explicitly_when_relied_on", """\
        import torch
        a = torch.cumsum(x, 0)
        b = torch.cumsum(x, 0, dtype=torch.float32)
        """, """\
        import mindspore as ms
        from mindspore import mint
        a = mint.cumsum(x, 0, dtype=None)
        b = mint.cumsum(x, 0, dtype=ms.float32)
        """),
    ("drop_silent_and_none", """\
        import torch
        a = torch.zeros(2, 3, pin_memory=True)
        b = torch.zeros(2, device=None)
        """, """\
        from mindspore import mint
        a = mint.zeros(2, 3)
        b = mint.zeros(2)
        """),
    ("drop_positional_shifts_to_keywords", """\
        from torch import nn
        layer = nn.Linear(2, 3, True, "cuda", None)
        """, """\
        from mindspore import mint
        layer = mint.nn.Linear(2, 3, True, dtype=None)  # TODO(torch2ms): torch.nn.Linear: argument `device` dropped, MindSpore has no counterpart; check the behaviour
        """),
    ("pack_variadic_sizes_into_a_tuple", """\
        import torch
        a = torch.ones(2, 3, dtype=d)
        b = torch.ones((2, 3))
        c = torch.ones(4)
        """, """\
        from mindspore import mint
        a = mint.ones((2, 3), dtype=d)
        b = mint.ones((2, 3))
        c = mint.ones(4)
        """),
    ("trailing_comma_of_a_dropped_argument", """\
        import torch
        y = torch.zeros(
            2,
            pin_memory=True,
        )
        """, """\
        from mindspore import mint
        y = mint.zeros(
            2,
            )
        """),
]


@pytest.mark.parametrize("name,before,after", CASES, ids=[c[0] for c in CASES])
def test_converts(converts, name, before, after):
    converts(before, after)


def test_dropped_argument_is_flagged(convert_code):
    result = convert_code("import torch\ny = torch.cat([a, b], 0, out=c)\n")
    assert result.code == ("from mindspore import mint\ny = mint.cat([a, b], 0)  # TODO(torch2ms): "
                           "torch.cat: argument `out` dropped, MindSpore has no counterpart; "
                           "check the behaviour\n")
    assert (result.found, result.converted, result.flagged) == (1, 0, 1)


def test_unsupported_argument_blocks_the_conversion(convert_code):
    result = convert_code("import torch\ny = torch.zeros(2, requires_grad=True)\n")
    assert "y = torch.zeros(2, requires_grad=True)  # TODO(torch2ms): torch.zeros: argument " \
           "`requires_grad` is not supported: wrap in mindspore.Parameter" in result.code
    assert result.code.startswith("import torch  # TODO(torch2ms): torch import kept")


def test_null_target_is_flagged_with_its_note(convert_code):
    result = convert_code("import torch\nh = torch.histc(x)\nt = torch.tanh(x)\n")
    assert "h = torch.histc(x)  # TODO(torch2ms): torch.histc has no MindSpore counterpart: " \
           "no counterpart; use numpy.histogram" in result.code
    assert "t = mint.tanh(x)" in result.code
    assert (result.found, result.converted, result.flagged) == (2, 1, 1)


def test_star_arguments_are_converted_and_flagged(convert_code):
    result = convert_code("import torch\ny = torch.cat(*args, **kw)\n")
    assert "y = mint.cat(*args, **kw)  # TODO(torch2ms): torch.cat: arguments passed through" in result.code


def test_unmapped_name_is_flagged_and_keeps_torch(convert_code):
    result = convert_code("import torch\ny = torch.frobnicate(x)\n")
    assert result.code == ("import torch  # TODO(torch2ms): torch import kept for the flagged code "
                           "that still uses torch\ny = torch.frobnicate(x)  # TODO(torch2ms): "
                           "torch.frobnicate has no MindSpore mapping yet\n")


def test_plain_entries_apply_to_references(convert_code):
    result = convert_code("import torch\nfns = [torch.tanh, torch.cat]\n")
    assert "fns = [mint.tanh, mint.cat]" in result.code
