"""The divergence walk itself, on hand-made timelines (no model run)."""

import numpy as np

from torch2ms.parity.localise import Call, first_divergence, module_name_map
from torch2ms.parity.metrics import resolve_tolerances
from torch2ms.parity.values import flatten

TABLE = resolve_tolerances()


def timeline(calls):
    """[(name, caller, input, output)] -> start/end events of nested calls, children first."""
    events = []
    for name, caller, x, y in calls:
        call = Call(name, 0, "M", caller, flatten((np.float32(x),)), flatten(np.float32(y)))
        events += [("start", call), ("end", call)]
    return events


def test_renamed_modules_are_matched_through_the_weight_names():
    name_map = {"mlp.fc1.weight": "mlp.up.weight", "mlp.fc1.bias": "mlp.up.bias", "norm.weight": "norm.weight"}
    assert module_name_map(name_map) == {"mlp.fc1": "mlp.up"}
    torch_events = timeline([("norm", "", 1.0, 2.0), ("mlp.fc1", "mlp", 2.0, 3.0)])
    ms_events = timeline([("norm", "", 1.0, 2.0), ("mlp.up", "mlp", 2.0, 3.5)])
    found = first_divergence(torch_events, ms_events, TABLE, name_map)
    assert (found.module, found.evidence, found.ms_call) == ("mlp.fc1", "output", "mlp.up")
    assert "mindspore: mlp.up" in found.summary()
    assert first_divergence(torch_events, ms_events, TABLE) is None  # unmatched names are not compared


def test_modules_missing_on_one_side_are_passed_over():
    torch_events = timeline([("a", "", 1.0, 2.0), ("extra", "", 2.0, 9.0), ("b", "", 2.0, 3.0)])
    ms_events = timeline([("a", "", 1.0, 2.0), ("b", "", 2.0, 3.1)])
    found = first_divergence(torch_events, ms_events, TABLE)
    assert found.module == "b" and found.compared == 3  # a's start and end, b's start
