"""F.scaled_dot_product_attention has no mint counterpart in MindSpore 2.10: flagged precisely."""

from __future__ import annotations

from . import call

FAMILY = "attention"
NOTE = ("no mint counterpart in MindSpore 2.10: write softmax(q @ k.transpose(-2, -1) * scale "
        "+ mask) @ v with mint ops (scale = 1/sqrt(head_dim); is_causal needs a triu mask of "
        "-inf; dropout_p only in training), or use ops.flash_attention_score on Ascend only "
        "(fp16/bf16, inverted mask, keep_prob = 1 - dropout_p)")


@call("torch.nn.functional.scaled_dot_product_attention")
def sdpa(ctx, original, updated, qn):
    ctx.flag(original, FAMILY, f"{qn}: {NOTE}")
    return ctx.leave_torch(original, updated)
