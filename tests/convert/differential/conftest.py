"""The differential harness: run torch snippets, convert them, run the results on MindSpore, compare.

A case is one call form of one API (`cases/*.yaml`, format in cases/README.md). Every case
becomes a function of one generated torch module; the module is converted once by the engine
(one call for all cases keeps the suite fast) and each converted function is checked on its own:
it must carry no TODO marker and no torch reference, and its result must equal torch's in
value, shape and dtype (random ops: shape and dtype). Inputs come from a fixed seed and reach
both runs as `_in[name]`, bound with a tensor annotation so the converter knows their type.
MindSpore is imported once; the CPU fallback is on while this folder's tests run.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import yaml

CASES_DIR = Path(__file__).parent / "cases"
# case id -> why it fails: "no-cpu-kernel" (the op cannot run on this backend) or a known
# difference the table cannot express; the test asserts that such a case still fails
EXPECTED_FAILURES = Path(__file__).parent / "expected_failures.yaml"
MARKER = "TODO(torch2ms)"
OPTIONS = ("expect", "random", "rtol", "atol", "eval", "seed", "setup", "inputs", "check", "optimizer")
DTYPES = {"f32": "float32", "f64": "float64", "f16": "float16", "i64": "int64", "i32": "int32",
          "bool": "bool", "u8": "uint8"}
# a MindSpore op with no kernel on the CPU backend (the mapping may be right, it cannot run here)
NO_CPU_KERNEL = re.compile(r"kernel \w+ unregistered|Create kernelmod for op|Not found op \w+ on device CPU"
                           r"|only supports Ascend|support Ascend only|not supported on this device"
                           r"|Not implement exception|Kernel select failed")


# ------------------------------------------------------------------ the case tables
def _forms(raw: dict, key: str = "forms") -> list[dict]:
    return [f if isinstance(f, dict) else {"form": f} for f in raw.get(key) or []]


def _expand(api: str, raw: dict) -> list[dict]:
    base = {k: raw[k] for k in OPTIONS if k in raw and k != "setup"}
    base.setdefault("inputs", {"x": "f32 3x4"})
    cases = []
    for setup in raw.get("setup") or [None]:
        for form in _forms(raw):
            case = {**base, **({"setup": setup} if setup else {}), **form, "api": api}
            cases.append(case)
    return cases


def _expand_family(family: dict) -> list[dict]:
    cases = []
    for name in family["names"]:
        def fill(form: dict) -> dict:
            return {k: v.replace("{n}", name) if isinstance(v, str) else v for k, v in form.items()}

        shared = {k: v for k, v in family.items() if k in OPTIONS}
        for key, api in (("forms", family.get("api", "torch.{n}")),
                         ("method_forms", family.get("method_api", "Tensor.{n}"))):
            forms = [fill(f) for f in _forms(family, key)]
            if forms:
                cases += _expand(api.replace("{n}", name), {**shared, "forms": forms})
    return cases


def load_cases(directory: Path = CASES_DIR) -> list[dict]:
    cases = []
    for path in sorted(directory.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for family in data.pop("families", []):
            cases += _expand_family(family)
        for api, raw in data.items():
            cases += _expand(api, raw)
    failures = yaml.safe_load(EXPECTED_FAILURES.read_text(encoding="utf-8")) or {}
    counter: dict[str, int] = {}
    for i, case in enumerate(cases):
        n = counter[case["api"]] = counter.get(case["api"], -1) + 1
        case["id"] = f"{case['api']}-{n}"
        case["fn"] = f"case_{i}"
        if case["id"] in failures:
            case["expect_failure"] = failures[case["id"]]
    return cases


CASES = load_cases()


def pytest_generate_tests(metafunc):
    if "case" in metafunc.fixturenames:
        metafunc.parametrize("case", CASES, ids=[c["id"] for c in CASES])


# ------------------------------------------------------------------ the generated module
def make_input(spec: str, rng: np.random.Generator) -> np.ndarray:
    """`f32 2x3`, `f32 2x3 pos` (positive), `f32 3 unit` (in (-1, 1)), `f32 2x5 probs` (rows sum
    to 1), `i64 4 0..3`, `i64 6 perm`, `bool 2x3`, `f32 scalar`."""
    dtype, dims, *mods = spec.split()
    shape = () if dims == "scalar" else tuple(int(d) for d in dims.split("x"))
    dtype = DTYPES[dtype]
    mod = mods[0] if mods else ""
    if dtype == "bool":
        return rng.random(shape) > 0.5
    if dtype.startswith(("int", "uint")):
        if mod == "perm":
            return rng.permutation(shape[0]).astype(dtype)
        low, high = (int(v) for v in (mod or "0..4").split(".."))
        return rng.integers(low, high + 1, size=shape).astype(dtype)
    if mod == "pos":
        return (np.abs(rng.standard_normal(shape)) + 0.5).astype(dtype)
    if mod == "unit":
        return rng.uniform(-0.9, 0.9, size=shape).astype(dtype)
    if mod == "probs":
        raw = rng.random(shape) + 0.1
        return (raw / raw.sum(axis=-1, keepdims=True)).astype(dtype)
    return np.asarray(rng.standard_normal(shape)).astype(dtype)


def inputs_of(case: dict) -> dict:
    rng = np.random.default_rng(case.get("seed", 0))
    return {k: make_input(v, rng) for k, v in case["inputs"].items()}


def case_source(case: dict) -> str:
    """The torch functions of one case: `setup_<n>()` builds `m` (layers), `case_<n>` calls."""
    fn, lines = case["fn"], []
    if case.get("setup"):
        lines += [f"def setup_{fn}():", f"    m = {case['setup']}"]
        if case.get("eval", True):
            lines.append("    m.eval()")
        lines += ["    return m", ""]
    lines.append(f"def {fn}(_in, m=None):")
    if case.get("optimizer"):  # `p` is a parameter, the form builds an optimizer over it
        lines.append('    p = _in["p"]')
        if case["optimizer"] == "scheduler":  # ... or a scheduler over `opt`
            lines.append("    opt = torch.optim.SGD([p], lr=0.1)")
    else:
        lines += [f'    {name}: torch.Tensor = _in["{name}"]' for name in case["inputs"]]
    lines += [f"    result = {case['form']}", "    return result", ""]
    return "\n".join(lines)


def module_source(cases: list[dict]) -> str:
    return "import torch\n\n\n" + "\n\n".join(case_source(c) for c in cases)


def split_functions(code: str) -> dict[str, str]:
    """Top-level function name -> its source text (decorators and comments above included)."""
    parts: dict[str, str] = {}
    starts = [m.start() for m in re.finditer(r"^def (\w+)\(", code, re.M)] + [len(code)]
    for a, b in zip(starts, starts[1:]):
        name = re.match(r"def (\w+)\(", code[a:]).group(1)
        parts[name] = code[a:b]
    return parts


class Batch:
    """All cases as one torch module, converted once; both modules executed once."""

    def __init__(self, cases: list[dict], table=None):
        from torch2ms.convert.engine import convert_source

        self.source = module_source(cases)
        result = convert_source(self.source, "differential_cases.py", table=table)
        assert result.error is None, result.error
        self.converted = result.code
        self.functions = split_functions(self.converted)
        self.torch_ns: dict = {}
        exec(compile(self.source, "<torch cases>", "exec"), self.torch_ns)
        self.ms_ns: dict = {}
        exec(compile(self.converted, "<converted cases>", "exec"), self.ms_ns)


# ------------------------------------------------------------------ running and comparing
def torch_inputs(arrays: dict) -> dict:
    import torch

    return {k: torch.from_numpy(v.copy()) for k, v in arrays.items()}


def ms_inputs(arrays: dict) -> dict:
    import mindspore as ms

    return {k: ms.Tensor(v.copy()) for k, v in arrays.items()}


def flatten(value, framework: str) -> list:
    """A result as a flat list of numpy arrays and plain values."""
    if framework == "torch":
        import torch
        if isinstance(value, torch.Tensor):
            return [value.detach().numpy()]
        if isinstance(value, torch.Size):
            return [tuple(value)]
    else:
        import mindspore as ms
        if isinstance(value, ms.Tensor):
            return [value.asnumpy()]
    if isinstance(value, (tuple, list)):
        out = []
        for item in value:
            out += flatten(item, framework)
        return out
    if isinstance(value, (bool, int, float, np.ndarray, np.generic)) or value is None:
        return [value]
    raise AssertionError(f"{framework} result of unexpected type {type(value).__name__}")


def compare(expected, actual, *, rtol: float, atol: float, random: bool) -> None:
    want, got = flatten(expected, "torch"), flatten(actual, "ms")
    assert len(want) == len(got), f"torch gave {len(want)} values, MindSpore {len(got)}"
    for i, (w, g) in enumerate(zip(want, got)):
        if isinstance(w, np.ndarray):
            assert isinstance(g, np.ndarray), f"value {i}: torch gave a tensor, MindSpore {type(g)}"
            assert w.shape == g.shape, f"value {i}: shape {w.shape} (torch) != {g.shape} (MindSpore)"
            assert w.dtype == g.dtype, f"value {i}: dtype {w.dtype} (torch) != {g.dtype} (MindSpore)"
            if not random:
                np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, equal_nan=True,
                                           err_msg=f"value {i}")
        else:
            if isinstance(g, np.ndarray) and g.shape == ():
                g = g.item()
            if isinstance(w, float) and isinstance(g, float):
                assert abs(w - g) <= atol + rtol * abs(w), f"value {i}: {g} != {w}"
            elif not random:
                assert w == g, f"value {i}: {g!r} (MindSpore) != {w!r} (torch)"


def copy_weights(torch_module, ms_cell) -> None:
    """torch parameters and buffers into the MindSpore cell, by name (the names must match)."""
    import mindspore as ms

    state = {k: v.detach().numpy() for k, v in torch_module.state_dict().items()
             if not k.endswith("num_batches_tracked")}
    params = dict(ms_cell.parameters_and_names())
    missing = sorted(set(state) - set(params))
    assert not missing, f"torch weights with no MindSpore parameter of the same name: {missing}"
    for name, value in state.items():
        params[name].set_data(ms.Tensor(value.astype(params[name].asnumpy().dtype)))


def _null_target(api: str) -> bool:
    from torch2ms.convert.mappings import default_table

    entry = default_table().get(api)
    return entry is None or entry.to is None


def run_case(case: dict, batch: Batch) -> None:
    fn = case["fn"]
    code = batch.functions[fn] + batch.functions.get(f"setup_{fn}", "")
    reason = case.get("expect_failure")
    if case.get("expect") == "flagged" or reason == "flagged" or _null_target(case["api"]):
        assert MARKER in code, f"expected a {MARKER} marker (no plain counterpart) in:\n{code}"
        return
    assert MARKER not in code, f"the converter flagged the case:\n{code}"
    assert not re.search(r"\btorch\b", code), f"torch is left in:\n{code}"
    try:
        _run_and_compare(case, batch)
    except Exception as exc:  # noqa: BLE001 (an expected failure is checked for its kind)
        _flush_mindspore()
        if reason is None:
            raise
        if reason == "no-cpu-kernel":
            assert NO_CPU_KERNEL.search(str(exc)), f"expected a missing CPU kernel, got: {exc}"
        return
    # a case waiting for a CPU kernel or an engine feature may start to pass when the CPU
    # fallback or the engine grows: it then passed the full comparison, which is fine; any
    # other listed case (a difference the table cannot express) must still fail
    assert reason is None or reason == "no-cpu-kernel" or "engine request" in reason, \
        f"listed in expected_failures.yaml ({reason}) but passes: remove it"


def _flush_mindspore() -> None:
    """Surface (and drop) an error MindSpore raises asynchronously, so the next case is clean."""
    import mindspore as ms

    try:
        ms.runtime.synchronize()
    except Exception:  # noqa: BLE001
        pass


def _run_optimizer(case: dict, batch: Batch) -> None:
    """Three steps with the same gradients; the parameters must end equal."""
    import mindspore as ms
    import torch

    rng = np.random.default_rng(case.get("seed", 0))
    start = rng.standard_normal((3, 4)).astype("float32")
    grads = [rng.standard_normal((3, 4)).astype("float32") for _ in range(3)]
    torch_p = torch.nn.Parameter(torch.from_numpy(start.copy()))
    ms_p = ms.Parameter(ms.Tensor(start.copy()), name="p")
    torch_opt = batch.torch_ns[case["fn"]]({"p": torch_p})
    ms_opt = batch.ms_ns[case["fn"]]({"p": ms_p})
    for g in grads:
        torch_p.grad = torch.from_numpy(g.copy())
        torch_opt.step()
        ms_opt((ms.Tensor(g.copy()),))
    compare(torch_p.detach(), ms.Tensor(ms_p.asnumpy()), rtol=case.get("rtol", 1e-5),
            atol=case.get("atol", 1e-6), random=False)


def _run_scheduler(case: dict, batch: Batch) -> None:
    """Five optimizer and scheduler steps; the learning rates must agree at every step."""
    import mindspore as ms
    import torch

    torch_s = batch.torch_ns[case["fn"]]({"p": torch.nn.Parameter(torch.ones(2))})
    ms_s = batch.ms_ns[case["fn"]]({"p": ms.Parameter(ms.Tensor(np.ones(2, "float32")), name="p")})
    torch_lrs, ms_lrs = [], []
    for _ in range(5):
        torch_s.optimizer.step()
        torch_s.step()
        ms_s.step()
        torch_lrs.append(torch_s.get_last_lr()[0])
        ms_lrs.append(float(ms_s.get_last_lr()[0]))
    np.testing.assert_allclose(ms_lrs, torch_lrs, rtol=1e-5, atol=1e-7)


def _run_and_compare(case: dict, batch: Batch) -> None:
    import torch

    if case.get("optimizer") == "scheduler":
        return _run_scheduler(case, batch)
    if case.get("optimizer"):
        return _run_optimizer(case, batch)
    fn = case["fn"]
    arrays = inputs_of(case)
    torch.manual_seed(0)
    torch_m = batch.torch_ns[f"setup_{fn}"]() if case.get("setup") else None
    expected = batch.torch_ns[fn](torch_inputs(arrays), torch_m)
    ms_m = batch.ms_ns[f"setup_{fn}"]() if case.get("setup") else None
    if ms_m is not None:
        copy_weights(torch_m, ms_m)
    actual = batch.ms_ns[fn](ms_inputs(arrays), ms_m)
    compare(expected, actual, rtol=case.get("rtol", 1e-5), atol=case.get("atol", 1e-5),
            random=case.get("random", False))
    if case.get("check"):
        # a distribution-free property of a random result (`r`: the first value as numpy)
        r = flatten(actual, "ms")[0]
        assert eval(case["check"], {"np": np}, {"r": r}), f"{case['check']} is false for {r}"


@pytest.fixture(scope="session")
def differential_batch():
    """Every case converted in one engine call; MindSpore imported once."""
    import mindspore  # noqa: F401

    return Batch(CASES)


@pytest.fixture(scope="module", autouse=True)
def cpu_fallback_on():
    """The CPU fallback, on for this folder's test modules only (it patches MindSpore globally)."""
    from torch2ms import cpu_fallback

    with cpu_fallback.enabled():
        yield


@pytest.fixture(scope="session")
def run_differential():
    return run_case


@pytest.fixture(scope="session")
def case_table():
    return CASES


@pytest.fixture(scope="session")
def expected_failures():
    return yaml.safe_load(EXPECTED_FAILURES.read_text(encoding="utf-8")) or {}
