"""Cohere2 causal language model in MindSpore: the port of `modeling_cohere2_torch.py`.

Written in mindone style: `mindspore.mint` first (it mirrors torch signatures), `nn.Cell` with
`construct`, `nn.CellList` for the layer list, and parameter names identical to the torch file,
so a torch state dict loads by name. What changed from the torch file, line by line:
- `torch.*` / `F.*` -> `mint.*` / `mint.nn.functional.*`; `nn.Module` -> `nn.Cell`; `forward` -> `construct`;
- `nn.ModuleList` -> `nn.CellList`; `nn.Parameter(torch.ones(n))` -> `Parameter(mint.ones(n))`;
- `register_buffer(..., persistent=False)` -> a plain tensor attribute (not a Parameter, so not saved);
- `torch.finfo(dtype).min` -> the constant from numpy (MindSpore has no `finfo`);
- `for module in self.modules()` -> `self.cells_and_names()`; `nn.init.normal_` -> `initializer` + `set_data`.
The KV cache is the same tuple of `(key, value)` pairs as on the torch side.
"""

import numpy as np

import mindspore as ms
from mindspore import Parameter, mint, nn
from mindspore.common.initializer import Normal, initializer

_DTYPE_MIN = {ms.float32: float(np.finfo(np.float32).min), ms.float16: float(np.finfo(np.float16).min)}


def dtype_min(dtype):
    # bfloat16 has float32's range.
    return _DTYPE_MIN.get(dtype, _DTYPE_MIN[ms.float32])


class Cohere2LayerNorm(nn.Cell):
    """Layer norm with a weight and no bias, computed in float32."""

    def __init__(self, hidden_size, eps=1e-5):
        super().__init__()
        self.weight = Parameter(mint.ones(hidden_size))
        self.variance_epsilon = eps

    def construct(self, hidden_states):
        input_dtype = hidden_states.dtype
        hidden_states = hidden_states.to(ms.float32)
        mean = hidden_states.mean(-1, keepdim=True)
        variance = (hidden_states - mean).pow(2).mean(-1, keepdim=True)
        hidden_states = (hidden_states - mean) * mint.rsqrt(variance + self.variance_epsilon)
        return (self.weight.to(ms.float32) * hidden_states).to(input_dtype)


class Cohere2RotaryEmbedding(nn.Cell):
    def __init__(self, config):
        super().__init__()
        dim = config.head_dim
        # A non-persistent buffer: a plain tensor attribute, never saved in a checkpoint.
        self.inv_freq = 1.0 / (config.rope_theta ** (mint.arange(0, dim, 2, dtype=ms.float32) / dim))

    def construct(self, position_ids, dtype):
        freqs = position_ids[:, :, None].float() * self.inv_freq[None, None, :]
        emb = mint.repeat_interleave(freqs, 2, dim=-1)
        return emb.cos().to(dtype), emb.sin().to(dtype)


def rotate_pairs(x):
    """(x0, x1, x2, x3, ...) -> (-x1, x0, -x3, x2, ...)."""
    x1 = x[..., ::2]
    x2 = x[..., 1::2]
    return mint.stack([-x2, x1], dim=-1).flatten(-2)


def apply_rotary(q, k, cos, sin):
    dtype = q.dtype
    q, k = q.float(), k.float()
    cos, sin = cos[:, None].float(), sin[:, None].float()
    q = q * cos + rotate_pairs(q) * sin
    k = k * cos + rotate_pairs(k) * sin
    return q.to(dtype), k.to(dtype)


def repeat_kv(x, n_rep):
    """(batch, kv_heads, seq, dim) -> (batch, kv_heads * n_rep, seq, dim)."""
    if n_rep == 1:
        return x
    batch, kv_heads, seq, dim = x.shape
    return x[:, :, None].expand(batch, kv_heads, n_rep, seq, dim).reshape(batch, kv_heads * n_rep, seq, dim)


def make_attention_bias(q_positions, kv_len, padding_mask, sliding_window, dtype):
    """Additive mask (batch, 1, q_len, kv_len): 0 where attending is allowed, the dtype's minimum elsewhere."""
    kv_positions = mint.arange(kv_len)
    allowed = kv_positions[None, :] <= q_positions[:, None]
    if sliding_window is not None:
        allowed = allowed & (kv_positions[None, :] > q_positions[:, None] - sliding_window)
    allowed = allowed[None, None]
    if padding_mask is not None:
        allowed = allowed & padding_mask[:, None, None, :].bool()
    bias = mint.zeros(allowed.shape, dtype=dtype)
    return bias.masked_fill(mint.logical_not(allowed), dtype_min(dtype))


class Cohere2Attention(nn.Cell):
    def __init__(self, config, layer_idx):
        super().__init__()
        self.head_dim = config.head_dim
        self.num_heads = config.num_attention_heads
        self.num_kv_heads = config.num_key_value_heads
        self.scaling = self.head_dim**-0.5
        is_sliding = config.layer_types[layer_idx] == "sliding_attention"
        self.sliding_window = config.sliding_window if is_sliding else None
        bias = config.attention_bias
        self.q_proj = mint.nn.Linear(config.hidden_size, self.num_heads * self.head_dim, bias=bias)
        self.k_proj = mint.nn.Linear(config.hidden_size, self.num_kv_heads * self.head_dim, bias=bias)
        self.v_proj = mint.nn.Linear(config.hidden_size, self.num_kv_heads * self.head_dim, bias=bias)
        self.o_proj = mint.nn.Linear(self.num_heads * self.head_dim, config.hidden_size, bias=bias)

    def construct(self, hidden_states, position_embeddings, attention_bias, past_key_value=None):
        batch, seq_len, _ = hidden_states.shape
        q = self.q_proj(hidden_states).view(batch, seq_len, -1, self.head_dim).transpose(1, 2)
        k = self.k_proj(hidden_states).view(batch, seq_len, -1, self.head_dim).transpose(1, 2)
        v = self.v_proj(hidden_states).view(batch, seq_len, -1, self.head_dim).transpose(1, 2)

        # Global layers use no positional encoding at all.
        if self.sliding_window is not None:
            cos, sin = position_embeddings
            q, k = apply_rotary(q, k, cos, sin)

        if past_key_value is not None:
            k = mint.cat([past_key_value[0], k], dim=2)
            v = mint.cat([past_key_value[1], v], dim=2)
        present = (k, v)

        n_rep = self.num_heads // self.num_kv_heads
        scores = mint.matmul(q, repeat_kv(k, n_rep).transpose(2, 3)) * self.scaling
        scores = scores + attention_bias
        probs = mint.nn.functional.softmax(scores, dim=-1, dtype=ms.float32).to(q.dtype)
        out = mint.matmul(probs, repeat_kv(v, n_rep))
        out = out.transpose(1, 2).reshape(batch, seq_len, -1)
        return self.o_proj(out), present


class Cohere2MLP(nn.Cell):
    def __init__(self, config):
        super().__init__()
        self.gate_proj = mint.nn.Linear(config.hidden_size, config.intermediate_size, bias=False)
        self.up_proj = mint.nn.Linear(config.hidden_size, config.intermediate_size, bias=False)
        self.down_proj = mint.nn.Linear(config.intermediate_size, config.hidden_size, bias=False)

    def construct(self, x):
        return self.down_proj(mint.nn.functional.silu(self.gate_proj(x)) * self.up_proj(x))


class Cohere2DecoderLayer(nn.Cell):
    def __init__(self, config, layer_idx):
        super().__init__()
        self.attention_type = config.layer_types[layer_idx]
        self.input_layernorm = Cohere2LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.self_attn = Cohere2Attention(config, layer_idx)
        self.mlp = Cohere2MLP(config)

    def construct(self, hidden_states, position_embeddings, attention_bias, past_key_value=None):
        normed = self.input_layernorm(hidden_states)
        attn_out, present = self.self_attn(normed, position_embeddings, attention_bias, past_key_value)
        return hidden_states + attn_out + self.mlp(normed), present


class Cohere2Model(nn.Cell):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.embed_tokens = mint.nn.Embedding(config.vocab_size, config.hidden_size, config.pad_token_id)
        self.layers = nn.CellList([Cohere2DecoderLayer(config, i) for i in range(config.num_hidden_layers)])
        self.norm = Cohere2LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.rotary_emb = Cohere2RotaryEmbedding(config)

    def construct(self, input_ids, attention_mask=None, past_key_values=None, output_hidden_states=False):
        """Returns (last_hidden_state, all_hidden_states or None, new past_key_values)."""
        hidden_states = self.embed_tokens(input_ids)
        past_len = 0 if past_key_values is None else past_key_values[0][0].shape[2]
        seq_len = input_ids.shape[1]
        positions = mint.arange(past_len, past_len + seq_len)
        position_embeddings = self.rotary_emb(positions[None, :], hidden_states.dtype)

        kv_len = past_len + seq_len
        biases = {
            "full_attention": make_attention_bias(positions, kv_len, attention_mask, None, hidden_states.dtype),
            "sliding_attention": make_attention_bias(
                positions, kv_len, attention_mask, self.config.sliding_window, hidden_states.dtype
            ),
        }

        all_hidden_states = [] if output_hidden_states else None
        presents = []
        for i, layer in enumerate(self.layers):
            if output_hidden_states:
                all_hidden_states.append(hidden_states)
            past = None if past_key_values is None else past_key_values[i]
            hidden_states, present = layer(hidden_states, position_embeddings, biases[layer.attention_type], past)
            presents.append(present)

        hidden_states = self.norm(hidden_states)
        if output_hidden_states:
            all_hidden_states.append(hidden_states)
        return hidden_states, all_hidden_states, tuple(presents)


class Cohere2ForCausalLM(nn.Cell):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.model = Cohere2Model(config)
        self.lm_head = mint.nn.Linear(config.hidden_size, config.vocab_size, bias=False)
        self.logit_scale = config.logit_scale
        if config.tie_word_embeddings:
            # One shared Parameter, listed once as `model.embed_tokens.weight`.
            self.lm_head.weight = self.model.embed_tokens.weight
        self.init_weights()

    def init_weights(self):
        std = self.config.initializer_range
        for _, cell in self.cells_and_names():
            if isinstance(cell, (mint.nn.Linear, mint.nn.Embedding)):
                cell.weight.set_data(initializer(Normal(std), cell.weight.shape, cell.weight.dtype))
                if getattr(cell, "bias", None) is not None:
                    cell.bias.set_data(mint.zeros(cell.bias.shape, dtype=cell.bias.dtype))

    def construct(self, input_ids, attention_mask=None, past_key_values=None, output_hidden_states=False):
        """Returns (logits, all_hidden_states or None, new past_key_values)."""
        hidden_states, all_hidden_states, presents = self.model(
            input_ids, attention_mask, past_key_values, output_hidden_states
        )
        logits = self.lm_head(hidden_states) * self.logit_scale
        return logits, all_hidden_states, presents
