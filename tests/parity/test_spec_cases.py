"""The spec format: several cases per file, nested inputs, `mode: eval|train` (eval by default)
apart from `check: forward|step`, and the older `mode: forward|train` read or refused by name."""

import re

import numpy as np
import pytest
import yaml

from torch2ms.parity.spec import SpecError, cases, make_inputs, read_cases

BASE = {"torch": {"build": "M"}, "inputs": [{"shape": [2, 3]}]}


def test_eval_is_the_default_mode_and_forward_the_default_check():
    [case] = cases(BASE)
    assert (case["mode"], case["check"]) == ("eval", "forward")


def test_several_cases_start_from_the_top_level_defaults():
    data = {"seed": 3, "tolerance": {"atol": 1e-5}, "init": {"kwargs": {"dim": 4}},
            "cases": [{"torch": {"build": "A"}, "inputs": [{"shape": [1]}]},
                      {"name": "b-train", "torch": {"build": "B"}, "inputs": [{"shape": [2]}],
                       "init": {"kwargs": {"depth": 2}}, "tolerance": {"rtol": 0}, "check": "step", "mode": "train"}]}
    a, b = cases(data)
    assert (a["seed"], a["init"], a["tolerance"], a["mode"]) == (3, {"kwargs": {"dim": 4}}, {"atol": 1e-5}, "eval")
    # mappings merge one level deep (tolerance adds to the default's), init.kwargs key by key: a case
    # names the keyword arguments it changes, the others stay the defaults'
    assert b["init"] == {"kwargs": {"dim": 4, "depth": 2}} and b["tolerance"] == {"atol": 1e-5, "rtol": 0}
    [c] = cases({**data, "cases": [{"torch": {"build": "C"}, "inputs": [{"shape": [1]}], "init": {"args": [1], "kwargs": {"dim": 8}}}]})
    assert c["init"] == {"args": [1], "kwargs": {"dim": 8}}
    assert (b["name"], b["check"], b["mode"]) == ("b-train", "step", "train")


def test_nested_inputs_tuples_dicts_and_plain_values():
    spec = dict(BASE, inputs=[
        {"shape": [5, 3], "dtype": "int64", "range": [0, 20]},
        {"tuple": [{"shape": [2, 3, 4]}, {"shape": [2, 3, 4]}]},
        {"name": "options", "dict": {"scale": 0.5, "bias": {"shape": [4], "seed": 7}}},
        {"name": "use_cache", "value": False},
        None,
    ])
    [case] = cases(spec)
    args, kwargs = make_inputs(case)
    ids, (h, c), none = args
    assert ids.dtype == np.int64 and ids.shape == (5, 3) and none is None
    assert h.shape == c.shape == (2, 3, 4) and not np.array_equal(h, c)  # each its own seed
    assert kwargs["options"]["scale"] == 0.5 and kwargs["use_cache"] is False
    np.testing.assert_array_equal(kwargs["options"]["bias"], np.random.default_rng(7).standard_normal(4).astype(np.float32))
    again, _ = make_inputs(case)
    np.testing.assert_array_equal(again[1][0], h)  # reproducible


def test_the_older_mode_forward_still_reads():
    [case] = cases(dict(BASE, mode="forward"))
    assert (case["mode"], case["check"]) == ("eval", "forward")


@pytest.mark.parametrize("changes, message", [
    ({"mode": "train", "train": {"loss": "value"}}, "mode: train is ambiguous"),
    ({"mode": "train"}, "write `check: step`"),
    ({"train": {"train_mode": False}}, "train.train_mode is now the case's `mode: eval|train`"),
    ({"mode": "forward", "check": "step"}, "contradicts check: step"),
    ({"check": "backward"}, "check must be forward or step"),
    ({"inputs": [{"tuple": [{"shape": [1]}], "shape": [2]}]}, "a nested input holds one of tuple, list or dict"),
    ({"inputs": [{"tuple": [{"dtype": "int64"}]}]}, "input 0.0: needs a shape"),
    ({"inputs": [{"shape": [1], "dtpye": "int64"}]}, "unknown keys dtpye"),
    ({"torch": {"build": "M", "modul": "x"}}, "torch takes only: args, build, globals, kwargs, module"),
    ({"cases": []}, "cases must be a non-empty list"),
    ({"cases": [{"torch": {"build": "A"}}, {"torch": {"build": "A"}}]}, "another case is named 'A' too"),
])
def test_bad_specs_are_refused_with_the_key_named(changes, message):
    with pytest.raises(SpecError, match=message.replace("(", r"\(").replace(")", r"\)")):
        cases({**BASE, **changes})


def test_read_cases_reads_a_file(tmp_path):
    path = tmp_path / "s.parity.yaml"
    path.write_text(yaml.safe_dump({"cases": [BASE, dict(BASE, torch={"build": "N"})]}))
    assert [c["torch"]["build"] for c in read_cases(path)] == ["M", "N"]


def test_the_examples_of_the_verification_rules_are_valid(tmp_path):
    from pathlib import Path

    from torch2ms.parity.run_cli import validate_run_spec

    text = (Path(__file__).resolve().parents[2] / "docs" / "rules" / "verification.md").read_text()
    blocks = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", text, re.S)]
    runs = [b for b in blocks if {"args", "steps"} & set(b)]
    parity = [b for b in blocks if b not in runs]
    assert len(parity) == 6 and len(runs) == 3 and len(blocks) == 9
    assert sum(len(cases(b)) for b in parity) == 9
    for n, run in enumerate(runs):  # read as parity-run reads a run spec
        path = tmp_path / f"example{n}.run.yaml"
        path.write_text(yaml.safe_dump(run))
        validate_run_spec(path)
    assert [len(validate_run_spec(tmp_path / f"example{n}.run.yaml")) for n in range(3)] == [1, 2, 1]
