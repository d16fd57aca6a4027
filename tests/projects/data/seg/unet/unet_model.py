"""The full network."""
import torch
from torch import nn

from .unet_parts import DoubleLinear


class UNet(nn.Module):
    def __init__(self, width=8, classes=3):
        super().__init__()
        self.body = DoubleLinear(width)
        self.head = nn.Linear(width, classes)

    def forward(self, x):
        return self.head(torch.tanh(self.body(x)) + x)
