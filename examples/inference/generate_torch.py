"""Text generation with the Cohere2 example model, in PyTorch (the "before" side).

Greedy decoding or sampling (temperature, top-k, top-p), a KV cache, stop tokens, a command line:

    python generate_torch.py --prompt 5,17,42 --max-new-tokens 16
    python generate_torch.py --prompt 5,17,42 --sample --temperature 0.8 --top-k 20 --seed 1
    python generate_torch.py --prompt 5,17,42 --checkpoint model.pt

Token ids in, token ids out: the example has no tokenizer (a tokenizer carries no tensors and
stays the same on both sides).
"""

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "modeling"))
from configuration_cohere2 import Cohere2Config  # noqa: E402
from modeling_cohere2_torch import Cohere2ForCausalLM  # noqa: E402


def pick_next_token(logits, do_sample, temperature, top_k, top_p, generator):
    """logits: (batch, vocab) -> (batch,) token ids."""
    if not do_sample:
        return logits.argmax(dim=-1)
    logits = logits / temperature
    if top_k > 0:
        kth_largest = torch.topk(logits, top_k, dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth_largest, float("-inf"))
    if top_p < 1.0:
        sorted_logits, sorted_idx = torch.sort(logits, dim=-1, descending=True)
        cumulative = torch.cumsum(torch.softmax(sorted_logits, dim=-1), dim=-1)
        # Drop a token when the tokens ranked above it already reach top_p (the first always stays).
        drop_sorted = (cumulative - torch.softmax(sorted_logits, dim=-1)) >= top_p
        drop = drop_sorted.scatter(1, sorted_idx, drop_sorted)
        logits = logits.masked_fill(drop, float("-inf"))
    probs = torch.softmax(logits, dim=-1)
    return torch.multinomial(probs, num_samples=1, generator=generator).squeeze(-1)


@torch.no_grad()
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
    """input_ids: (batch, prompt_len) LongTensor -> (batch, prompt_len + n) with n <= max_new_tokens.

    A row that produced a stop token is finished: it gets `pad_token_id` from then on, and
    generation ends when all rows are finished.
    """
    model.eval()
    generator = torch.Generator().manual_seed(seed) if seed is not None else None
    stop = torch.tensor(list(stop_token_ids), dtype=torch.long)
    finished = torch.zeros(input_ids.shape[0], dtype=torch.bool)
    tokens = input_ids
    logits, _, past = model(input_ids)  # prefill: the whole prompt at once
    for _ in range(max_new_tokens):
        next_token = pick_next_token(logits[:, -1, :].float(), do_sample, temperature, top_k, top_p, generator)
        next_token = next_token.masked_fill(finished, pad_token_id)
        tokens = torch.cat([tokens, next_token[:, None]], dim=1)
        finished = finished | torch.isin(next_token, stop)
        if finished.all():
            break
        logits, _, past = model(next_token[:, None], past_key_values=past)  # one new token, cached keys
    return tokens


def build_model(checkpoint=None, seed=0):
    config = Cohere2Config()
    torch.manual_seed(seed)
    model = Cohere2ForCausalLM(config)
    if checkpoint:
        model.load_state_dict(torch.load(checkpoint, map_location="cpu"))
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
    parser.add_argument("--checkpoint", help="a state dict saved with torch.save (default: random weights)")
    args = parser.parse_args(argv)

    model, config = build_model(args.checkpoint, args.seed)
    prompt = torch.tensor([[int(t) for t in args.prompt.split(",")]])
    stop = [int(t) for t in args.stop.split(",") if t] or [config.eos_token_id]
    out = generate(
        model, prompt, args.max_new_tokens, args.sample, args.temperature, args.top_k, args.top_p,
        stop, config.pad_token_id, args.seed,
    )
    print(",".join(str(t) for t in out[0].tolist()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
