"""The MindSpore port of net_torch.py: mint layers where they exist, and on purpose two older nn
layers whose weights differ from torch's (nn.LayerNorm: gamma/beta; nn.Conv1d: a 2-d kernel)."""

import dataclasses

from mindspore import mint, nn


@dataclasses.dataclass
class NetConfig:
    vocab_size: int = 32
    dim: int = 16
    kernel: int = 3


class Net(nn.Cell):
    def __init__(self, config: NetConfig):
        super().__init__()
        self.embed = mint.nn.Embedding(config.vocab_size, config.dim)
        self.conv = nn.Conv1d(config.dim, config.dim, config.kernel, pad_mode="pad",
                              padding=config.kernel // 2, has_bias=True)
        self.norm = nn.LayerNorm((config.dim,), epsilon=1e-5)
        self.bn = mint.nn.BatchNorm1d(config.dim)
        self.proj = mint.nn.Linear(config.dim, config.dim)
        self.head = mint.nn.Linear(config.dim, config.vocab_size, bias=False)
        self.head.weight = self.embed.weight

    def construct(self, ids):
        h = self.embed(ids)
        h = h + mint.transpose(self.conv(mint.transpose(h, 1, 2)), 1, 2)
        h = self.norm(h)
        h = mint.transpose(self.bn(mint.transpose(h, 1, 2)), 1, 2)
        return self.head(mint.tanh(self.proj(h)))
