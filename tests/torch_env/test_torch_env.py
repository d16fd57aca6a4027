"""torch_env.prepare(): torchvision imports and runs beside the CPU build of torch."""

import subprocess
import sys

_CHILD = r"""
from torch2ms import torch_env
torch_env.prepare()
torch_env.prepare()  # idempotent
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


def test_torchvision_imports_and_runs_after_prepare():
    out = subprocess.run([sys.executable, "-c", _CHILD], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["(3,", "8,", "8)", "(1,", "3)"]
