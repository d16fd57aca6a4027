"""A match where every compared value is exactly 0 on both sides (a fresh model whose output layer
starts at zero) proves nothing: `parity`, `parity-run` and the check's notes say so."""

import types

import numpy as np

from torch2ms.parity import compare
TRIVIAL = "a trivial match: nothing non-zero was compared"

X = np.arange(6, dtype=np.float32).reshape(2, 3)


def _pair(zero: bool):
    import torch
    from mindspore import mint

    torch.manual_seed(0)
    layer = torch.nn.Linear(3, 2)
    if zero:
        with torch.no_grad():
            layer.weight.zero_()
            layer.bias.zero_()
    return layer, mint.nn.Linear(3, 2)


def test_parity_warns_when_only_zeros_were_compared():
    report = compare(*_pair(zero=True), (X,))
    assert report.ok and report.trivial and report.as_dict()["trivial"]
    assert report.summary().splitlines()[0].endswith(f"within tolerance; warning: {TRIVIAL}")
    report = compare(*_pair(zero=False), (X,))
    assert report.ok and not report.trivial
    assert "warning" not in report.summary()


def _records(torch_out, port_out, losses=((), ())):
    from torch2ms.parity.run_cli import compare_records

    tol = {"atol": 1e-4, "rtol": 1e-4}
    return compare_records({"losses": list(losses[0])}, {"losses": list(losses[1])},
                           {"forward": torch_out}, {"forward": port_out}, tol, 2)


def test_parity_run_warns_when_only_zeros_were_compared(capsys):
    from torch2ms.parity.run_cli import _report

    zeros = [{"out": np.zeros((2, 2), np.float32)}]
    settings = {"steps": 1, "tolerance": {"atol": 1e-4, "rtol": 1e-4}}
    data = {"losses": [], "captured": "call", "model": "Net", "events": []}
    result = _records(zeros, zeros)
    assert result["ok"] and result["trivial"]
    assert _report(result, dict(data), dict(data), settings, False) == 0
    assert capsys.readouterr().out.splitlines()[0].endswith(f"; warning: {TRIVIAL}")
    ones = [{"out": np.ones((2, 2), np.float32)}]
    assert not _records(ones, ones)["trivial"]
    assert _records([], [], losses=([0.0, 0.0], [0.0, 0.0]))["trivial"]
    assert not _records([], [], losses=([0.5], [0.5]))["trivial"]


def test_the_check_keeps_the_warning_in_its_notes(tmp_path):
    from torch2ms.check.findings import FileResult
    from torch2ms.check.runtime import _verdict

    result = FileResult(path="m.py")
    text = f"parity (forward): MATCH, 1/1 values within tolerance; warning: {TRIVIAL}\n"
    outcome = types.SimpleNamespace(returncode=0, timed_out=False, stdout=text, stderr="")
    assert _verdict(outcome, text, None, "parity", tmp_path / "m.parity.yaml", result) == "ok"
    assert result.notes == [f"parity: m.parity.yaml matches: 1 values (warning: {TRIVIAL})"]
