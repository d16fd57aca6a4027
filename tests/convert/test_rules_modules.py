"""Golden cases of the `modules` family: Cell, construct, containers, Parameter."""

import pytest

CASES = [
    ("module_and_forward", """\
        import torch
        from torch import nn


        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(2, 3)

            def forward(self, x):  # the forward pass
                return self.fc(x)
        """, """\
        from mindspore import mint, nn


        class Net(nn.Cell):
            def __init__(self):
                super().__init__()
                self.fc = mint.nn.Linear(2, 3)

            def construct(self, x):  # the forward pass
                return self.fc(x)
        """),
    ("subclass_of_local_module_and_self_forward", """\
        import torch.nn as nn


        class Base(nn.Module):
            def forward(self, x):
                return x


        class Child(Base):
            def forward(self, x):
                return super().forward(x) + self.forward(x)
        """, """\
        from mindspore import nn


        class Base(nn.Cell):
            def construct(self, x):
                return x


        class Child(Base):
            def construct(self, x):
                return super().construct(x) + self.construct(x)
        """),
    ("containers", """\
        from torch import nn
        blocks = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
        seq = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
        heads = nn.ModuleDict({"a": nn.Linear(2, 2)})
        """, """\
        from mindspore import mint, nn
        blocks = nn.CellList([mint.nn.Linear(2, 2) for _ in range(3)])
        seq = nn.SequentialCell(mint.nn.Linear(2, 2), mint.nn.Linear(2, 2))
        heads = nn.CellDict({"a": mint.nn.Linear(2, 2)})
        """),
    ("module_dict_holding_a_list_becomes_a_cell_built_before_attaching", """\
        from torch import nn


        class GPT(nn.Module):
            def __init__(self):
                super().__init__()
                # the trunk
                self.transformer = nn.ModuleDict(dict(
                    wte=nn.Linear(2, 2),
                    h=nn.ModuleList([nn.Linear(2, 2)]),
                ))
        """, """\
        from mindspore import mint, nn


        class GPT(nn.Cell):
            def __init__(self):
                super().__init__()
                # the trunk
                transformer_cell = nn.Cell()
                transformer_cell.wte = mint.nn.Linear(2, 2)
                transformer_cell.h = nn.CellList([mint.nn.Linear(2, 2)])
                self.transformer = transformer_cell
        """),
    ("parameter_requires_grad_becomes_keyword", """\
        import torch
        import torch.nn as nn
        w = nn.Parameter(torch.zeros(3), False)
        b = nn.Parameter(torch.zeros(3))
        """, """\
        import mindspore as ms
        from mindspore import mint
        w = ms.Parameter(mint.zeros(3), requires_grad=False)
        b = ms.Parameter(mint.zeros(3))
        """),
    ("isinstance_and_explicit_init", """\
        from torch import nn
        ok = isinstance(m, nn.Module)
        nn.Module.__init__(self)
        """, """\
        from mindspore import nn
        ok = isinstance(m, nn.Cell)
        nn.Cell.__init__(self)
        """),
    ("named_parameters_on_a_module", """\
        from torch import nn


        class Net(nn.Module):
            def count(self):
                return len(list(self.named_parameters()))
        """, """\
        from mindspore import nn


        class Net(nn.Cell):
            def count(self):
                return len(list(self.parameters_and_names()))
        """),
]

NO_CHANGE = [
    ("forward_outside_module", """\
        class Runner:
            def forward(self, x):
                return self.forward(x)
        """),
    ("parameters_of_other_objects", """\
        def f(cfg):
            return cfg.parameters()
        """),
    ("no_torch_at_all", """\
        import numpy as np
        x = np.zeros(3)
        """),
]


@pytest.mark.parametrize("name,before,after", CASES, ids=[c[0] for c in CASES])
def test_converts(converts, name, before, after):
    converts(before, after)


@pytest.mark.parametrize("name,code", NO_CHANGE, ids=[c[0] for c in NO_CHANGE])
def test_leaves_look_alikes(converts, name, code):
    converts(code, code)


def test_module_dict_in_an_expression_is_flagged(convert_code):
    result = convert_code("""\
        from torch import nn
        make(nn.ModuleDict({"h": nn.ModuleList([])}))
        """)
    assert "# TODO(torch2ms): nn.ModuleDict holding a ModuleList" in result.code
    assert "nn.CellDict(" not in result.code
