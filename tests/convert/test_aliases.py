"""Every way of importing torch resolves to the same qualified names."""

import pytest

ALIASES = [
    ("import torch as t\ny = t.tanh(x)\n", "from mindspore import mint\ny = mint.tanh(x)\n"),
    ("import torch.nn.functional as F\ny = F.relu(x)\n",
     "from mindspore import mint\ny = mint.nn.functional.relu(x)\n"),
    ("from torch.nn import functional as F, Linear\ny = F.relu(Linear(2, 3)(x))\n",
     "from mindspore import mint\ny = mint.nn.functional.relu(mint.nn.Linear(2, 3)(x))\n"),
    ("from torch import nn\ny = nn.functional.relu(x)\n",
     "from mindspore import mint\ny = mint.nn.functional.relu(x)\n"),
    ("import torch.nn\ny = torch.nn.Linear(2, 3)\n", "from mindspore import mint\ny = mint.nn.Linear(2, 3)\n"),
    ("from torch import tanh as th\ny = th(x)\n", "from mindspore import mint\ny = mint.tanh(x)\n"),
    ("def f(x):\n    import torch\n    return torch.tanh(x)\n",
     "from mindspore import mint\ndef f(x):\n    return mint.tanh(x)\n"),
    ("def f(x):\n    from torch.nn import functional as F\n    return F.softmax(x, 1)\n",
     "from mindspore import mint\ndef f(x):\n    return mint.nn.functional.softmax(x, 1)\n"),
]


@pytest.mark.parametrize("before,after", ALIASES)
def test_alias_resolves(converts, before, after):
    converts(before, after)


def test_shadowed_name_is_not_torch(converts):
    code = "import torch\n\n\ndef f(torch):\n    return torch.tanh(1)\n"
    converts(code, "\n\ndef f(torch):\n    return torch.tanh(1)\n".lstrip("\n"))


def test_local_import_kept_when_still_used_elsewhere(convert_code):
    result = convert_code("""\
        def f(x):
            import torch
            return torch.frobnicate(x), torch.tanh(x)
        """)
    assert "    import torch  # TODO(torch2ms): torch import kept" in result.code
    assert "mint.tanh(x)" in result.code
