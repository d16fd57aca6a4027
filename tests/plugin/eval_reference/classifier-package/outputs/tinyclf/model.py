import mindspore as ms
from mindspore import mint, nn


class Classifier(nn.Cell):
    """LayerNorm, then a two-layer MLP with GELU."""

    def __init__(self, in_dim: int = 8, hidden: int = 16, classes: int = 3, dropout: float = 0.1):
        super().__init__()
        self.norm = mint.nn.LayerNorm(in_dim)
        self.fc1 = mint.nn.Linear(in_dim, hidden)
        self.drop = mint.nn.Dropout(dropout)
        self.fc2 = mint.nn.Linear(hidden, classes)

    def construct(self, x: ms.Tensor) -> ms.Tensor:
        h = mint.nn.functional.gelu(self.fc1(self.norm(x)))
        return self.fc2(self.drop(h))

    def predict(self, x: ms.Tensor) -> ms.Tensor:
        return mint.argmax(self.construct(x), dim=-1)
