"""torch_env: torchvision (and transformers, which imports it) work beside the CPU build of torch."""

import subprocess
import sys

import pytest

_TORCHVISION = r"""
import torch2ms  # installs the hook; nothing else is called
import numpy as np, torch, torchvision
import torchvision.transforms as T
from PIL import Image
img = Image.fromarray(np.arange(16 * 16 * 3, dtype=np.uint8).reshape(16, 16, 3))
x = T.Compose([T.Resize(8), T.ToTensor(), T.Normalize([0.5] * 3, [0.5] * 3)])(img)
net = torchvision.models.resnet18(num_classes=3).eval()
with torch.no_grad():
    y = net(x[None])
print(tuple(x.shape), tuple(y.shape))
"""

_TRANSFORMERS = r"""
import torch2ms
from transformers import BlenderbotSmallForConditionalGeneration  # imports torchvision lazily
print(BlenderbotSmallForConditionalGeneration.__name__)
"""


def _run(code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)


def test_torchvision_imports_and_runs_after_torch2ms():
    out = _run(_TORCHVISION)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["(3,", "8,", "8)", "(1,", "3)"]


def test_transformers_models_import_with_torchvision_installed():
    out = _run(_TRANSFORMERS)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "BlenderbotSmallForConditionalGeneration"


def test_the_hook_is_needed():
    """Without torch2ms imported first, torchvision fails here: the hook is what makes it work."""
    out = _run("import torchvision")
    if out.returncode == 0:
        pytest.skip("torchvision's operators load with this torch build: nothing to prepare")
    assert "torchvision::nms does not exist" in out.stderr
