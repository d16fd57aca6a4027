"""Golden cases of devices_dtypes, autograd, train_eval, seeds, attention and training_loop."""

import pytest

CASES = [
    ("dtypes_and_typed_tensors", """\
        import torch
        from typing import Optional


        def f(x: Optional[torch.FloatTensor], d=torch.bfloat16):
            return x.to(torch.long), torch.bool, isinstance(x, torch.LongTensor)
        """, """\
        import mindspore as ms
        from typing import Optional


        def f(x: Optional[ms.Tensor], d=ms.bfloat16):
            return x.to(ms.int64), ms.bool_, isinstance(x, ms.Tensor)
        """),
    ("no_grad_block_is_dropped_keeping_comments", """\
        import torch


        def f(x):
            # before
            with torch.no_grad():  # why
                y = torch.tanh(x)
                # inside
                z = y
            return z
        """, """\
        from mindspore import mint


        def f(x):
            # before
            # why
            y = mint.tanh(x)
            # inside
            z = y
            return z
        """),
    ("no_grad_decorator_and_other_with_items", """\
        import torch


        @torch.no_grad()
        def f(path):
            with torch.no_grad(), open(path) as fh:
                return fh.read()
        """, """\
        def f(path):
            with open(path) as fh:
                return fh.read()
        """),
    ("detach", """\
        import torch
        y = torch.zeros(2).detach()
        """, """\
        from mindspore import mint, ops
        y = ops.stop_gradient(mint.zeros(2))
        """),
    ("train_eval_on_known_modules", """\
        from torch import nn


        class Net(nn.Module):
            def freeze(self):
                self.eval()


        model = Net()
        model.train()
        model.train(False)
        """, """\
        from mindspore import nn


        class Net(nn.Cell):
            def freeze(self):
                self.set_train(False)


        model = Net()
        model.set_train(True)
        model.set_train(False)
        """),
    ("train_eval_on_receivers_named_like_models", """\
        def evaluate(model, batches):
            model.eval()
            self.encoder.train()
        """, """\
        def evaluate(model, batches):
            model.set_train(False)
            self.encoder.set_train(True)
        """),
    ("seeds", """\
        import torch
        torch.manual_seed(0)
        torch.cuda.manual_seed_all(0)
        """, """\
        import mindspore as ms
        ms.set_seed(0)
        """),
]

NO_CHANGE = [
    ("train_of_another_library", """\
        trainer.train(resume_from_checkpoint=path)
        """),
]


@pytest.mark.parametrize("name,before,after", CASES, ids=[c[0] for c in CASES])
def test_converts(converts, name, before, after):
    converts(before, after)


@pytest.mark.parametrize("name,code", NO_CHANGE, ids=[c[0] for c in NO_CHANGE])
def test_leaves_look_alikes(converts, name, code):
    converts(code, code)


@pytest.mark.parametrize("code,expected", [
    ("import torch.nn.functional as F\ny = F.scaled_dot_product_attention(q, k, v)\n",
     "no mint counterpart in MindSpore 2.10: write softmax(q @ k.transpose(-2, -1)"),
    ("import torch\ndev = torch.device('cuda')\n", "MindSpore has no per-tensor device"),
    ("from torch.utils.data import DataLoader\ndl = DataLoader(ds, batch_size=2)\n",
     "mindspore.dataset.GeneratorDataset(source"),
    ("import torch\ntorch.save(model.state_dict(), 'm.pt')\n", "mindspore.save_checkpoint"),
    ("import torch\nloss = torch.zeros(1)\nloss.backward()\n", "mindspore.value_and_grad"),
    ("optimizer.zero_grad()\n", "optimizer(grads)"),
    ("import torch\nwith torch.autocast('cuda'):\n    pass\n", "auto_mixed_precision"),
    ("import torch\ntorch.backends.cudnn.deterministic = True\n", "deterministic='ON'"),
    ("import torch\nctx = torch.no_grad()\n", "outside a `with` or a decorator"),
    ("runner.eval()\n", "receiver type unknown"),
])
def test_flags_with_precise_notes(convert_code, code, expected):
    result = convert_code(code)
    todo_lines = [line for line in result.code.splitlines() if "# TODO(torch2ms):" in line]
    assert any(expected in line for line in todo_lines), result.code
    assert convert_code(result.code).code == result.code
