import torch
from torch import nn

from utils.data_loading import SCALE, load_image


def scaled_image(name):
    return torch.tensor(load_image(name)) * SCALE


class ScaledHead(nn.Module):
    def __init__(self, width=4):
        super().__init__()
        self.fc = nn.Linear(width, width)

    def forward(self, x):
        return self.fc(x) * SCALE
