"""Evidence: mindone 0.5.0's own hand-written ports of transformers 4.57.1 models, run on CPU
with the fallback, match the torch originals (random weights, small configs).

One row per model, one shared function: the same random torch weights are copied into the port
by name, both get the same token ids and an attention mask with the second sequence padded, and
the logits are compared. The bar is fp32 max abs error <= 1e-4 on the logits, and the default
fp32 tolerance of the tool (1e-5 relative).
"""

import dataclasses

import numpy as np
import pytest

from torch2ms.parity import compare, compare_training_step

SMALL = dict(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
             num_attention_heads=4, max_position_embeddings=64)
DECODER = dict(SMALL, num_key_value_heads=2)
ENCODER_NO_DROPOUT = dict(SMALL, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)


@dataclasses.dataclass
class Case:
    name: str
    config: str  # transformers config class
    model: str  # class name in both transformers and mindone.transformers
    config_kwargs: dict
    causal: bool = True  # decoder-only: pass use_cache=False so both sides skip the cache


CASES = [
    Case("llama", "LlamaConfig", "LlamaForCausalLM", DECODER),
    Case("qwen2", "Qwen2Config", "Qwen2ForCausalLM", DECODER),
    Case("mistral", "MistralConfig", "MistralForCausalLM", DECODER),
    Case("gemma", "GemmaConfig", "GemmaForCausalLM", dict(DECODER, head_dim=8)),
    Case("phi3", "Phi3Config", "Phi3ForCausalLM", dict(DECODER, pad_token_id=0)),
    Case("bert", "BertConfig", "BertForMaskedLM", ENCODER_NO_DROPOUT, causal=False),
    Case("roberta", "RobertaConfig", "RobertaForMaskedLM", dict(ENCODER_NO_DROPOUT, pad_token_id=1), causal=False),
    # mindone's GPT-2 keeps the older nn layers: its embeddings and layer norms load by alias
    Case("gpt2", "GPT2Config", "GPT2LMHeadModel", dict(
        vocab_size=64, n_embd=32, n_layer=2, n_head=4, n_positions=64, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
    )),
]


def build_pair(case: Case, mindone_transformers):
    import torch
    import transformers

    config = getattr(transformers, case.config)(**case.config_kwargs)
    config._attn_implementation = "eager"  # mindone's ports have no SDPA
    torch.manual_seed(0)
    return getattr(transformers, case.model)(config), getattr(mindone_transformers, case.model)(config)


def model_inputs(case: Case, labels: bool = False) -> dict:
    rng = np.random.default_rng(0)
    ids = rng.integers(2, 64, size=(2, 7)).astype(np.int64)
    mask = np.ones((2, 7), np.int64)
    mask[1, 5:] = 0  # the second sequence is padded
    inputs = {"input_ids": ids, "attention_mask": mask, "return_dict": True}
    if case.causal:
        inputs["use_cache"] = False
    if labels:
        inputs["labels"] = ids
    return inputs


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_mindone_port_matches_transformers(case, mindone_transformers, cpu_fallback):
    torch_model, port = build_pair(case, mindone_transformers)
    report = compare(torch_model, port, model_inputs(case), outputs=["logits"])
    assert report.weights.ok and not report.weights.torch_only
    logits = report.result("logits")
    assert logits.shape == (2, 7, 64)
    assert logits.max_abs <= 1e-4, report.summary()
    assert report.ok, report.summary()


def test_mindone_llama_training_step_matches(mindone_transformers, cpu_fallback):
    """The model's own loss (labels given): gradients of every parameter and one step of
    torch.optim.AdamW vs mint.optim.AdamW."""
    case = CASES[0]
    torch_model, port = build_pair(case, mindone_transformers)
    report = compare_training_step(
        torch_model, port, model_inputs(case, labels=True), loss="value", output="loss", optimizer="adamw",
        optimizer_kwargs={"lr": 1e-3},
    )
    assert report.ok, report.summary()
    assert sum(r.path.startswith("grad:") for r in report.results) == len(list(torch_model.parameters()))
    assert not [r.path for r in report.results if r.problem]  # every value compared, none set aside
