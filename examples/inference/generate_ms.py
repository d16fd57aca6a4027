"""Text generation with the Cohere2 example model, in MindSpore: the port of `generate_torch.py`.

On a CPU-only machine some mint kernels are missing in MindSpore 2.10: run it with
`torch2ms.cpu_fallback.enable()` called first, as the tests do (Ascend needs nothing).

    python generate_ms.py --prompt 5,17,42 --max-new-tokens 16
    python generate_ms.py --prompt 5,17,42 --sample --temperature 0.8 --top-k 20 --seed 1
    python generate_ms.py --prompt 5,17,42 --checkpoint model.safetensors

What changed from the torch file:
- `@torch.no_grad()` dropped: MindSpore builds no backward graph outside `value_and_grad`;
- `torch.topk(...).values` -> `mint.topk(...)[0]`; `torch.sort(x, dim, descending=True)` ->
  `mint.sort(x, dim=..., descending=True)` (dim is keyword-only);
- `torch.isin` has no mint counterpart: compare against each stop token;
- `torch.Generator().manual_seed(s)` -> `mindspore.Generator().manual_seed(s)` (sampled tokens still
  differ from torch's: the random streams differ; greedy decoding gives the same tokens);
- `torch.load` + `load_state_dict` -> `mindspore.load_checkpoint` + `load_param_into_net`;
- no `model.eval()` needed (a Cell starts in inference mode), `set_train(False)` states it.
"""

import argparse
import sys
from pathlib import Path

import mindspore as ms
from mindspore import mint

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "modeling"))
from configuration_cohere2 import Cohere2Config  # noqa: E402
from modeling_cohere2 import Cohere2ForCausalLM  # noqa: E402


def pick_next_token(logits, do_sample, temperature, top_k, top_p, generator):
    """logits: (batch, vocab) -> (batch,) token ids."""
    if not do_sample:
        return mint.argmax(logits, dim=-1)
    logits = logits / temperature
    if top_k > 0:
        kth_largest = mint.topk(logits, top_k, dim=-1)[0][:, -1:]
        logits = logits.masked_fill(logits < kth_largest, float("-inf"))
    if top_p < 1.0:
        sorted_logits, sorted_idx = mint.sort(logits, dim=-1, descending=True)
        sorted_probs = mint.softmax(sorted_logits, dim=-1)
        cumulative = mint.cumsum(sorted_probs, dim=-1)
        drop_sorted = (cumulative - sorted_probs) >= top_p
        drop = mint.scatter(drop_sorted, 1, sorted_idx, drop_sorted)
        logits = logits.masked_fill(drop, float("-inf"))
    probs = mint.softmax(logits, dim=-1)
    return mint.multinomial(probs, num_samples=1, generator=generator).squeeze(-1)


def generate(
    model,
    input_ids,
    max_new_tokens=16,
    do_sample=False,
    temperature=1.0,
    top_k=0,
    top_p=1.0,
    stop_token_ids=(),
    pad_token_id=0,
    seed=None,
):
    """input_ids: (batch, prompt_len) int Tensor -> (batch, prompt_len + n) with n <= max_new_tokens."""
    model.set_train(False)
    generator = ms.Generator().manual_seed(seed) if seed is not None else None
    finished = mint.zeros(input_ids.shape[0], dtype=ms.bool_)
    tokens = input_ids
    logits, _, past = model(input_ids)
    for _ in range(max_new_tokens):
        next_token = pick_next_token(logits[:, -1, :].float(), do_sample, temperature, top_k, top_p, generator)
        next_token = next_token.to(tokens.dtype).masked_fill(finished, pad_token_id)
        tokens = mint.cat([tokens, next_token[:, None]], dim=1)
        for stop_id in stop_token_ids:
            finished = finished | (next_token == stop_id)
        if finished.all():
            break
        logits, _, past = model(next_token[:, None], past_key_values=past)
    return tokens


def build_model(checkpoint=None, seed=0):
    config = Cohere2Config()
    ms.set_seed(seed)
    model = Cohere2ForCausalLM(config)
    if checkpoint:
        fmt = "safetensors" if checkpoint.endswith(".safetensors") else "ckpt"
        not_loaded, _ = ms.load_param_into_net(model, ms.load_checkpoint(checkpoint, format=fmt))
        if not_loaded:
            raise ValueError(f"parameters missing from {checkpoint}: {not_loaded}")
    return model, config


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompt", required=True, help="comma-separated token ids")
    parser.add_argument("--max-new-tokens", type=int, default=16)
    parser.add_argument("--sample", action="store_true", help="sample instead of greedy decoding")
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--top-k", type=int, default=0)
    parser.add_argument("--top-p", type=float, default=1.0)
    parser.add_argument("--stop", default="", help="comma-separated stop token ids (default: eos)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--checkpoint", help=".safetensors or .ckpt (default: random weights)")
    args = parser.parse_args(argv)

    model, config = build_model(args.checkpoint, args.seed)
    prompt = ms.Tensor([[int(t) for t in args.prompt.split(",")]], dtype=ms.int64)
    stop = [int(t) for t in args.stop.split(",") if t] or [config.eos_token_id]
    out = generate(
        model, prompt, args.max_new_tokens, args.sample, args.temperature, args.top_k, args.top_p,
        stop, config.pad_token_id, args.seed,
    )
    print(",".join(str(t) for t in out[0].tolist()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
