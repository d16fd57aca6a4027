"""What counts as torch-ecosystem code, per file: imports in every form, nothing in text."""

from __future__ import annotations

import subprocess
import sys

import pytest

from torch2ms.scan import detect
from torch2ms.scan.config import ScanConfig
from torch2ms.scan.detect import Facts, analyse_source


def facts(src: str, name="x.py", config=None) -> Facts:
    return analyse_source(src, Facts(name), config or ScanConfig.load())


@pytest.mark.parametrize("src, libs", [
    ("import torch\n", ["torch"]),
    ("import torch.nn as nn\n", ["torch"]),
    ("from torch.utils.data import DataLoader\n", ["torch"]),
    ("def f():\n    import torchvision\n", ["torchvision"]),
    ("class A:\n    def m(self):\n        from transformers import AutoModel\n", ["transformers"]),
    ("try:\n    import flash_attn\nexcept ImportError:\n    pass\n", ["flash_attn"]),
    ("m = __import__('timm')\n", ["timm"]),
    ("import importlib\nacc = importlib.import_module('accelerate.utils')\n", ["accelerate"]),
    ("from importlib import import_module\nimport_module('peft')\n", ["peft"]),
    ("from safetensors.torch import load_file\n", ["safetensors.torch"]),
    ("from safetensors import torch as st\n", ["safetensors.torch"]),
    ("import lightning as L, deepspeed\n", ["deepspeed", "lightning"]),
    ("import pytorch_lightning\nimport xformers.ops\nimport vllm\nimport sglang\nimport trl\n",
     ["pytorch_lightning", "sglang", "trl", "vllm", "xformers"]),
    ("import diffusers, torchaudio, torchtext, torchmetrics\n",
     ["diffusers", "torchaudio", "torchmetrics", "torchtext"]),
    ("from onnxruntime.training import ORTModule\nimport torch_xla.core.xla_model as xm\n",
     ["onnxruntime.training", "torch_xla"]),
    ("from onnxruntime.training.ortmodule import ORTModule\nimport torch_npu, colossalai, fairscale, apex\n",
     ["apex", "colossalai", "fairscale", "onnxruntime.training", "torch_npu"]),
    ("import horovod.torch as hvd\nfrom megatron.core import parallel_state\nimport intel_extension_for_pytorch\n",
     ["horovod.torch", "intel_extension_for_pytorch", "megatron"]),
])
def test_imports_in_every_form(src, libs):
    assert facts(src).torch_libs == libs


@pytest.mark.parametrize("src", [
    "# import torch\nx = 1\n",
    "'''\nimport torch\n'''\n",
    "s = 'import torch'\nprint('uses torch, transformers and timm')\n",
    "import safetensors\nimport numpy as np\nimport torchlike\n",
    "import onnxruntime\nimport horovod.tensorflow\nimport optimum\n",  # not their torch parts
    "from .torch import helper\n",  # a relative import is project-local
    "torch = 3\nx = torch + 1\n",
    "name = 'torch'\nmod = __import__(name)\n",  # not a literal: cannot be known statically
])
def test_words_and_look_alikes_do_not_count(src):
    assert facts(src).torch_libs == []


def test_mindspore_is_told_apart():
    f = facts("import mindspore\nfrom mindspore import mint\nimport mindone.transformers\n")
    assert (f.torch_libs, f.ms_libs) == ([], ["mindone", "mindspore"])


def test_python2_goes_through_the_token_fallback():
    src = ("import torch\nimport os  # import timm\nprint 'training'\nx = 'import vllm'\n"
           "class Net(torch.nn.Module):\n    pass\n")
    f = facts(src)
    assert f.parsed is False
    assert f.torch_libs == ["torch"]
    assert f.category == "Modeling" and f.evidence[0].startswith("defines 1 nn.Module subclass (Net)")
    assert "Python 2" in f.warnings[0]


def test_fallback_when_even_tokenizing_fails():
    src = "import torch\nfrom torchvision import models\ndef f(:\n    x = '''unterminated\n"
    f = facts(src)
    assert not f.parsed and f.torch_libs == ["torch", "torchvision"]


def test_user_packages_extend_the_list(tmp_path):
    (tmp_path / "torch2ms-ecosystem.yaml").write_text("torch:\n  - my_torch_ext\nmindspore:\n  - my_ms_ext\n")
    config = ScanConfig.load(tmp_path, extra_torch=["other_ext"])
    f = facts("import my_torch_ext.layers\nimport other_ext\nimport my_ms_ext\n", config=config)
    assert f.torch_libs == ["my_torch_ext", "other_ext"] and f.ms_libs == ["my_ms_ext"]
    assert facts("import my_torch_ext\n").torch_libs == []  # the defaults alone do not know it


@pytest.mark.parametrize("src, category, evidence", [
    ("import torch.nn as nn\nclass A(nn.Module): pass\nclass B(A): pass\nclass C(nn.Module): pass\n",
     "Modeling", "defines 3 nn.Module subclasses (A, B, C)"),
    ("from transformers import LlamaPreTrainedModel\nclass M(LlamaPreTrainedModel): pass\n",
     "Modeling", "defines 1 nn.Module subclass (M)"),
    ("from torch.utils.data import Dataset\nclass Chars(Dataset):\n    pass\n",
     "Data", "subclasses Dataset (Chars)"),
    ("import torch\nloader = torch.utils.data.DataLoader(ds, batch_size=4)\n",
     "Data", "calls torch.utils.data.DataLoader()"),
    ("import torch\nfor x, y in loader:\n    loss = crit(model(x), y)\n    loss.backward()\n    optimizer.step()\n",
     "Training", "calls loss.backward() and optimizer.step()"),
    ("import torch\nfrom transformers import Trainer\nTrainer(model=m).train()\n",
     "Training", "calls Trainer()"),
    ("import torch\nmodel.eval()\nwith torch.no_grad():\n    out = model.generate(ids, max_new_tokens=5)\n",
     "Inference", "calls model.generate under no_grad"),
    ("import torch\n@torch.inference_mode()\ndef run(m, x):\n    return m.generate(x)\n",
     "Inference", "calls m.generate under inference_mode"),
    ("from transformers import pipeline\np = pipeline('text-generation')\n",
     "Inference", "calls pipeline()"),
    ("import torch\ndef swish(x):\n    return x * torch.sigmoid(x)\n",
     "Utility", "no model class, data set, data pipeline, training or inference found: "
     "Utility (helpers; no parity spec needed)"),
    # a corpus reader: no model class, no Dataset subclass, so no parity spec is asked for
    ("import os\nimport torch\nclass Dictionary(object):\n    pass\nclass Corpus(object):\n"
     "    def tokenize(self, path):\n        return torch.tensor([1, 2]).type(torch.int64)\n",
     "Utility", "no model class, data set, data pipeline, training or inference found: "
     "Utility (helpers; no parity spec needed)"),
    # any nn.* class is a model base, also imported by name, however deep the namespace
    ("import torch.nn as nn\nclass M(nn.Transformer):\n    pass\n", "Modeling", "defines 1 nn.Module subclass (M)"),
    ("import torch\nclass R(torch.nn.LSTM):\n    pass\n", "Modeling", "defines 1 nn.Module subclass (R)"),
    ("from torch.nn import TransformerEncoderLayer as TEL\nclass L(TEL):\n    pass\n",
     "Modeling", "defines 1 nn.Module subclass (L)"),
    ("from mindspore import mint\nimport torch\nclass Lin(mint.nn.Linear):\n    pass\n",
     "Modeling", "defines 1 nn.Module subclass (Lin)"),
    ("import torch.nn as nn\nclass P(nn.Parameter):\n    pass\n", "Utility",
     "no model class, data set, data pipeline, training or inference found: Utility (helpers; no parity spec needed)"),
    # a LightningDataModule is a data pipeline, not a Dataset: the model decides
    ("import torch.nn as nn\nimport lightning as L\nclass Net(L.LightningModule):\n    pass\n"
     "class DM(L.LightningDataModule):\n    pass\n", "Modeling", "defines 1 nn.Module subclass (Net)"),
    ("import lightning as L\nclass DM(L.LightningDataModule):\n    pass\n", "Data", "defines a data module (DM)"),
    # a sampling script: loads a trained model and samples from it, no training step
    ("import torch\ndef generate(decoder, inp, h):\n    out, h = decoder(inp, h)\n"
     "    return torch.multinomial(out.exp(), 1)[0]\nif __name__ == '__main__':\n"
     "    decoder = torch.load(path)\n    print(generate(decoder, x, None))\n",
     "Inference", "loads a model (torch.load()) and samples from it (torch.multinomial()) without a training step"),
    ("import torch\nnet.load_state_dict(torch.load(p))\nprint(net(x).argmax(-1))\n",
     "Inference", "loads a model (torch.load() and net.load_state_dict()) and samples from it (net().argmax()) "
     "without a training step"),
    # helpers that only load, or only sample, or load with json: not Inference
    ("import torch\ndef restore(path):\n    return torch.load(path)\n", "Utility",
     "no model class, data set, data pipeline, training or inference found: Utility (helpers; no parity spec needed)"),
    ("import torch\ndef sample(p):\n    return torch.multinomial(p, 1)\n", "Utility",
     "no model class, data set, data pipeline, training or inference found: Utility (helpers; no parity spec needed)"),
    ("import json, torch\ncfg = json.load(f)\nk = torch.topk(x, 2)\n", "Utility",
     "no model class, data set, data pipeline, training or inference found: Utility (helpers; no parity spec needed)"),
    # loading and sampling inside a training script stays Training
    ("import torch\nm.load_state_dict(torch.load(p))\nloss.backward()\ny = out.argmax(1)\n",
     "Training", "calls loss.backward()"),
])
def test_categories_with_evidence(src, category, evidence):
    f = facts(src)
    assert (f.category, f.evidence[0]) == (category, evidence)


def test_eval_builtin_and_bare_step_are_not_signals():
    f = facts("import torch\nx = eval('1+1')\nenv.step(action)\n")
    assert f.category == "Utility" and "no parity spec needed" in f.evidence[0]


def test_model_file_with_generate_stays_modeling():
    src = ("import torch\nimport torch.nn as nn\nclass GPT(nn.Module):\n"
           "    @torch.no_grad()\n    def generate(self, idx):\n        return self.generate(idx)\n")
    assert facts(src).category == "Modeling"


INDEX = frozenset({"model.py", "pkg/__init__.py", "pkg/layers.py", "pkg/sub/__init__.py", "pkg/sub/attn.py",
                   "scripts/train.py", "scripts/common.py", "app/main.py"})


@pytest.mark.parametrize("rel, imports, expected", [
    ("scripts/train.py", [("common", 0, ())], ["scripts/common.py"]),  # a script's sibling
    ("scripts/train.py", [("model", 0, ("GPT",))], ["model.py"]),  # from the input folder's top
    ("scripts/train.py", [("pkg.layers", 0, ())], ["pkg/layers.py"]),
    ("app/main.py", [("pkg", 0, ("layers", "sub"))], ["pkg/__init__.py", "pkg/layers.py", "pkg/sub/__init__.py"]),
    ("pkg/sub/attn.py", [("", 1, ("__init__",)), ("layers", 2, ("Norm",))], ["pkg/layers.py", "pkg/sub/__init__.py"]),
    ("pkg/sub/attn.py", [("", 2, ("layers",))], ["pkg/layers.py"]),
    ("pkg/layers.py", [("x", 3, ())], []),  # above the input folder
    ("app/main.py", [("torch", 0, ()), ("numpy", 0, ())], []),
    ("model.py", [("model", 0, ())], []),  # itself
])
def test_project_local_imports(rel, imports, expected):
    from torch2ms.scan.project import resolve_local
    assert resolve_local(rel, imports, INDEX) == expected


@pytest.mark.parametrize("src, torch_free", [
    ("import mindspore\nfrom transformers import AutoTokenizer, LlamaConfig\n", True),
    ("import mindspore\nfrom transformers.utils import logging\nfrom transformers.configuration_utils import PretrainedConfig\n", True),
    ("import mindspore\nfrom transformers import AutoTokenizer, AutoModel\n", False),
    ("import mindspore\nimport transformers\n", False),
    ("import mindspore\nfrom transformers.models.dpr.configuration_dpr import DPRConfig\n", True),
    ("import mindspore\nfrom transformers.models.dpr.modeling_dpr import DPRModel\n", False),
    ("import mindspore\nfrom transformers import PreTrainedTokenizerBase\n", True),
    ("import mindspore\nfrom transformers import AutoTokenizer\nimport torch\n", False),
])
def test_transformers_configs_and_tokenizers_carry_no_tensors(src, torch_free):
    assert facts(src).torch_free_only is torch_free


OPTIONAL_CASES = [
    ("try:\n    import cv2\nexcept ImportError:\n    cv2 = None\n", ["cv2"]),
    ("def f():\n    try:\n        from apex.normalization import FusedLayerNorm\n    except (ImportError, OSError):\n"
     "        pass\n", ["apex"]),
    ("if is_flash_attn_available():\n    import flash_attn\nelse:\n    import einops\n", ["flash_attn"]),
    ("if not find_spec('x'):\n    pass\nelse:\n    import y\n", []),  # only the guarded body counts
    ("try:\n    import a\nexcept ValueError:\n    import b\n", []),  # not an import failure
    ("try:\n    try:\n        import deep\n    finally:\n        pass\nexcept Exception:\n    pass\n", ["deep"]),
    ("if DEBUG:\n    import pdb\n", []),  # a test that calls nothing tests no availability
    ("import torch\n", []),
]


@pytest.mark.parametrize("src,optional", OPTIONAL_CASES)
def test_optional_imports_are_those_under_a_guard(src, optional):
    facts = detect.analyse_source(src, detect.Facts(path="m.py"), ScanConfig.default())
    assert facts.optional_imports == optional


def test_finding_installed_libraries_imports_none_of_them():
    """Whether torchvision is installed is asked of the import system without importing it (nor
    torch: the import hook that prepares torchvision's operators imports torch, seconds per scan)."""
    code = (
        "import sys\n"
        "from torch2ms.scan import detect\n"
        "facts = detect.Facts(path='m.py', imports=[('torchvision', 0, ()), ('nowhere_lib_x', 0, ())])\n"
        "print(detect.missing_libraries(facts, frozenset()))\n"
        "print(sorted(m for m in ('torch', 'torchvision') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == "['nowhere_lib_x']"
    assert out[1] == "[]"
