"""A small transformer-like torch model: the reference side of the parity tests."""

import torch
from torch import nn


class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class Attention(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.q_proj = nn.Linear(dim, dim)
        self.k_proj = nn.Linear(dim, dim)
        self.v_proj = nn.Linear(dim, dim)
        self.o_proj = nn.Linear(dim, dim)
        self.scale = dim**-0.5

    def forward(self, x):
        q, k, v = self.q_proj(x), self.k_proj(x), self.v_proj(x)
        weights = torch.softmax(torch.matmul(q, k.transpose(-1, -2)) * self.scale, dim=-1)
        return self.o_proj(torch.matmul(weights, v))


class MLP(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(nn.functional.silu(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.norm1 = RMSNorm(dim)
        self.attn = Attention(dim)
        self.norm2 = RMSNorm(dim)
        self.mlp = MLP(dim, hidden)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class Toy(nn.Module):
    """Returns a dict holding a tensor and a list: a nested output."""

    def __init__(self, in_dim=6, dim=16, hidden=32, n_classes=5, depth=2):
        super().__init__()
        self.in_proj = nn.Linear(in_dim, dim)
        self.blocks = nn.ModuleList(Block(dim, hidden) for _ in range(depth))
        self.norm = RMSNorm(dim)
        self.head = nn.Linear(dim, n_classes)
        self.register_buffer("offset", torch.zeros(dim))

    def forward(self, x):
        h = self.in_proj(x) + self.offset
        hidden = []
        for block in self.blocks:
            h = block(h)
            hidden.append(h)
        return {"logits": self.head(self.norm(h)), "hidden": hidden}


def build_toy(seed=0, **kwargs):
    """Random weights from a seed, and a non-zero buffer so its transfer is visible."""
    torch.manual_seed(seed)
    model = Toy(**kwargs)
    with torch.no_grad():
        model.offset.normal_()
        for block in model.blocks:
            block.norm1.weight.uniform_(0.5, 1.5)
            block.norm2.weight.uniform_(0.5, 1.5)
    return model
