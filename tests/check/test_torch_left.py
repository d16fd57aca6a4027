"""Planted files: each torch idiom is caught on its line; comments and strings never count."""

import textwrap

import pytest

HEADER = "import mindspore\nfrom mindspore import mint, nn, ops\n"

# (name, body, code expected, line of the finding within the body, words in the message)
CAUGHT = [
    ("import", "import torch\n", "torch-import", 1, "torch"),
    ("import from", "from torch.nn import functional as F\n", "torch-import", 1, "torch.nn"),
    ("import in a function", "def f():\n    import torchvision\n    return 1\n", "torch-import", 2, "torchvision"),
    ("importlib", "import importlib\nm = importlib.import_module('torch.nn')\n", "torch-import", 2, "dynamically"),
    ("__import__", "t = __import__('torch')\n", "torch-import", 1, "dynamically"),
    ("importlib f-string", "import importlib\nname = 'nn'\nm = importlib.import_module(f'torch.{name}')\n",
     "torch-import", 3, "dynamically"),
    ("safetensors.torch", "from safetensors.torch import load_file\n", "torch-import", 1, "safetensors.torch"),
    ("HF model class", "from transformers import GPT2LMHeadModel\n", "torch-import", 1, "mindone.transformers"),
    ("name bound to torch", "import torch as th\nx = th.zeros(3)\n", "torch-name", 2, "torch.zeros"),
    ("torch used, import gone", "x = torch.ones(2)\n", "torch-name", 1, "torch.ones"),
    (".cuda()", "def f(x):\n    return x.cuda()\n", "torch-idiom", 2, ".cuda()"),
    (".backward()", "def f(loss):\n    loss.backward()\n", "torch-idiom", 2, ".backward()"),
    (".zero_grad()", "def f(opt):\n    opt.zero_grad()\n", "torch-idiom", 2, ".zero_grad()"),
    (".size()", "def f(x):\n    return x.size(0)\n", "torch-idiom", 2, ".shape"),
    ("nn.Module base", "class M(nn.Module):\n    pass\n", "torch-idiom", 1, "nn.Cell"),
    ("forward in a Cell", "class M(nn.Cell):\n    def forward(self, x):\n        return x\n", "torch-idiom", 2, "construct"),
    ("forward in a Cell subclass", "class A(nn.Cell):\n    def construct(self, x):\n        return x\n"
     "class B(A):\n    def forward(self, x):\n        return x\n", "torch-idiom", 5, "construct"),
    ("torch_dtype=", "def f(cls):\n    return cls.from_pretrained('x', torch_dtype=mindspore.float16)\n", "torch-idiom", 2, "mindspore_dtype"),
    ("device=", "def f(make):\n    return make(3, device='cuda')\n", "torch-idiom", 2, "device"),
    ("TODO marker", "x = 1  # TODO(torch2ms): check the dtype\n", "todo", 1, "check the dtype"),
    ("x.device.type", "def f(q):\n    return q.device.type == 'cuda'\n", "torch-idiom", 2, "device_target"),
    ("x.is_cuda", "def f(q):\n    return q.is_cuda\n", "torch-idiom", 2, ".is_cuda"),
    ("model.eval()", "def f(model):\n    model.eval()\n", "torch-idiom", 2, "set_train(False)"),
]

LEFT_ALONE = [
    ("comment", "# import torch; x.cuda(); loss.backward(); torch.zeros(3)\nx = 1\n"),
    ("string", "s = 'import torch; x.cuda(); torch.zeros(3); # TODO(torch2ms): no'\n"),
    ("docstring", 'def f():\n    """Like torch.nn.Module.forward; call .backward() in torch."""\n    return 1\n'),
    ("shape", "def f(x):\n    return x.shape[0]\n"),
    ("tokenizer stays on transformers", "from transformers import AutoTokenizer, GPT2Config\n"
     "tok = AutoTokenizer.from_pretrained('gpt2')\n"),
    ("mindone model", "from mindone.transformers import LlamaForCausalLM\n"),
    ("Model.eval(dataset)", "def f(model, ds):\n    return model.eval(ds)\n"),
    ("a metric read from a container or by getattr", "def f(self, stage):\n"
     "    return self.metrics['acc'].eval(), getattr(self, f'{stage}_acc').eval()\n"),
    ("construct and a forward helper", "class M(nn.Cell):\n    def construct(self, x):\n        return self.forward(x)\n"
     "    def forward(self, x):\n        return x\n"),
    ("a plain class with forward", "class Runner:\n    def forward(self, x):\n        return x\n"),
    ("local variable named like a package", "timm = 3\nprint(timm)\n"),
    ("an attribute called type or device elsewhere", "def f(cfg, t):\n    return cfg.type, t.device, cfg.model.type\n"),
]


@pytest.mark.parametrize("name,body,code,line,words", CAUGHT, ids=[c[0] for c in CAUGHT])
def test_catches(check, name, body, code, line, words):
    result = check(HEADER + body)
    hits = [f for f in result.findings if f.code == code and f.line == line + 2]
    assert hits, f"{name}: expected [{code}] on line {line + 2}, got {result.findings}"
    assert any(words in f.message for f in hits), hits
    assert result.verdict == "fail"


@pytest.mark.parametrize("name,body", LEFT_ALONE, ids=[c[0] for c in LEFT_ALONE])
def test_leaves_alone(check, name, body):
    result = check(HEADER + body)
    assert result.findings == [], result.findings
    assert result.verdict == "pass"


def test_counts_todo_markers_only_in_comments(check):
    source = HEADER + textwrap.dedent('''\
        a = 1  # TODO(torch2ms): first
        b = "# TODO(torch2ms): inside a string"
        # TODO(torch2ms): second, on its own line
        c = 3
    ''')
    result = check(source)
    assert result.todos == 2
    assert [f.line for f in result.findings if f.code == "todo"] == [3, 5]


def test_syntax_error_is_a_finding(check):
    result = check("def f(:\n    pass\n")
    assert [f.code for f in result.findings] == ["syntax"]
    assert result.findings[0].line == 1


def test_summary_counts_per_code(check):
    result = check(HEADER + "import torch\nx = torch.ones(1)\ny = x.cuda()\n")
    assert result.summary() == "fail: 1 torch-import, 1 torch-name, 1 torch-idiom"
