"""Configuration of the Cohere2 example, shared by the torch file and its MindSpore port.

Plain Python (no torch, no mindspore): a config carries no tensors, so it is not converted.
The attribute names are those of `transformers.Cohere2Config`, so `vars(config)` builds one.
"""


class Cohere2Config:
    def __init__(
        self,
        vocab_size=256,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=4,
        num_attention_heads=4,
        num_key_value_heads=2,
        hidden_act="silu",
        max_position_embeddings=512,
        layer_norm_eps=1e-5,
        logit_scale=0.0625,
        rope_theta=10000.0,
        sliding_window=8,
        sliding_window_pattern=4,
        layer_types=None,
        attention_bias=False,
        tie_word_embeddings=True,
        pad_token_id=0,
        bos_token_id=5,
        eos_token_id=255,
        initializer_range=0.02,
    ):
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        self.intermediate_size = intermediate_size
        self.num_hidden_layers = num_hidden_layers
        self.num_attention_heads = num_attention_heads
        self.num_key_value_heads = num_key_value_heads
        self.head_dim = hidden_size // num_attention_heads
        self.hidden_act = hidden_act
        self.max_position_embeddings = max_position_embeddings
        self.layer_norm_eps = layer_norm_eps
        self.logit_scale = logit_scale
        self.rope_theta = rope_theta
        self.sliding_window = sliding_window
        # Every `sliding_window_pattern`-th layer attends globally (and uses no rotary embedding).
        if layer_types is None:
            layer_types = [
                "full_attention" if (i + 1) % sliding_window_pattern == 0 else "sliding_attention"
                for i in range(num_hidden_layers)
            ]
        self.layer_types = list(layer_types)
        self.attention_bias = attention_bias
        self.tie_word_embeddings = tie_word_embeddings
        self.pad_token_id = pad_token_id
        self.bos_token_id = bos_token_id
        self.eos_token_id = eos_token_id
        self.initializer_range = initializer_range

    def to_dict(self):
        return dict(vars(self))
