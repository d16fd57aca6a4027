"""A transformers model saved with save_pretrained (sharded), converted for its mindone port by
`torch2ms weights`: the port loads the file with mindspore.load_checkpoint + load_param_into_net
and gives the torch model's logits."""

import numpy as np
import pytest

LLAMA = dict(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
             num_key_value_heads=2, max_position_embeddings=64)
GPT2 = dict(vocab_size=64, n_embd=32, n_layer=2, n_head=4, n_positions=64, resid_pdrop=0.0, embd_pdrop=0.0,
            attn_pdrop=0.0)


@pytest.fixture(scope="module")
def mindone_transformers():
    import mindone.transformers

    return mindone.transformers


def logits_of(torch_model, port):
    import mindspore
    import torch

    from torch2ms import cpu_fallback

    ids = np.random.default_rng(0).integers(2, 64, size=(2, 7)).astype(np.int64)
    mask = np.ones((2, 7), np.int64)
    mask[1, 5:] = 0
    with torch.no_grad():
        want = torch_model(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask), use_cache=False).logits
    port.set_train(False)
    with cpu_fallback.enabled():
        got = port(input_ids=mindspore.Tensor(ids), attention_mask=mindspore.Tensor(mask), use_cache=False,
                   return_dict=True).logits
    return want.numpy(), got.asnumpy()


@pytest.mark.parametrize("model, config, safe", [
    ("LlamaForCausalLM", LLAMA, True),
    ("LlamaForCausalLM", LLAMA, False),  # pytorch_model-0000x-of-0000n.bin shards
    ("GPT2LMHeadModel", GPT2, True),     # mindone's GPT-2 keeps the older nn layer names
], ids=["llama-safetensors", "llama-bin", "gpt2-safetensors"])
def test_save_pretrained_folder_converted_for_the_mindone_port(model, config, safe, tmp_path, cli,
                                                               mindone_transformers):
    import mindspore
    import torch
    import transformers

    torch.manual_seed(0)
    hf_config = getattr(transformers, model.replace("ForCausalLM", "Config").replace("LMHeadModel", "Config"))(**config)
    torch_model = getattr(transformers, model)(hf_config).eval()
    folder = tmp_path / "hf"
    torch_model.save_pretrained(folder, max_shard_size="40KB", safe_serialization=safe)
    assert (folder / ("model.safetensors.index.json" if safe else "pytorch_model.bin.index.json")).is_file()
    dst = tmp_path / "model.safetensors"
    code, out, err = cli("weights", folder, "--port", "mindone.transformers", "-o", dst)
    assert code == 0, out + err
    assert "missing            0" in out and "unused             0" in out
    if model == "GPT2LMHeadModel":
        assert "weight -> gamma x5 (nn-layer name)" in out
    port = getattr(mindone_transformers, model)(transformers.AutoConfig.from_pretrained(folder))
    param_not_load, ckpt_not_load = mindspore.load_param_into_net(
        port, mindspore.load_checkpoint(str(dst), format="safetensors"))
    assert param_not_load == [] and ckpt_not_load == []
    want, got = logits_of(torch_model, port)
    assert want.shape == got.shape == (2, 7, 64)
    assert np.abs(want - got).max() <= 1e-5, np.abs(want - got).max()
