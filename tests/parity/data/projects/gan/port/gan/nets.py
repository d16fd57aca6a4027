from mindspore import mint, nn


class Generator(nn.Cell):
    def __init__(self, nz=3, width=8, out=4):
        super().__init__()
        self.main = nn.SequentialCell(mint.nn.Linear(nz, width), mint.nn.Tanh(), mint.nn.Linear(width, out))

    def construct(self, z):
        return self.main(z)


class Discriminator(nn.Cell):
    def __init__(self, inp=4, width=8):
        super().__init__()
        self.main = nn.SequentialCell(mint.nn.Linear(inp, width), mint.nn.Tanh(), mint.nn.Linear(width, 1))

    def construct(self, x):
        return self.main(x)
