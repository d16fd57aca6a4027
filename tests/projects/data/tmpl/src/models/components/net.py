import math

import torch
from torch import nn

from src.utils.available import _NUMPY_AVAILABLE

RELU_GAIN = math.sqrt(2.0)


class Net(nn.Module):
    def __init__(self, width: int = 8, classes: int = 4):
        super().__init__()
        self.fc = nn.Linear(width, width)
        self.out = nn.Linear(width, classes)
        self.use_numpy = _NUMPY_AVAILABLE

    def forward(self, x):
        return self.out(torch.relu(self.fc(x)) * RELU_GAIN)
