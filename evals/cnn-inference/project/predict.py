import argparse

import torch

from digits import SmallCNN


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--checkpoint", default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    model = SmallCNN()
    if args.checkpoint:
        model.load_state_dict(torch.load(args.checkpoint, map_location="cpu"))
    model.eval()
    images = torch.rand(args.batch, 1, 16, 16)
    with torch.no_grad():
        logits = model(images)
    probs = torch.softmax(logits, dim=-1)
    print("classes:", probs.argmax(dim=-1).tolist())
    print("confidence:", [round(p, 3) for p in probs.max(dim=-1).values.tolist()])


if __name__ == "__main__":
    main()
