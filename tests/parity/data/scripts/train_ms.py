"""The port of train_torch.py: value_and_grad, mint.optim, batches drawn with mint.randint."""

import argparse
import mindspore
from mindspore import mint, nn

parser = argparse.ArgumentParser()
parser.add_argument("--steps", type=int, required=True)
parser.add_argument("--lr", type=float, default=0.01)
parser.add_argument("--dropout", type=float, default=0.1)
args = parser.parse_args()
mindspore.set_seed(1337)
data = mindspore.Tensor([int(c) for c in open("digits.txt").read().split()], dtype=mindspore.int64)


class Net(nn.Cell):
    def __init__(self):
        super().__init__()
        self.emb = mint.nn.Embedding(10, 16)
        self.drop = mint.nn.Dropout(args.dropout)
        self.head = mint.nn.Linear(16, 10)

    def construct(self, x, y):
        logits = self.head(self.drop(self.emb(x)))
        return mint.nn.functional.cross_entropy(logits.view(-1, 10), y.view(-1))


model = Net()
opt = mint.optim.AdamW(model.trainable_params(), lr=args.lr)
grad_fn = mindspore.value_and_grad(model, None, opt.parameters)
for step in range(args.steps):
    ix = mint.randint(0, len(data) - 9, (4,))
    x = mint.stack([data[int(i):int(i) + 8] for i in ix])
    y = mint.stack([data[int(i) + 1:int(i) + 9] for i in ix])
    model.set_train(True)
    loss, grads = grad_fn(x, y)
    opt(grads)
    print(step, float(loss.asnumpy()))
