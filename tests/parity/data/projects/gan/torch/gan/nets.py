import torch.nn as nn


class Generator(nn.Module):
    def __init__(self, nz=3, width=8, out=4):
        super().__init__()
        self.main = nn.Sequential(nn.Linear(nz, width), nn.Tanh(), nn.Linear(width, out))

    def forward(self, z):
        return self.main(z)


class Discriminator(nn.Module):
    def __init__(self, inp=4, width=8):
        super().__init__()
        self.main = nn.Sequential(nn.Linear(inp, width), nn.Tanh(), nn.Linear(width, 1))

    def forward(self, x):
        return self.main(x)
