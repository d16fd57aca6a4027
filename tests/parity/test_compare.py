"""Forward parity on the toy pair: nested outputs, per-dtype tolerance, localisation of faults."""

import numpy as np
import pytest

from torch2ms.parity import assert_parity, compare


def test_a_correct_port_matches_on_every_nested_output(toy_pair, toy_input):
    torch_model, port = toy_pair()
    report = compare(torch_model, port, (toy_input,))
    assert report.ok, report.summary()
    assert [r.path for r in report.results] == ["logits", "hidden.0", "hidden.1"]
    assert all(r.max_abs < 1e-5 and r.rel_fro < 1e-5 for r in report.results)
    assert report.divergence is None


# (fault, module named, evidence): the faults are documented in data/toy_ms.py
FAULTS = [
    ("swapped_bias", "blocks.0.attn", "inputs"),  # seen at o_proj's inputs, made in attn's own code
    ("wrong_eps", "blocks.1.norm2", "output"),
    ("scaled_input", "", "inputs"),  # the top-level forward's own code, before blocks.0
]


@pytest.mark.parametrize("fault, module, evidence", FAULTS, ids=[f[0] for f in FAULTS])
def test_a_broken_port_is_caught_and_the_first_diverging_module_named(toy_pair, toy_input, fault, module, evidence):
    torch_model, port = toy_pair(fault=fault)
    report = compare(torch_model, port, (toy_input,))
    assert not report.ok
    assert report.divergence is not None, report.summary()
    assert (report.divergence.module, report.divergence.evidence) == (module, evidence), report.summary()
    assert f"first diverging sub-module: {module or '<root>'}" in report.summary()


def test_only_the_selected_outputs_are_compared(toy_pair, toy_input):
    # wrong_eps sits in block 1: block 0's hidden state still agrees
    torch_model, port = toy_pair(fault="wrong_eps")
    assert compare(torch_model, port, (toy_input,), outputs=["hidden.0"]).ok
    assert not compare(torch_model, port, (toy_input,), outputs=["hidden.1"], localise=False).ok


def test_assert_helper_fails_with_a_readable_message(toy_pair, toy_input):
    torch_model, port = toy_pair(fault="wrong_eps")
    with pytest.raises(AssertionError) as info:
        assert_parity(torch_model, port, (toy_input,))
    message = str(info.value)
    assert message.startswith("parity (forward): MISMATCH, 1/3 values within tolerance")
    assert "FAIL logits float32[2, 5, 5]: max abs err" in message
    assert "first diverging sub-module: blocks.1.norm2" in message
    torch_model, port = toy_pair()
    assert assert_parity(torch_model, port, (toy_input,)).ok


def test_float16_port_passes_fp16_tolerance_but_not_fp32_tolerance(toy):
    import mindspore
    import torch

    torch_file, ms_file = toy
    torch.manual_seed(0)
    torch_mlp, port = torch_file.MLP(16, 32).half(), ms_file.MLP(16, 32)
    for _, param in port.parameters_and_names():
        param.set_dtype(mindspore.float16)
    x = np.random.default_rng(0).standard_normal((4, 16)).astype(np.float16)
    report = compare(torch_mlp, port, (x,))
    assert report.ok and report.results[0].dtype == "float16", report.summary()
    assert report.results[0].max_abs > 1e-5  # real fp16 rounding differences, within fp16 tolerance
    strict = compare(torch_mlp, port, (x,), tolerances={"float16": {"atol": 1e-5, "rtol": 1e-5}}, localise=False)
    assert not strict.ok


def test_structure_differences_are_reported_by_path():
    import mindspore
    import torch

    class TorchTwo(torch.nn.Module):
        def forward(self, x):
            return {"a": x * 2, "b": x + 1}

    class MsTwo(mindspore.nn.Cell):
        def construct(self, x):
            return {"a": x * 2, "c": x + 1}

    report = compare(TorchTwo(), MsTwo(), (np.ones(3, np.float32),), weights=False, localise=False)
    problems = {r.path: r.problem for r in report.results}
    assert problems == {"a": "", "b": "missing in mindspore", "c": "missing in torch"}
