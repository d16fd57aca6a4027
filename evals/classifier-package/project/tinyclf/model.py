import torch
import torch.nn as nn
import torch.nn.functional as F


class Classifier(nn.Module):
    """LayerNorm, then a two-layer MLP with GELU."""

    def __init__(self, in_dim: int = 8, hidden: int = 16, classes: int = 3, dropout: float = 0.1):
        super().__init__()
        self.norm = nn.LayerNorm(in_dim)
        self.fc1 = nn.Linear(in_dim, hidden)
        self.drop = nn.Dropout(dropout)
        self.fc2 = nn.Linear(hidden, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.gelu(self.fc1(self.norm(x)))
        return self.fc2(self.drop(h))

    @torch.no_grad()
    def predict(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward(x).argmax(dim=-1)
