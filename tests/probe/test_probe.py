"""The capability probe: classification, inputs, an end-to-end run, and the committed table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from torch2ms import probe


@pytest.fixture(scope="module")
def table():
    return yaml.safe_load(probe.DEFAULT_OUT.read_text())


def test_committed_table_matches_installed_mindspore(table):
    import mindspore

    assert table["mindspore"] == mindspore.__version__, (
        "capability.yaml was generated for another MindSpore version: run `torch2ms probe`")


def test_committed_table_counts_its_rows(table):
    rows = table["apis"].values()
    for status in probe.STATUSES:
        assert table["counts"][status] == sum(1 for r in rows if r["status"] == status), status
    assert table["counts"]["runs_with_fallback"] == sum(1 for r in rows if r.get("with_fallback") == "runs")
    assert all(r.get("error") or r.get("reason") for r in rows if r["status"] != "runs"), \
        "a non-running API without the error or reason behind it"


def test_table_covers_every_namespace(table):
    recipes = probe.load_recipes()
    assert set(probe.discover(recipes)) == set(table["apis"]), "table is stale: run `torch2ms probe`"
    for ns in probe.NAMESPACES:
        assert any(a.rpartition(".")[0] == ns for a in table["apis"]), ns
    assert any(a.startswith("Tensor.") for a in table["apis"])


def test_replacements_are_for_apis_without_a_cpu_kernel(table):
    """The fallback only replaces what does not run natively (or, listed with the reason in
    faster_than_native.yaml, what an exact composition runs much faster), and every replacement
    runs."""
    import yaml

    from torch2ms.cpu_fallback import replacement_table

    apis = table["apis"]
    faster = yaml.safe_load((probe.PACKAGE_DIR / "faster_than_native.yaml").read_text())
    assert set(faster) <= set(replacement_table()), "faster_than_native.yaml lists APIs the table does not replace"
    for api in replacement_table():
        probed = api[: -len(".construct")] if api.endswith(".construct") else api
        if probed not in apis:
            assert api.startswith("ops."), f"{api} is neither probed nor a known extra"
            continue
        if apis[probed]["status"] == "runs":
            assert api in faster, f"{api} runs natively: do not replace it (or say why in faster_than_native.yaml)"
            continue
        assert api not in faster, f"{api} has no CPU kernel: it is no faster-than-native entry"
        assert apis[probed].get("with_fallback") == "runs", f"{api} still fails with the fallback"


@pytest.mark.parametrize("error,expected", [
    (RuntimeError("The kernel Arange unregistered."), "no_cpu_kernel"),
    (RuntimeError("Create kernelmod for op LayerNormExt failed"), "no_cpu_kernel"),
    (NotImplementedError("einsum only supports Ascend."), "no_cpu_kernel"),
    (TypeError("Failed calling add with add(Tensor)."), "unknown"),
    (ValueError("shapes do not broadcast"), "unknown"),
    (RuntimeError("Not implement exception"), "fails"),
])
def test_classify(error, expected):
    assert probe.classify(error) == expected


def test_recipe_values():
    import mindspore as ms
    import numpy as np

    rng = np.random.default_rng(0)
    t = probe.make_value("f32:2x3", rng)
    assert t.shape == (2, 3) and t.dtype == ms.float32
    assert probe.make_value("f32:", rng).shape == ()
    ints = probe.make_value("i64:50<4", rng).asnumpy()
    assert ints.min() >= 0 and ints.max() < 4
    assert (probe.make_value("f32+:10", rng).asnumpy() > 0).all()
    assert probe.make_value("tuple:2x3", rng) == (2, 3)
    assert probe.make_value("dtype:float16", rng) == ms.float16
    assert probe.make_value({"tensor": [[0, 3]], "dtype": "int64"}, rng).dtype == ms.int64
    assert probe.make_value(["bool:2", "mean"], rng)[1] == "mean"


def test_end_to_end_run(tmp_path):
    out = tmp_path / "table.yaml"
    run = subprocess.run(
        [sys.executable, "-m", "torch2ms", "probe", "--only", "mint.a", "--out", str(out)],
        capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "again with the CPU fallback enabled" in run.stdout
    apis = yaml.safe_load(out.read_text())["apis"]
    assert apis["mint.abs"]["status"] == "runs"
    assert apis["mint.arange"]["status"] == "no_cpu_kernel"
    assert apis["mint.arange"]["with_fallback"] == "runs"
    assert all(a.startswith("mint.a") for a in apis)


def test_a_crashing_or_hanging_api_costs_only_itself(monkeypatch):
    """The parent side of the isolation, with a stand-in worker: 'b' kills the worker, 'd' hangs,
    'f' asks to be redone first in a fresh worker (a failure that may belong to the previous API)."""
    fake_worker = (
        "import json, os, sys, time\n"
        "for pos, api in enumerate(json.load(open({api_file!r}))):\n"
        "    print('START ' + api, flush=True)\n"
        "    if api == 'f' and pos > 0: print('RETRY f', flush=True); sys.exit(3)\n"
        "    if api == 'b': os._exit(9)\n"
        "    if api == 'd': time.sleep(60)\n"
        "    print('RESULT ' + json.dumps([api, {{'status': 'runs'}}]), flush=True)\n"
    )
    monkeypatch.setattr(probe, "WORKER_CODE", fake_worker)
    seen = []
    results = probe._run_workers(["a", "b", "c", "d", "e", "f", "g"], timeout=3,
                                 progress=lambda a, r: seen.append(a))
    assert results["b"]["status"] == "crash" and "exit 9" in results["b"]["error"]
    assert results["d"]["status"] == "crash" and "within 3 s" in results["d"]["error"]
    assert [results[a]["status"] for a in "acefg"] == ["runs"] * 5
    assert seen == ["a", "c", "e", "f", "g"]


def test_a_slow_worker_start_is_no_crash(monkeypatch):
    """A worker imports mindspore before its first API (seconds, more on a busy machine): the time
    bound of an API counts from its START line, not from the worker's launch."""
    slow_start = (
        "import json, time\n"
        "time.sleep(4)\n"
        "for api in json.load(open({api_file!r})):\n"
        "    print('START ' + api, flush=True)\n"
        "    print('RESULT ' + json.dumps([api, {{'status': 'runs'}}]), flush=True)\n"
    )
    monkeypatch.setattr(probe, "WORKER_CODE", slow_start)
    results = probe._run_workers(["a", "b"], timeout=1, progress=lambda a, r: None)
    assert results == {"a": {"status": "runs"}, "b": {"status": "runs"}}
