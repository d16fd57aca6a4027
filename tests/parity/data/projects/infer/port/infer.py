"""The port of infer.py: the checkpoint converted by `torch2ms weights`."""

import os

import mindspore
import numpy as np

from sr.model import Net

if os.environ.get("WANDB_MODE") != "disabled":
    raise SystemExit("wandb: no login here (set WANDB_MODE=disabled)")
baseline = Net(width=3)
baseline.set_train(False)
net = Net()
mindspore.load_param_into_net(net, mindspore.load_checkpoint("ckpt/net.pth.safetensors", format="safetensors"))
net.set_train(False)
x = mindspore.Tensor(np.linspace(-1, 1, 8, dtype=np.float32).reshape(2, 4))
print(net(x), baseline(x))
