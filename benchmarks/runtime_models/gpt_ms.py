"""MindSpore port of `tests/e2e/unseen/gpt.py` (the small GPT), as `torch2ms convert` wrote it and
finished by hand: the torch weight initialisation is left out (the benchmark copies torch's
weights into the port by name), generation is left out (not benchmarked)."""

import math
from dataclasses import dataclass

import mindspore as ms
from mindspore import mint, nn


@dataclass
class GPTConfig:
    block_size: int = 32
    vocab_size: int = 64
    n_layer: int = 2
    n_head: int = 4
    n_embd: int = 32
    dropout: float = 0.0
    bias: bool = True


class LayerNorm(nn.Cell):
    """LayerNorm with an optional bias."""

    def __init__(self, ndim, bias):
        super().__init__()
        self.weight = ms.Parameter(mint.ones(ndim))
        self.bias = ms.Parameter(mint.zeros(ndim)) if bias else None

    def construct(self, input):
        return mint.nn.functional.layer_norm(input, self.weight.shape, self.weight, self.bias, 1e-5)


class CausalSelfAttention(nn.Cell):
    def __init__(self, config):
        super().__init__()
        assert config.n_embd % config.n_head == 0
        self.c_attn = mint.nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
        self.c_proj = mint.nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.attn_dropout = mint.nn.Dropout(config.dropout)
        self.resid_dropout = mint.nn.Dropout(config.dropout)
        self.n_head = config.n_head
        self.n_embd = config.n_embd
        mask = mint.tril(mint.ones((config.block_size, config.block_size)))
        self.register_buffer("bias", mask.view(1, 1, config.block_size, config.block_size))

    def construct(self, x):
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.shape[-1]))
        att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
        att = mint.nn.functional.softmax(att, dim=-1)
        att = self.attn_dropout(att)
        y = att @ v
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.resid_dropout(self.c_proj(y))


class MLP(nn.Cell):
    def __init__(self, config):
        super().__init__()
        self.c_fc = mint.nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.gelu = mint.nn.GELU()
        self.c_proj = mint.nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = mint.nn.Dropout(config.dropout)

    def construct(self, x):
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))


class Block(nn.Cell):
    def __init__(self, config):
        super().__init__()
        self.ln_1 = LayerNorm(config.n_embd, bias=config.bias)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = LayerNorm(config.n_embd, bias=config.bias)
        self.mlp = MLP(config)

    def construct(self, x):
        x = x + self.attn(self.ln_1(x))
        x = x + self.mlp(self.ln_2(x))
        return x


class GPT(nn.Cell):
    def __init__(self, config):
        super().__init__()
        self.config = config
        transformer_cell = nn.Cell()
        transformer_cell.wte = mint.nn.Embedding(config.vocab_size, config.n_embd)
        transformer_cell.wpe = mint.nn.Embedding(config.block_size, config.n_embd)
        transformer_cell.drop = mint.nn.Dropout(config.dropout)
        transformer_cell.h = nn.CellList([Block(config) for _ in range(config.n_layer)])
        transformer_cell.ln_f = LayerNorm(config.n_embd, bias=config.bias)
        self.transformer = transformer_cell
        self.lm_head = mint.nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.transformer.wte.weight = self.lm_head.weight

    def construct(self, idx, targets=None):
        b, t = idx.shape
        assert t <= self.config.block_size, f"sequence of {t} tokens exceeds block_size"
        pos = mint.arange(0, t, dtype=ms.int64)
        tok_emb = self.transformer.wte(idx)
        pos_emb = self.transformer.wpe(pos)
        x = self.transformer.drop(tok_emb + pos_emb)
        for block in self.transformer.h:
            x = block(x)
        x = self.transformer.ln_f(x)
        logits = self.lm_head(x)
        loss = None
        if targets is not None:
            loss = mint.nn.functional.cross_entropy(logits.view(-1, logits.shape[-1]), targets.view(-1), ignore_index=-1)
        return logits, loss


def build_model(**overrides):
    return GPT(GPTConfig(**overrides))
