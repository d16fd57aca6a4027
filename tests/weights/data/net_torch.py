"""A small torch model with the parts a checkpoint conversion must handle: a config object, a
tied embedding/head pair, a 1-d convolution, layer and batch norms (running statistics), a
persistent buffer."""

import dataclasses

import torch
from torch import nn


@dataclasses.dataclass
class NetConfig:
    vocab_size: int = 32
    dim: int = 16
    kernel: int = 3


class Net(nn.Module):
    def __init__(self, config: NetConfig):
        super().__init__()
        self.embed = nn.Embedding(config.vocab_size, config.dim)
        self.conv = nn.Conv1d(config.dim, config.dim, config.kernel, padding=config.kernel // 2)
        self.norm = nn.LayerNorm(config.dim)
        self.bn = nn.BatchNorm1d(config.dim)
        self.proj = nn.Linear(config.dim, config.dim)
        self.head = nn.Linear(config.dim, config.vocab_size, bias=False)
        self.head.weight = self.embed.weight

    def forward(self, ids):
        h = self.embed(ids)
        h = h + self.conv(h.transpose(1, 2)).transpose(1, 2)
        h = self.norm(h)
        h = self.bn(h.transpose(1, 2)).transpose(1, 2)
        return self.head(torch.tanh(self.proj(h)))


def trained(config: NetConfig | None = None, seed: int = 0) -> Net:
    """A Net with random weights and non-trivial batch-norm statistics, in eval mode."""
    torch.manual_seed(seed)
    model = Net(config or NetConfig())
    with torch.no_grad():
        model.bn.running_mean.normal_()
        model.bn.running_var.uniform_(0.5, 2.0)
        model.bn.weight.uniform_(0.5, 1.5)
        model.bn.num_batches_tracked.fill_(11)
        model.norm.bias.normal_()
    return model.eval()
