"""MindSpore port of `lstm_torch.py`: `nn.LSTM` is MindSpore's own layer (mint has no LSTM); it
keeps torch's parameter names and gate order."""

from mindspore import mint, nn


class CharLSTM(nn.Cell):
    def __init__(self, vocab_size=64, embed=64, hidden=128, layers=2):
        super().__init__()
        self.embed = mint.nn.Embedding(vocab_size, embed)
        self.lstm = nn.LSTM(embed, hidden, num_layers=layers, batch_first=True)
        self.head = mint.nn.Linear(hidden, vocab_size)

    def construct(self, idx, targets=None):
        out, _ = self.lstm(self.embed(idx))
        logits = self.head(out)
        loss = None
        if targets is not None:
            loss = mint.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
        return logits, loss


def build_model(**kwargs):
    return CharLSTM(**kwargs)
