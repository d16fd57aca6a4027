"""A training script whose batches come from shuffled data loaders: DataLoader(shuffle=True), and
a RandomSampler with replacement and a huge num_samples (an "infinite" loader)."""

import argparse
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset, RandomSampler

parser = argparse.ArgumentParser()
parser.add_argument("--steps", type=int, required=True)
parser.add_argument("--infinite", action="store_true")
args = parser.parse_args()
torch.manual_seed(7)


class Pairs(Dataset):
    def __init__(self):
        self.x = [[float((i * 7 + j) % 11) / 11 for j in range(6)] for i in range(50)]

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        x = torch.tensor(self.x[i])
        return x, torch.tensor(int(sum(self.x[i]) > 3.05))


data = Pairs()
if args.infinite:
    loader = DataLoader(data, batch_size=4, sampler=RandomSampler(data, replacement=True, num_samples=int(1e10)))
else:
    loader = DataLoader(data, batch_size=4, shuffle=True)
model = nn.Linear(6, 2)
opt = torch.optim.SGD(model.parameters(), lr=0.5)
step = 0
while step < args.steps:
    for x, y in loader:
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        if step == args.steps:
            break
