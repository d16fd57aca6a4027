"""Parts of the network."""
from mindspore import mint, nn


class DoubleLinear(nn.Cell):
    def __init__(self, width):
        super().__init__()
        self.first = mint.nn.Linear(width, width)
        self.second = mint.nn.Linear(width, width)

    def construct(self, x):
        return self.second(mint.nn.functional.relu(self.first(x)))
