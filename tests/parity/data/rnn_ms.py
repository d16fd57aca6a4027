"""The MindSpore port of rnn_torch.py."""

import mindspore
from mindspore import mint, nn


class RNNModel(nn.Cell):
    def __init__(self, ntoken, ninp, nhid, nlayers, dropout=0.5):
        super().__init__()
        self.drop = mint.nn.Dropout(dropout)
        self.encoder = mint.nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = mint.nn.Linear(nhid, ntoken)

    def construct(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        return mint.nn.functional.log_softmax(self.decoder(output), dim=-1), hidden


class Regressor(nn.Cell):
    def __init__(self, dim):
        super().__init__()
        self.fc = mint.nn.Linear(dim, 1)

    def construct(self, x, target, options):
        pred = self.fc(x * options["scale"]).squeeze(-1)
        return mint.nn.functional.mse_loss(pred, target)
