"""A module in the style of a LightningModule: it trains a net given to it."""
from mindspore import mint, nn


class LitModule(nn.Cell):
    def __init__(self, net: nn.Cell, temperature: float = 1.0):
        super().__init__()
        self.net = net
        self.temperature = temperature
        self.criterion = mint.nn.CrossEntropyLoss()

    def construct(self, x):
        return mint.softmax(self.net(x) / self.temperature, dim=-1)


class Ensemble(nn.Cell):
    """A wrapper around two models."""

    def __init__(self, first: nn.Cell, second: nn.Cell):
        super().__init__()
        self.first = first
        self.second = second

    def construct(self, x):
        return self.first(x) + self.second(x)
