"""From the same initial weights and data, torch and MindSpore training give the same losses."""

import numpy as np
import pytest
import torch

import mindspore as ms
from torch2ms.parity import transfer_weights

import modeling_cohere2
import modeling_cohere2_torch
import train_ms
import train_torch

STEPS = 4


def pair():
    config = train_torch.small_config()
    torch.manual_seed(0)
    pt = modeling_cohere2_torch.Cohere2ForCausalLM(config)
    port = modeling_cohere2.Cohere2ForCausalLM(config)
    assert transfer_weights(pt, port).ok
    return pt, port


def test_same_data():
    for (a, b), (c, d) in zip(train_torch.make_batches(3), train_ms.make_batches(3)):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)


@pytest.mark.parametrize("accum_steps", [2])
def test_losses_agree(accum_steps, monkeypatch):
    made = []

    class RecordedAdamW(ms.mint.optim.AdamW):  # the port must train with mint.optim.AdamW
        def __init__(self, *args, **kwargs):
            made.append(kwargs)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(ms.mint.optim, "AdamW", RecordedAdamW)
    pt, port = pair()
    batches = train_torch.make_batches(STEPS * accum_steps)
    # max_grad_norm below the gradient norm (about 0.12 at the start), so clipping really acts.
    want = train_torch.train(pt, batches, lr=2e-2, accum_steps=accum_steps, max_grad_norm=0.05)
    got = train_ms.train(port, batches, lr=2e-2, accum_steps=accum_steps, max_grad_norm=0.05)
    assert len(want) == len(got) == STEPS
    assert made == [{"lr": 2e-2, "weight_decay": 0.01}]
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    assert want[-1] < want[0] - 0.05  # the steps really train (measured: 4.16 -> 4.07)
    # ... and the weights after training agree too.
    state = pt.state_dict()
    for param in port.get_parameters():
        np.testing.assert_allclose(param.asnumpy(), state[param.name].detach().numpy(), atol=1e-4, err_msg=param.name)
