"""The probe tries every mode of an API with modes (its recipes are a list), so an API that
runs in one mode and lacks kernels in others is not recorded as running."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("api", ["mint.nn.functional.interpolate", "mint.nn.functional.upsample", "mint.nn.Upsample"])
def test_probe_tries_every_mode_and_records_the_missing_kernels(api):
    """The probe's recipes cover every mode of the API, natively the linear modes fail, and the
    committed capability table says so."""
    import yaml

    import torch2ms.cpu_fallback as fb
    from torch2ms import probe

    assert not fb.is_enabled()
    recipes = probe.load_recipes()["recipes"][api]
    modes = {(r.get("kwargs", {}) or r.get("init_kwargs", {})).get("mode", "nearest") for r in recipes}
    assert modes == {"nearest", "linear", "bilinear", "bicubic", "trilinear"}
    result = probe.probe_one(api, probe.load_recipes())
    assert result["status"] == "no_cpu_kernel", result
    assert "unregistered" in result["error"]
    with fb.enabled():
        assert probe.probe_one(api, probe.load_recipes())["status"] == "runs"
    row = yaml.safe_load(probe.DEFAULT_OUT.read_text())["apis"][api]
    assert (row["status"], row["with_fallback"]) == ("no_cpu_kernel", "runs")
