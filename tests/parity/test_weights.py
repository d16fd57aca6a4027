"""Weight transfer by name: everything maps, or the report says what does not."""

import numpy as np
import pytest

from torch2ms.parity import WeightTransferError, transfer_weights


def ms_values(cell):
    return {name: p.asnumpy().copy() for name, p in cell.parameters_and_names()}


def test_every_parameter_and_buffer_is_copied(toy_pair):
    torch_model, port = toy_pair()
    report = transfer_weights(torch_model, port)
    assert report.ok and len(report.copied) == len(torch_model.state_dict())
    for name, value in ms_values(port).items():
        np.testing.assert_array_equal(value, torch_model.state_dict()[name].numpy(), err_msg=name)
    # the buffer (non-zero on the torch side, zeros in a fresh port) came along
    np.testing.assert_array_equal(port.offset.asnumpy(), torch_model.offset.numpy())
    assert np.abs(port.offset.asnumpy()).sum() > 0


def test_unmatched_names_are_listed_on_both_sides_and_nothing_is_copied(toy_pair):
    torch_model, port = toy_pair(fault="renamed")
    before = ms_values(port)
    with pytest.raises(WeightTransferError) as info:
        transfer_weights(torch_model, port)
    report = info.value.report
    assert sorted(report.torch_only) == sorted(
        f"blocks.{i}.mlp.{layer}.{kind}" for i in (0, 1) for layer in ("fc1", "fc2") for kind in ("weight", "bias")
    )
    assert sorted(report.ms_only) == sorted(
        f"blocks.{i}.mlp.{layer}.{kind}" for i in (0, 1) for layer in ("up", "down") for kind in ("weight", "bias")
    )
    assert "only in torch (8): blocks.0.mlp.fc1.weight" in str(info.value)
    after = ms_values(port)
    assert all(np.array_equal(before[n], after[n]) for n in before)  # no partial load


def test_a_rename_mapping_fixes_a_port_that_deviates(toy_pair):
    torch_model, port = toy_pair(fault="renamed")
    rename = {f"blocks.{i}.mlp.fc{j}.": f"blocks.{i}.mlp.{new}." for i in (0, 1) for j, new in ((1, "up"), (2, "down"))}
    report = transfer_weights(torch_model, port, rename=rename)
    assert report.ok and ("blocks.1.mlp.fc2.bias", "blocks.1.mlp.down.bias") in report.copied
    np.testing.assert_array_equal(port.blocks[1].mlp.up.weight.asnumpy(), torch_model.blocks[1].mlp.fc1.weight.detach().numpy())


def test_shape_mismatch_is_reported_and_non_strict_loads_the_rest(toy_pair):
    torch_model, port = toy_pair(fault="wide_head")
    with pytest.raises(WeightTransferError, match=r"shape mismatch: torch head.weight \[5, 16\] vs mindspore head.weight \[6, 16\]"):
        transfer_weights(torch_model, port)
    report = transfer_weights(torch_model, port, strict=False)
    assert {m[0] for m in report.shape_mismatch} == {"head.weight", "head.bias"}
    np.testing.assert_array_equal(port.in_proj.weight.asnumpy(), torch_model.in_proj.weight.detach().numpy())


def test_tied_weights_and_older_nn_layer_names():
    import mindspore
    import torch

    class TorchLM(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = torch.nn.Embedding(10, 4)
            self.norm = torch.nn.LayerNorm(4)
            self.head = torch.nn.Linear(4, 10, bias=False)
            self.head.weight = self.emb.weight

    class MsLM(mindspore.nn.Cell):  # the older nn layers: embedding_table, gamma, beta
        def __init__(self):
            super().__init__()
            self.emb = mindspore.nn.Embedding(10, 4)
            self.norm = mindspore.nn.LayerNorm((4,))

    torch.manual_seed(0)
    torch_model, port = TorchLM(), MsLM()
    report = transfer_weights(torch_model, port)
    assert report.tied == [("head.weight", "emb.weight")]
    assert sorted(report.aliased) == [("emb.weight", "emb.embedding_table"), ("norm.bias", "norm.beta"), ("norm.weight", "norm.gamma")]
    np.testing.assert_array_equal(port.emb.embedding_table.asnumpy(), torch_model.emb.weight.detach().numpy())
    with pytest.raises(WeightTransferError, match="only in mindspore"):
        transfer_weights(torch_model, port, aliases=False)


def test_non_persistent_buffers_go_into_tensor_attributes_or_are_listed():
    import mindspore
    import torch

    class TorchRope(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("inv_freq", torch.arange(3.0) + 1, persistent=False)
            self.register_buffer("cache", torch.ones(2), persistent=False)

    class MsRope(mindspore.nn.Cell):
        def __init__(self):
            super().__init__()
            self.inv_freq = mindspore.Tensor(np.zeros(3, np.float32))  # a plain attribute, as mindone does

    port = MsRope()
    report = transfer_weights(TorchRope(), port)
    assert ("inv_freq", "inv_freq") in report.copied and report.recomputed == ["cache"]
    assert port.inv_freq.asnumpy().tolist() == [1.0, 2.0, 3.0]
    assert "non-persistent torch buffers not held by the port: cache" in report.summary()


def test_batch_norm_step_counters_the_port_lacks_are_listed_not_refused():
    """mindcv's and mindspore.nn's batch norms hold no num_batches_tracked: torch's counter (read
    only without momentum; the outputs compared show it) is listed apart, the rest copied."""
    import mindspore
    import torch

    class TorchNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(3, 4)
            self.bn = torch.nn.BatchNorm1d(4)

    class MsNet(mindspore.nn.Cell):
        def __init__(self):
            super().__init__()
            self.fc = mindspore.mint.nn.Linear(3, 4)
            self.bn = mindspore.nn.BatchNorm1d(4)  # gamma, beta, moving_mean, moving_variance

    report = transfer_weights(TorchNet(), MsNet())
    assert report.ok and report.counters == ["bn.num_batches_tracked"] and not report.torch_only
    assert "batch-norm step counters not held by the port (1): bn.num_batches_tracked" in report.summary()
    assert len(report.copied) == 6

    class Counter(torch.nn.Module):  # a buffer of that name outside a batch norm is no counter
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(3, 4)
            self.register_buffer("num_batches_tracked", torch.tensor(0))

    with pytest.raises(WeightTransferError, match="only in torch"):
        transfer_weights(Counter(), MsNet())
