import argparse

import mindspore as ms
from mindspore import mint
from mindspore.dataset import GeneratorDataset

from tinyclf.model import Classifier


class Pairs:
    """(x, y) rows as numpy arrays, for GeneratorDataset."""

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


def synthetic(n: int, in_dim: int, classes: int):
    x = mint.randn(n, in_dim)
    y = mint.randint(0, classes, (n,))
    return Pairs(x.asnumpy(), y.asnumpy())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=1e-2)
    parser.add_argument("--dropout", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    ms.set_seed(args.seed)
    loader = GeneratorDataset(synthetic(64, 8, 3), column_names=["x", "y"], shuffle=False).batch(args.batch_size)
    model = Classifier(dropout=args.dropout)
    optimizer = mint.optim.AdamW(model.trainable_params(), lr=args.lr)

    def forward_fn(x, y):
        logits = model(x)
        return mint.nn.functional.cross_entropy(logits, y), logits

    grad_fn = ms.value_and_grad(forward_fn, None, optimizer.parameters, has_aux=True)
    model.set_train(True)
    for epoch in range(args.epochs):
        for x, y in loader.create_tuple_iterator(num_epochs=1):
            (loss, _), grads = grad_fn(x, y)
            optimizer(grads)
        print(f"epoch {epoch}: loss {float(loss.asnumpy()):.4f}")


if __name__ == "__main__":
    main()
