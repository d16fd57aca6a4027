"""Load a checkpoint written by train.py and continue a prompt.

    python infer.py --ckpt tinygpt.pt --prompt "the river " --tokens 40
"""

import argparse

import torch

from model import GPTConfig, TinyGPT
from textutil import decode, encode


def load_model(path):
    ckpt = torch.load(path, map_location="cpu")
    model = TinyGPT(GPTConfig(**ckpt["config"]))
    model.load_state_dict(ckpt["model"])
    model.eval()
    return model, ckpt["vocab"]


def complete(model, vocab, prompt, tokens, temperature=0.0, seed=0):
    torch.manual_seed(seed)
    idx = torch.tensor([encode(prompt, vocab)], dtype=torch.long)
    with torch.no_grad():
        out = model.generate(idx, tokens, temperature=temperature, top_k=5)
    return decode(out[0].tolist(), vocab)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ckpt", default="tinygpt.pt")
    p.add_argument("--prompt", default="the river ")
    p.add_argument("--tokens", type=int, default=40)
    p.add_argument("--temperature", type=float, default=0.0)
    args = p.parse_args(argv)
    model, vocab = load_model(args.ckpt)
    text = complete(model, vocab, args.prompt, args.tokens, args.temperature)
    print(text)
    return text


if __name__ == "__main__":
    main()
