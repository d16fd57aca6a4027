"""Flattening nested outputs of either framework into comparable leaves."""

import dataclasses

import numpy as np
import pytest

from torch2ms.parity.values import flatten, select, split_inputs, to_framework


def test_nested_torch_output_flattens_to_dotted_paths():
    import torch

    out = {"logits": torch.ones(2, 3), "hidden": [torch.zeros(2), (torch.ones(1, dtype=torch.int64), None)], "n": 3}
    leaves = flatten(out)
    assert list(leaves) == ["logits", "hidden.0", "hidden.1.0", "hidden.1.1", "n"]
    assert leaves["logits"].dtype == "float32" and leaves["logits"].value.shape == (2, 3)
    assert leaves["hidden.1.0"].dtype == "int64"
    assert not leaves["n"].is_tensor and leaves["n"].value == 3


def test_mindspore_tuple_and_parameter_are_leaves():
    import mindspore

    param = mindspore.Parameter(mindspore.Tensor(np.ones(3, np.float32)), name="p")
    leaves = flatten((mindspore.Tensor(np.arange(4, dtype=np.int32)), param))
    assert leaves["0"].dtype == "int32" and leaves["0"].value.tolist() == [0, 1, 2, 3]
    assert leaves["1"].dtype == "float32" and leaves["1"].value.tolist() == [1.0, 1.0, 1.0]


def test_bfloat16_is_compared_in_float32_but_keeps_its_name():
    import torch

    leaf = flatten(torch.tensor([1.5, -2.0], dtype=torch.bfloat16))[""]
    assert leaf.dtype == "bfloat16" and leaf.value.dtype == np.float32
    assert leaf.value.tolist() == [1.5, -2.0]


def test_hf_model_output_is_a_mapping_of_its_set_fields():
    import torch
    from transformers.modeling_outputs import CausalLMOutputWithPast

    out = CausalLMOutputWithPast(logits=torch.ones(1, 2), hidden_states=(torch.zeros(1), torch.ones(1)))
    assert list(flatten(out)) == ["logits", "hidden_states.0", "hidden_states.1"]


def test_dataclass_output_and_opaque_objects_are_listed():
    @dataclasses.dataclass
    class Out:
        y: np.ndarray
        cache: object = None
        extra: object = None

    leaves = flatten(Out(np.ones(2, np.float32), cache=object()))
    assert set(leaves) == {"y", "cache"}  # None fields are left out, objects kept for the report
    assert not leaves["cache"].comparable


@pytest.mark.parametrize(
    "inputs, args, kwargs",
    [
        ((1, 2), (1, 2), {}),
        ({"x": 1}, (), {"x": 1}),
        (((1,), {"m": 2}), (1,), {"m": 2}),
        (5, (5,), {}),
    ],
)
def test_split_inputs(inputs, args, kwargs):
    assert split_inputs(inputs) == (args, kwargs)


def test_select_keeps_paths_and_their_children():
    leaves = flatten({"a": np.ones(1), "b": [np.ones(1), np.ones(1)], "bb": np.ones(1)})
    assert list(select(leaves, ["b"])) == ["b.0", "b.1"]
    assert list(select(leaves, None)) == ["a", "b.0", "b.1", "bb"]


def test_each_framework_gets_its_own_copy_of_the_numpy_input():
    import mindspore
    import torch

    x = np.arange(3, dtype=np.float32)
    t, m = to_framework([x], "torch")[0], to_framework({"x": x}, "mindspore")["x"]
    assert isinstance(t, torch.Tensor) and isinstance(m, mindspore.Tensor)
    t += 1  # an in-place op on one side must not leak into the other side's input
    assert x.tolist() == [0.0, 1.0, 2.0] and m.asnumpy().tolist() == [0.0, 1.0, 2.0]
