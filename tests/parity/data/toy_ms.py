"""The mint-style MindSpore port of toy_torch.py, with optional deliberate faults.

fault (a port author's mistake, to prove the parity tool catches and localises it):
- "swapped_bias": block 0's attention adds k_proj's bias to the query projection
- "wrong_eps": block 1's norm2 uses eps 1e-2 instead of 1e-6
- "scaled_input": the top-level construct scales the hidden state before the blocks
- "stop_gradient": block 0's MLP stops the gradient into fc1 (forward unchanged)
- "renamed": the MLPs name their layers up/down instead of fc1/fc2
- "wide_head": the head has 6 outputs instead of 5
"""

import numpy as np
import mindspore
from mindspore import mint, nn, ops

F = mint.nn.functional


class RMSNorm(nn.Cell):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.weight = mindspore.Parameter(mindspore.Tensor(np.ones(dim, np.float32)))
        self.eps = eps

    def construct(self, x):
        return x * mint.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class Attention(nn.Cell):
    def __init__(self, dim, swapped_bias=False):
        super().__init__()
        self.q_proj = mint.nn.Linear(dim, dim)
        self.k_proj = mint.nn.Linear(dim, dim)
        self.v_proj = mint.nn.Linear(dim, dim)
        self.o_proj = mint.nn.Linear(dim, dim)
        self.scale = dim**-0.5
        self.swapped_bias = swapped_bias

    def construct(self, x):
        if self.swapped_bias:
            q = F.linear(x, self.q_proj.weight, self.k_proj.bias)
        else:
            q = self.q_proj(x)
        k, v = self.k_proj(x), self.v_proj(x)
        weights = F.softmax(mint.matmul(q, k.transpose(-1, -2)) * self.scale, dim=-1)
        return self.o_proj(mint.matmul(weights, v))


class MLP(nn.Cell):
    def __init__(self, dim, hidden, stop_gradient=False):
        super().__init__()
        self.fc1 = mint.nn.Linear(dim, hidden)
        self.fc2 = mint.nn.Linear(hidden, dim)
        self.stop_gradient = stop_gradient

    def construct(self, x):
        h = self.fc1(x)
        if self.stop_gradient:
            h = ops.stop_gradient(h)
        return self.fc2(F.silu(h))


class RenamedMLP(nn.Cell):
    def __init__(self, dim, hidden):
        super().__init__()
        self.up = mint.nn.Linear(dim, hidden)
        self.down = mint.nn.Linear(hidden, dim)

    def construct(self, x):
        return self.down(F.silu(self.up(x)))


class Block(nn.Cell):
    def __init__(self, dim, hidden, index, fault):
        super().__init__()
        self.norm1 = RMSNorm(dim)
        self.attn = Attention(dim, swapped_bias=fault == "swapped_bias" and index == 0)
        self.norm2 = RMSNorm(dim, eps=1e-2 if fault == "wrong_eps" and index == 1 else 1e-6)
        if fault == "renamed":
            self.mlp = RenamedMLP(dim, hidden)
        else:
            self.mlp = MLP(dim, hidden, stop_gradient=fault == "stop_gradient" and index == 0)

    def construct(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class Toy(nn.Cell):
    def __init__(self, in_dim=6, dim=16, hidden=32, n_classes=5, depth=2, fault=None):
        super().__init__()
        self.in_proj = mint.nn.Linear(in_dim, dim)
        self.blocks = nn.CellList([Block(dim, hidden, i, fault) for i in range(depth)])
        self.norm = RMSNorm(dim)
        self.head = mint.nn.Linear(dim, n_classes + (fault == "wide_head"))
        self.register_buffer("offset", mindspore.Tensor(np.zeros(dim, np.float32)))
        self.input_scale = 1.01 if fault == "scaled_input" else 1.0

    def construct(self, x):
        h = (self.in_proj(x) + self.offset) * self.input_scale
        hidden = []
        for block in self.blocks:
            h = block(h)
            hidden.append(h)
        return {"logits": self.head(self.norm(h)), "hidden": hidden}


def build_toy(seed=0, fault=None, **kwargs):
    # the weights come from torch; the seed is accepted so both sides share one spec
    return Toy(fault=fault, **kwargs)
