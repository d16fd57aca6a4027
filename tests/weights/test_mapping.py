"""parity's weight mapping with a checkpoint on either side: layouts, tied names, port buffers."""

import numpy as np
import pytest

from torch2ms.parity.weights import WeightTransferError, plan_transfer, transfer_weights


def test_a_state_dict_maps_onto_the_port_with_the_layout_and_alias_rules(net):
    net_torch, net_ms = net
    model, port = net_torch.trained(), net_ms.Net(net_ms.NetConfig())
    report = transfer_weights(model.state_dict(), port)
    assert report.ok
    assert report.reshaped == [("conv.weight", "conv.weight", (16, 16, 3), (16, 16, 1, 3))]
    assert sorted(report.aliased) == [("norm.bias", "norm.beta"), ("norm.weight", "norm.gamma")]
    assert report.ms_tied == [("head.weight", "embed.weight")]  # listed once in the port; equal values
    np.testing.assert_array_equal(port.conv.weight.asnumpy()[:, :, 0, :], model.conv.weight.detach().numpy())


def test_the_same_rules_work_backwards_from_a_port_checkpoint(net):
    """torch model on the torch side, the port's checkpoint (name -> tensor) on the other."""
    net_torch, net_ms = net
    port = net_ms.Net(net_ms.NetConfig())
    transfer_weights(net_torch.trained(seed=1), port)
    checkpoint = {p.name: p for p in port.get_parameters()}
    report, plan = plan_transfer(net_torch.Net(net_torch.NetConfig()), checkpoint)
    assert report.ok and report.tied == [("head.weight", "embed.weight")]
    assert [(c.torch_name, c.ms_shape) for c in plan if c.ms_shape] == [("conv.weight", (16, 16, 1, 3))]


def test_a_reshape_needs_a_layer_of_the_layouts_table():
    """An extra axis of size 1 on an ordinary layer is a mismatch, not a layout."""
    import torch
    from mindspore import mint

    port = mint.nn.Linear(3, 4)
    with pytest.raises(WeightTransferError, match=r"shape mismatch: torch weight \[4, 1, 3\]"):
        transfer_weights({"weight": torch.zeros(4, 1, 3), "bias": torch.zeros(4)}, port)


def test_the_checkpoint_may_name_a_tied_weight_by_its_other_path():
    import mindspore
    import torch
    from mindspore import mint

    class Tied(mindspore.nn.Cell):
        def __init__(self):
            super().__init__()
            self.embed = mint.nn.Embedding(5, 3)
            self.head = mint.nn.Linear(3, 5, bias=False)
            self.head.weight = self.embed.weight

    weight = torch.randn(5, 3)
    port = Tied()
    report = transfer_weights({"head.weight": weight}, port)  # HF checkpoints keep either name
    assert report.ok and report.ms_tied == [("head.weight", "embed.weight")]
    np.testing.assert_array_equal(port.embed.weight.asnumpy(), weight.numpy())
    with pytest.raises(WeightTransferError, match="tied in mindspore but unequal in torch: head.weight"):
        transfer_weights({"embed.weight": weight, "head.weight": weight + 1}, Tied())


def test_older_nn_prelu_takes_torch_weight():
    import torch
    from mindspore import nn

    port = nn.PReLU()
    report = transfer_weights({"weight": torch.tensor([0.3])}, port)
    assert report.aliased == [("weight", "w")]
    assert np.allclose(port.w.asnumpy(), 0.3)


def test_port_buffers_are_named_and_non_persistent_ones_need_no_value():
    import mindspore
    import torch

    class Buffers(mindspore.nn.Cell):
        def __init__(self):
            super().__init__()
            self.register_buffer("scale", mindspore.Tensor(np.ones(2, np.float32)))
            self.register_buffer("cache", mindspore.Tensor(np.ones(2, np.float32)), persistent=False)

    port = Buffers()
    report = transfer_weights({"scale": torch.tensor([2.0, 3.0])}, port)
    assert report.ok and report.buffers == ["scale"] and report.ms_recomputed == ["cache"]
    assert port.scale.asnumpy().tolist() == [2.0, 3.0]


def test_parameter_names_that_differ_from_attribute_paths_are_recorded():
    """A container attached before it was filled: load_param_into_net goes by Parameter.name."""
    import mindspore
    import torch
    from mindspore import mint

    class Late(mindspore.nn.Cell):
        def __init__(self):
            super().__init__()
            self.blocks = mindspore.nn.CellList()
            self.blocks.append(mint.nn.Linear(2, 2))

    report, _ = plan_transfer({"blocks.0.weight": torch.zeros(2, 2), "blocks.0.bias": torch.zeros(2)}, Late())
    assert report.ok and report.ms_keys == {"blocks.0.weight": "0.weight", "blocks.0.bias": "0.bias"}
