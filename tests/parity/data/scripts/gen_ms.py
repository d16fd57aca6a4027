"""The port of gen_torch.py."""

import argparse
import mindspore
from mindspore import mint, nn

parser = argparse.ArgumentParser()
parser.add_argument("--tokens", type=int, default=10)
parser.add_argument("--sample", action="store_true")
args = parser.parse_args()


class LM(nn.Cell):
    def __init__(self):
        super().__init__()
        self.emb = mint.nn.Embedding(10, 16)
        self.head = mint.nn.Linear(16, 10)

    def construct(self, idx):
        return self.head(self.emb(idx))

    def generate(self, idx, n):
        for _ in range(n):
            logits = self(idx)[:, -1, :]
            if args.sample:
                nxt = mint.multinomial(mint.nn.functional.softmax(logits, dim=-1), 1)
            else:
                nxt = logits.argmax(-1, keepdims=True)
            idx = mint.cat([idx, nxt], dim=1)
        return idx


model = LM()
model.set_train(False)
print(model.generate(mint.zeros((2, 1), dtype=mindspore.int64), args.tokens).asnumpy().tolist())
