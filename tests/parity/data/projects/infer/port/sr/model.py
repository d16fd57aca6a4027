from mindspore import mint, nn


class Net(nn.Cell):
    def __init__(self, width=6):
        super().__init__()
        self.body = mint.nn.Linear(4, width)
        self.head = mint.nn.Linear(width, 2)

    def construct(self, x):
        return self.head(mint.nn.functional.relu(self.body(x)))
