"""torch2ms: the deterministic helpers of a Claude Code pack that migrates PyTorch to MindSpore."""

from torch2ms import torch_env as _torch_env

__version__ = "0.1.0"

_torch_env.install()  # torchvision imports beside CPU torch (see torch_env); costs nothing until then
