"""A flat training script: a required flag, data read at top level, batches drawn with torch.randint."""

import argparse
import torch
import torch.nn as nn
import torch.nn.functional as F

parser = argparse.ArgumentParser()
parser.add_argument("--steps", type=int, required=True)
parser.add_argument("--lr", type=float, default=0.01)
parser.add_argument("--dropout", type=float, default=0.1)
args = parser.parse_args()
torch.manual_seed(1337)
data = torch.tensor([int(c) for c in open("digits.txt").read().split()], dtype=torch.long)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(10, 16)
        self.drop = nn.Dropout(args.dropout)
        self.head = nn.Linear(16, 10)

    def forward(self, x, y):
        logits = self.head(self.drop(self.emb(x)))
        return F.cross_entropy(logits.view(-1, 10), y.view(-1))


model = Net()
opt = torch.optim.AdamW(model.parameters(), lr=args.lr)
for step in range(args.steps):
    ix = torch.randint(len(data) - 9, (4,))
    x = torch.stack([data[i:i + 8] for i in ix])
    y = torch.stack([data[i + 1:i + 9] for i in ix])
    model.train()
    loss = model(x, y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, loss.item())
