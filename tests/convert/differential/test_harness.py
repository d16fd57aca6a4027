"""The differential harness itself: it must fail on a wrong mapping, not only pass on right ones."""

from __future__ import annotations

import dataclasses

import pytest

from torch2ms.convert.mappings import default_table


def _cases(case_table, api):
    cases = [dict(c) for c in case_table if c["api"] == api and "expect_failure" not in c]
    assert cases, api
    return cases


@pytest.mark.parametrize("api, wrong", [
    ("torch.exp", {"to": "mindspore.mint.log"}),                     # another function
    ("torch.sum", {"defaults": {"keepdim": "True"}}),                 # a wrong default
    ("torch.cumsum", {"to": "mindspore.mint.cumprod"}),
    ("Tensor.argmin", {"to": "argmin"}),                             # int32 indices (dtype)
])
def test_a_wrong_mapping_fails_its_cases(api, wrong, case_table, differential_batch, run_differential):
    batch_type = type(differential_batch)
    table = dict(default_table())
    table[api] = dataclasses.replace(table[api], **wrong)
    cases = _cases(case_table, api)
    batch = batch_type(cases, table=table)
    failures = 0
    for case in cases:
        try:
            run_differential(case, batch)
        except AssertionError:
            failures += 1
        except Exception:  # noqa: BLE001 (a MindSpore error is a failure too)
            failures += 1
    assert failures > 0, f"no case of {api} noticed {wrong}"
