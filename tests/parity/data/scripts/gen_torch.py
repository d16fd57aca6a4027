"""Generation from a model of its own: greedy, or sampled with torch.multinomial (--sample)."""

import argparse
import torch
import torch.nn as nn
import torch.nn.functional as F

parser = argparse.ArgumentParser()
parser.add_argument("--tokens", type=int, default=10)
parser.add_argument("--sample", action="store_true")
args = parser.parse_args()


class LM(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(10, 16)
        self.head = nn.Linear(16, 10)

    def forward(self, idx):
        return self.head(self.emb(idx))

    @torch.no_grad()
    def generate(self, idx, n):
        for _ in range(n):
            logits = self(idx)[:, -1, :]
            if args.sample:
                nxt = torch.multinomial(F.softmax(logits, dim=-1), 1)
            else:
                nxt = logits.argmax(-1, keepdim=True)
            idx = torch.cat([idx, nxt], dim=1)
        return idx


model = LM()
model.eval()
print(model.generate(torch.zeros((2, 1), dtype=torch.long), args.tokens).tolist())
