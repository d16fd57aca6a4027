import argparse

import torch

from charlm import TinyLM

ALPHABET = "abcdefghijklmnopqrstuvwxyz .,!?'"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--prompt", default="hello")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    model = TinyLM(vocab=len(ALPHABET))
    model.eval()
    idx = torch.tensor([[ALPHABET.index(c) for c in args.prompt]], dtype=torch.long)
    out = model.generate(idx, args.steps)
    print("".join(ALPHABET[i] for i in out[0].tolist()))


if __name__ == "__main__":
    main()
