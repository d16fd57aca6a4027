"""A small MLP, written as plain PyTorch (converted by the engine's model-level tests)."""

import torch
import torch.nn as nn
import torch.nn.functional as F


class MLP(nn.Module):
    def __init__(self, d_in: int = 8, hidden: int = 16, d_out: int = 4):
        super().__init__()
        self.fc1 = nn.Linear(d_in, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.out = nn.Linear(hidden, d_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.fc1(x))
        x = torch.tanh(self.fc2(x)) + x  # residual
        return F.softmax(self.out(x), dim=-1)


ARGS = {"d_in": 8, "hidden": 16, "d_out": 4}
INPUT_SHAPE = (3, 8)
