"""Greedy decoding gives the same tokens in torch, in the MindSpore port and in transformers."""

import numpy as np
import pytest
import torch

import mindspore as ms

from configuration_cohere2 import Cohere2Config
import generate_ms
import generate_torch
import modeling_cohere2
import modeling_cohere2_torch

NEW_TOKENS = 8  # prompt (5) + new tokens exceed the sliding window (4)


@pytest.fixture(scope="module")
def config():
    # Two layers (one sliding, one global) keep the test fast: each MindSpore step costs ~0.3 s on CPU.
    # Larger initial weights than the default: peaked logits, so argmax is not decided by rounding.
    return Cohere2Config(num_hidden_layers=2, sliding_window_pattern=2, sliding_window=4, initializer_range=0.3)


@pytest.fixture(scope="module")
def models(config):
    torch.manual_seed(0)
    pt = modeling_cohere2_torch.Cohere2ForCausalLM(config).eval()
    port = modeling_cohere2.Cohere2ForCausalLM(config)
    state = pt.state_dict()
    for param in port.get_parameters():
        param.set_data(ms.Tensor(state[param.name].numpy()))
    return pt, port


PROMPTS = np.array([[5, 17, 42, 99, 7], [5, 200, 3, 64, 128]])


def both(models, **kwargs):
    pt, port = models
    want = generate_torch.generate(pt, torch.tensor(PROMPTS), **kwargs).numpy()
    got = generate_ms.generate(port, ms.Tensor(PROMPTS), **kwargs).asnumpy()
    return want, got


@pytest.fixture(scope="module")
def greedy(models):
    return both(models, max_new_tokens=NEW_TOKENS)


def test_greedy_same_tokens(greedy):
    want, got = greedy
    assert want.shape == (2, PROMPTS.shape[1] + NEW_TOKENS)
    np.testing.assert_array_equal(got, want)
    assert len(set(want[0, 5:].tolist())) > 3  # not a degenerate repetition


def test_greedy_matches_transformers(config, models):
    from transformers import Cohere2Config as HFConfig
    from transformers import Cohere2ForCausalLM as HFModel

    args = config.to_dict()
    args.pop("head_dim")
    hf = HFModel(HFConfig(**args, attn_implementation="eager")).eval()
    hf.load_state_dict(models[0].state_dict())
    want = hf.generate(
        torch.tensor(PROMPTS), max_new_tokens=NEW_TOKENS, do_sample=False, eos_token_id=None, pad_token_id=0
    ).numpy()
    got = generate_torch.generate(models[0], torch.tensor(PROMPTS), max_new_tokens=NEW_TOKENS).numpy()
    np.testing.assert_array_equal(got, want)


def test_stop_tokens(models, greedy):
    free = greedy[0]
    stop_row0 = int(free[0, PROMPTS.shape[1] + 2])  # the third generated token of row 0
    assert stop_row0 not in free[1, PROMPTS.shape[1]:].tolist()
    want, got = both(models, max_new_tokens=NEW_TOKENS, stop_token_ids=[stop_row0], pad_token_id=0)
    np.testing.assert_array_equal(got, want)
    first = PROMPTS.shape[1] + list(free[0, PROMPTS.shape[1]:]).index(stop_row0)
    assert (want[0, first + 1 :] == 0).all()  # finished row padded
    np.testing.assert_array_equal(want[1], free[1, : want.shape[1]])  # the other row unaffected


@pytest.mark.parametrize("kwargs", [{"top_k": 1}, {"top_p": 1e-6}, {"top_k": 5, "temperature": 1e-4}])
def test_sampling_reduced_to_greedy(models, greedy, kwargs):
    """Sampling with one candidate left must give the greedy tokens: runs top-k, top-p and multinomial."""
    want, got = both(models, max_new_tokens=3, do_sample=True, seed=3, **kwargs)
    expected = greedy[0][:, : PROMPTS.shape[1] + 3]
    np.testing.assert_array_equal(want, expected)
    np.testing.assert_array_equal(got, expected)


def test_sampling_is_seeded(models):
    _, port = models
    runs = [
        generate_ms.generate(port, ms.Tensor(PROMPTS), 4, do_sample=True, top_k=20, top_p=0.9, seed=7).asnumpy()
        for _ in range(2)
    ]
    np.testing.assert_array_equal(runs[0], runs[1])


def test_command_lines_agree_on_one_checkpoint(tmp_path, capsys):
    """The torch checkpoint, saved as safetensors, drives the MindSpore command line to the same tokens."""
    from safetensors.torch import save_file

    torch.manual_seed(1)
    pt = modeling_cohere2_torch.Cohere2ForCausalLM(Cohere2Config(initializer_range=0.3))  # the scripts' config
    torch.save(pt.state_dict(), tmp_path / "model.pt")
    # safetensors refuses shared tensors (the tied head): save independent copies.
    save_file({k: v.clone().contiguous() for k, v in pt.state_dict().items()}, tmp_path / "model.safetensors")
    prompt = "5,17,42"
    outputs = []
    for module, ckpt in ((generate_torch, "model.pt"), (generate_ms, "model.safetensors")):
        assert module.main(["--prompt", prompt, "--max-new-tokens", "4", "--checkpoint", str(tmp_path / ckpt)]) == 0
        outputs.append(capsys.readouterr().out.strip())
    assert outputs[0] == outputs[1]
    assert outputs[0].startswith(prompt + ",") and len(outputs[0].split(",")) == 7
