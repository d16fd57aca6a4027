import torch
import torch.nn as nn


class ConvBlock(nn.Module):
    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel_size=3, padding=1)
        self.bn = nn.BatchNorm2d(cout)
        self.pool = nn.MaxPool2d(2)

    def forward(self, x):
        return self.pool(torch.relu(self.bn(self.conv(x))))


class SmallCNN(nn.Module):
    def __init__(self, classes: int = 10, width: int = 8):
        super().__init__()
        self.blocks = nn.ModuleList([ConvBlock(1, width), ConvBlock(width, 2 * width)])
        self.head = nn.Linear(2 * width * 4 * 4, classes)

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return self.head(torch.flatten(x, 1))
