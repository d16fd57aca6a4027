"""The port of loader_torch.py: GeneratorDataset(shuffle=True), and a RandomSampler with replacement."""

import argparse
import mindspore
import numpy as np
from mindspore import dataset as ds
from mindspore import mint

parser = argparse.ArgumentParser()
parser.add_argument("--steps", type=int, required=True)
parser.add_argument("--infinite", action="store_true")
args = parser.parse_args()
mindspore.set_seed(7)


class Pairs:
    def __init__(self):
        self.x = [[float((i * 7 + j) % 11) / 11 for j in range(6)] for i in range(50)]

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        x = np.array(self.x[i], dtype=np.float32)
        return x, np.int64(sum(self.x[i]) > 3.05)


data = Pairs()
if args.infinite:
    loader = ds.GeneratorDataset(data, column_names=["x", "y"],
                                 sampler=ds.RandomSampler(replacement=True, num_samples=int(1e10))).batch(4)
else:
    loader = ds.GeneratorDataset(data, column_names=["x", "y"], shuffle=True).batch(4)
model = mint.nn.Linear(6, 2)
opt = mint.optim.SGD(model.trainable_params(), lr=0.5)


def forward(x, y):
    return mint.nn.functional.cross_entropy(model(x), y)


grad_fn = mindspore.value_and_grad(forward, None, opt.parameters)
step = 0
while step < args.steps:
    for x, y in loader.create_tuple_iterator(num_epochs=1):
        loss, grads = grad_fn(x, y)
        opt(grads)
        step += 1
        if step == args.steps:
            break
