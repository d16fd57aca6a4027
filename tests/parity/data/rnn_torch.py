"""Two torch models in one file, for multi-case specs: an LSTM language model taking its hidden
state (h, c), with a fixed dropout; and a regressor that returns its loss."""

import torch
import torch.nn as nn
import torch.nn.functional as F


class RNNModel(nn.Module):
    def __init__(self, ntoken, ninp, nhid, nlayers, dropout=0.5):
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        return F.log_softmax(self.decoder(output), dim=-1), hidden


class Regressor(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.fc = nn.Linear(dim, 1)

    def forward(self, x, target, options):
        pred = self.fc(x * options["scale"]).squeeze(-1)
        return F.mse_loss(pred, target)
