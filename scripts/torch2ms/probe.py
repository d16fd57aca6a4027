"""`torch2ms probe`: record which mint APIs run natively on the CPU of the installed MindSpore.

Every public callable of mindspore.mint, mint.nn, mint.nn.functional, mint.optim (plus
mint.linalg, mint.special and the process-free part of mint.distributed, which ports use) and
the common Tensor methods is called on small
CPU inputs. Inputs come from `cpu_fallback/probe_recipes.yaml` where a signature needs them, and
are otherwise guessed from parameter names; an API whose inputs do not fit is recorded as
"unknown", never as "runs". A recipe may be a list (one entry per mode of an API, say): the API
runs only if every entry runs.

Isolation: the calls run in a worker process that prints one line per API. Each result is forced
to the host (`.asnumpy()`), then a tiny op runs, because some kernels report their failure at the
next synchronisation. A worker that crashes or hangs costs only the API it was running: a new
worker continues with the next one.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent / "cpu_fallback"
DEFAULT_OUT = PACKAGE_DIR / "capability.yaml"
RECIPES_PATH = PACKAGE_DIR / "probe_recipes.yaml"

NAMESPACES = ("mint", "mint.nn", "mint.nn.functional", "mint.optim", "mint.linalg", "mint.special",
              "mint.distributed")
STATUSES = ("runs", "no_cpu_kernel", "fails", "unknown", "crash")

# Messages that mean "this kernel does not exist on CPU" (as opposed to bad arguments).
_NO_KERNEL = re.compile(
    r"unregistered|Create kernelmod|kernel mod|Select CPU operator|not support(ed)? on CPU|"
    r"only supports? (the )?Ascend|Unsupported op|not found in CPU|device target.*Ascend|"
    r"is not supported in CPU|Can not find.*kernel|Not found op .* on device CPU|"
    r"not supported on this device|Ascend",
    re.IGNORECASE,
)


# ---------------------------------------------------------------- recipes and inputs

def load_recipes() -> dict:
    import yaml

    return yaml.safe_load(RECIPES_PATH.read_text()) or {}


_TENSOR = re.compile(r"^(f32\+|f32|f16|bf16|u01|pm1|i64|i32|u8|bool|c64):([\dx]*)(?:<(-?\d+))?$")


def make_value(spec, rng):
    """Recipe mini-language: 'f32:2x3' normal floats of shape (2, 3) ('f32:' is 0-d), 'f32+:2x3'
    positive, 'u01:2x3' in (0, 1), 'pm1:2x3' random signs, 'i64:2x3<5' ints in [0, 5),
    'bool:2x3', 'f16:', 'bf16:', 'c64:'; {tensor: [[0, 3]], dtype: int64} a literal tensor;
    'tuple:2x3' the tuple (2, 3); 'dtype:float16'; 'ParamList' two Parameters (optimisers);
    lists and dicts recurse; anything else is literal."""
    import numpy as np
    import mindspore as ms

    if isinstance(spec, list):
        return [make_value(s, rng) for s in spec]
    if isinstance(spec, dict) and "tensor" in spec:
        return ms.Tensor(np.array(spec["tensor"], dtype=spec.get("dtype", "float32")))
    if isinstance(spec, dict):
        return {k: make_value(v, rng) for k, v in spec.items()}
    if not isinstance(spec, str):
        return spec
    if spec.startswith("tuple:"):
        return tuple(int(v) for v in spec[6:].split("x"))
    if spec.startswith("dtype:"):
        return getattr(ms, spec[6:])
    if spec == "ParamList":
        return [ms.Parameter(ms.Tensor(rng.standard_normal((3, 2)).astype(np.float32)), name=f"probe_p{i}")
                for i in range(2)]
    m = _TENSOR.match(spec)
    if not m:
        return spec
    kind, dims, high = m.group(1), m.group(2), m.group(3)
    shape = tuple(int(d) for d in dims.split("x") if d)
    if kind in ("i64", "i32", "u8"):
        arr = rng.integers(0, int(high) if high else 3, shape)
        return ms.Tensor(arr, {"i64": ms.int64, "i32": ms.int32, "u8": ms.uint8}[kind])
    if kind == "bool":
        return ms.Tensor(rng.random(shape) < 0.5)
    if kind == "pm1":
        return ms.Tensor(np.where(rng.random(shape) < 0.5, -1.0, 1.0).astype(np.float32))
    if kind == "u01":
        return ms.Tensor(rng.uniform(0.05, 0.95, shape).astype(np.float32))
    if kind == "c64":
        return ms.Tensor((rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(np.complex64))
    arr = rng.standard_normal(shape).astype(np.float32)
    if kind == "f32+":
        arr = np.abs(arr) + 0.1
    tensor = ms.Tensor(arr)
    return tensor.astype({"f16": ms.float16, "bf16": ms.bfloat16}.get(kind, ms.float32))


# Parameter name -> guessed input, for APIs without a recipe.
_BY_NAME = {
    "input": "f32:3x4", "x": "f32:3x4", "self": "f32:3x4", "other": "f32:3x4", "tensor": "f32:3x4",
    "mat1": "f32:3x4", "mat2": "f32:4x3", "vec1": "f32:3", "vec2": "f32:3", "y": "f32:3x4",
    "tensors": ["f32:3x4", "f32:3x4"], "dim": 0, "dims": [0], "axis": 0, "k": 1, "n": 3,
    "index": "i64:3x4<3", "mask": "bool:3x4", "size": [2, 3], "shape": [3, 4], "target": "f32:3x4",
    "exponent": "f32:3x4", "diagonal": 0, "repeats": 2, "p": 2, "end": 5, "steps": 4, "num_samples": 2,
    "sections": 2, "split_size_or_sections": 2, "chunks": 2, "fill_value": 1.5, "value": 1.5,
    "source": "f32:3x4", "src": "f32:3x4", "elements": "f32:3x4", "test_elements": "f32:3",
    "start": 0, "weight": "f32:3x4", "bias": "f32:3", "params": "ParamList", "q": 0.5,
}


def _guess_args(func, skip_self=False) -> list | None:
    import inspect

    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        return None
    if skip_self and params and params[0].name == "self":
        params = params[1:]
    args = []
    for param in params:
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            if not args and param.kind == param.VAR_POSITIONAL:
                args.append("f32:3x4")
            continue
        if param.default is not param.empty or param.kind == param.KEYWORD_ONLY:
            continue
        if param.name not in _BY_NAME:
            return None
        args.append(_BY_NAME[param.name])
    return args


def guess_recipe(obj) -> dict | None:
    """Inputs from parameter names; for a layer, its __init__ must need nothing."""
    import inspect

    if inspect.isclass(obj):
        init = _guess_args(obj.__init__, skip_self=True)
        call = _guess_args(getattr(obj, "construct", obj.__call__), skip_self=True)
        if init != [] or call is None:
            return None
        return {"init": [], "args": call, "guessed": True}
    args = _guess_args(obj)
    return None if args is None else {"args": args, "guessed": True}


# ---------------------------------------------------------------- what to probe

def discover(recipes: dict) -> list[str]:
    import inspect
    import types

    import mindspore
    from mindspore import mint

    skip = set(recipes.get("not_apis", {}))
    internal = re.compile(recipes.get("internal_name_pattern", r"$^"))
    names = []
    for ns in NAMESPACES:
        module = mint
        for part in ns.split(".")[1:]:
            module = getattr(module, part)
        for name in sorted(set(dir(module)) | set(getattr(module, "__all__", []))):
            obj = getattr(module, name, None)
            if name.startswith("_") or obj is None or isinstance(obj, types.ModuleType) or not callable(obj):
                continue
            full = f"{ns}.{name}"
            if full in skip or internal.search(name):
                continue
            if ns == "mint.optim" and not inspect.isclass(obj):
                continue
            names.append(full)
    for name in recipes.get("tensor_methods", []):
        if hasattr(mindspore.Tensor, name):
            names.append(f"Tensor.{name}")
    return names


def resolve(api: str):
    import mindspore
    from mindspore import mint

    head, *rest = api.split(".")
    obj = {"mint": mint, "Tensor": mindspore.Tensor}[head]
    for part in rest:
        obj = getattr(obj, part)
    return obj


# ---------------------------------------------------------------- running one API

def _sync(value) -> None:
    import mindspore as ms

    if isinstance(value, ms.Tensor):
        value.asnumpy()
    elif isinstance(value, (list, tuple)):
        for v in value:
            _sync(v)
    elif isinstance(value, dict):
        for v in value.values():
            _sync(v)


def _flush() -> None:
    import mindspore as ms

    (ms.Tensor([1.0]) + 1).asnumpy()


def _call(api: str, recipe: dict, rng):
    import inspect

    import mindspore as ms

    obj = resolve(api) if not api.startswith("Tensor.") else None
    args = make_value(recipe.get("args", []), rng)
    kwargs = make_value(recipe.get("kwargs", {}), rng)
    if api.startswith("Tensor."):
        self_value = make_value(recipe.get("self", "f32:3x4"), rng)
        before = self_value.asnumpy().copy()
        result = getattr(self_value, api.split(".", 1)[1])(*args, **kwargs)
        if api.endswith("_"):
            _expect_changed([before], [self_value])
        return result
    if inspect.isclass(obj) and api.startswith("mint.optim."):
        params = make_value("ParamList", rng)
        before = [p.asnumpy().copy() for p in params]
        opt = obj(params, **make_value(recipe.get("init_kwargs", {}), rng))
        grads = tuple(ms.Tensor(rng.standard_normal(p.shape).astype("float32")) for p in params)
        opt(grads)
        _expect_changed(before, params)
        return list(params)
    if inspect.isclass(obj):
        layer = obj(*make_value(recipe.get("init", []), rng), **make_value(recipe.get("init_kwargs", {}), rng))
        if recipe.get("train"):
            layer.set_train(True)
        return layer(*args, **kwargs)
    return obj(*args, **kwargs)


def _expect_changed(before, tensors) -> None:
    """In-place methods and optimisers can run on CPU and yet leave their tensors unchanged
    (`Tensor.add_` in 2.10): that is a failure, not "runs"."""
    import numpy as np

    if all(np.array_equal(b, t.asnumpy()) for b, t in zip(before, tensors)):
        raise RuntimeError("ran but left its tensors unchanged")


def classify(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}"
    if _NO_KERNEL.search(text):
        return "no_cpu_kernel"
    if isinstance(error, (TypeError, ValueError, AttributeError, IndexError, KeyError, NotImplementedError)):
        return "unknown"  # most likely our inputs do not fit the signature
    return "fails"


def _first_line(error: BaseException) -> str:
    for line in str(error).splitlines():
        line = line.strip()
        if line and not set(line) <= set("-="):
            return f"{type(error).__name__}: {line}"[:200]
    return type(error).__name__


def probe_one(api: str, recipes: dict) -> dict:
    import numpy as np

    spec = recipes.get("recipes", {}).get(api)
    if spec is None and api.startswith("Tensor."):
        spec = recipes.get("tensor_recipes", {}).get(api.split(".", 1)[1])
    if isinstance(spec, str):  # a reason why it cannot be probed here
        return {"status": "unknown", "reason": spec}
    if spec is None and api.startswith("mint.distributed."):
        return {"status": "unknown", "reason": "collective or group API: needs an initialised process group"}
    if spec is None:
        spec = guess_recipe(resolve(api)) if not api.startswith("Tensor.") else {"args": []}
        if spec is None:
            return {"status": "unknown", "reason": "no input recipe and the signature gives none"}
    variants = spec if isinstance(spec, list) else [spec]
    result = {"status": "runs"}
    for number, variant in enumerate(variants, 1):
        rng = np.random.default_rng(0)
        try:
            _sync(_call(api, variant, rng))
            _flush()
        except Exception as error:  # noqa: BLE001 - every failure is a finding
            where = f"recipe {number} of {len(variants)} {_variant_note(variant)}: " if len(variants) > 1 else ""
            result = {"status": classify(error), "error": where + _first_line(error)}
            try:
                _flush()
            except Exception:  # noqa: BLE001 - the pending error was this API's
                pass
            break
    if len(variants) > 1:
        result["recipes"] = len(variants)
    if any(v.get("guessed") for v in variants):
        result["inputs"] = "guessed from the signature"
    return result


def _variant_note(variant: dict) -> str:
    """The keyword arguments that tell one recipe of an API from another (its mode, say)."""
    keys = {**variant.get("init_kwargs", {}), **variant.get("kwargs", {})}
    return "(" + ", ".join(f"{k}={v!r}" for k, v in keys.items()) + ")"


def _worker(api_file: str, with_fallback: bool = False) -> None:
    import warnings

    warnings.filterwarnings("ignore")
    os.environ.setdefault("GLOG_v", "3")
    import mindspore as ms

    ms.set_context(mode=ms.PYNATIVE_MODE)
    ms.set_device("CPU")
    if with_fallback:
        from torch2ms import cpu_fallback

        cpu_fallback.enable()
    recipes = load_recipes()
    last_error = None
    for position, api in enumerate(json.loads(Path(api_file).read_text())):
        print(f"START {api}", flush=True)
        result = probe_one(api, recipes)
        error = result.get("error")
        if error and error == last_error and position > 0:
            # Probably the previous failure surfacing again: redo this API first in a new worker.
            print(f"RETRY {api}", flush=True)
            sys.exit(3)
        if error:
            last_error = error
            time.sleep(0.05)
            try:
                _flush()
            except Exception:  # noqa: BLE001
                pass
        print("RESULT " + json.dumps([api, result]), flush=True)


# ---------------------------------------------------------------- the parent

WORKER_CODE = "from torch2ms.probe import _worker; _worker({api_file!r}, {with_fallback})"


STARTUP_SECONDS = 600.0  # a worker's start (and the time between two APIs) before it is given up


def _run_workers(apis: list[str], timeout: float, progress, with_fallback: bool = False) -> dict[str, dict]:
    import tempfile

    results: dict[str, dict] = {}
    pending = list(apis)
    while pending:
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
            json.dump(pending, fh)
        env = {**os.environ, "GLOG_v": "3", "PYTHONWARNINGS": "ignore"}
        proc = subprocess.Popen(
            [sys.executable, "-c", WORKER_CODE.format(api_file=fh.name, with_fallback=with_fallback)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
        )
        lines: queue.Queue = queue.Queue()
        threading.Thread(target=lambda: [lines.put(l) for l in proc.stdout] + [lines.put(None)],
                         daemon=True).start()
        current = None
        while True:
            try:
                # an API's time counts from its START line; between APIs (the worker starting,
                # importing mindspore) the bound is the generous STARTUP_SECONDS, so a busy machine
                # slows a probe down but never turns APIs into crashes
                line = lines.get(timeout=timeout if current else max(timeout, STARTUP_SECONDS))
            except queue.Empty:
                proc.kill()
                proc.wait()
                if current:
                    results[current] = {"status": "crash", "error": f"no result within {timeout:.0f} s"}
                break
            if line is None:
                proc.wait()
                if current:
                    results[current] = {"status": "crash", "error": f"worker died (exit {proc.returncode})"}
                break
            if line.startswith("START "):
                current = line[6:].strip()
            elif line.startswith("RETRY "):
                current = None  # not recorded: the next worker starts with it
            elif line.startswith("RESULT "):
                api, result = json.loads(line[7:])
                results[api] = result
                current = None
                progress(api, result)
        os.unlink(fh.name)
        before = len(pending)
        pending = [a for a in pending if a not in results]
        if len(pending) == before:
            break  # no progress: the worker cannot start
    for api in pending:
        results[api] = {"status": "crash", "error": "worker could not start"}
    return results


def build_table(results: dict[str, dict], recipes: dict) -> dict:
    import mindspore

    counts = {s: sum(1 for r in results.values() if r["status"] == s) for s in STATUSES}
    counts["runs_with_fallback"] = sum(1 for r in results.values() if r.get("with_fallback") == "runs")
    return {
        "mindspore": mindspore.__version__,
        "generated_by": "torch2ms probe",
        "statuses": {
            "runs": "ran on CPU with the recorded inputs and synchronised",
            "no_cpu_kernel": "the CPU backend has no kernel for it (or not for float32)",
            "fails": ("raised a runtime error that does not name a missing kernel, or (in-place methods, "
                      "optimisers) ran but left its tensors unchanged"),
            "unknown": "not probed, or its inputs did not fit: nothing is claimed",
            "crash": "the worker died or hung while running it",
        },
        "with_fallback": "for APIs that do not run natively: the status with torch2ms.cpu_fallback enabled",
        "counts": counts,
        "not_apis": recipes.get("not_apis", {}),
        "apis": dict(sorted(results.items())),
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"where to write the table (default: {DEFAULT_OUT.name} in the package)")
    parser.add_argument("--only", metavar="TEXT", help="probe only APIs whose name contains TEXT")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds one API may take before it counts as a crash (default 120)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.add_argument("--native-only", action="store_true",
                        help="skip the second pass that re-probes failing APIs with the CPU fallback enabled")


def run(args: argparse.Namespace) -> int:
    import yaml

    try:
        recipes = load_recipes()
        apis = discover(recipes)
    except ImportError as error:
        print(f"torch2ms probe: mindspore is not installed ({error})", file=sys.stderr)
        return 2
    if args.only:
        apis = [a for a in apis if args.only in a]
    started = time.monotonic()
    done = [0, len(apis)]  # finished, total of the current pass

    def progress(api, result):
        done[0] += 1
        if not args.quiet:
            note = f"  {result.get('error', '')}" if result["status"] != "runs" else ""
            print(f"[{done[0]}/{done[1]}] {api}: {result['status']}{note}", flush=True)

    results = _run_workers(apis, args.timeout, progress)
    if not args.native_only:
        again = [a for a in apis if results[a]["status"] != "runs"]
        if not args.quiet:
            print(f"again with the CPU fallback enabled: {len(again)} APIs", flush=True)
        done[:] = [0, len(again)]
        for api, result in _run_workers(again, args.timeout, progress, with_fallback=True).items():
            results[api]["with_fallback"] = result["status"]
            if result.get("error"):
                results[api]["fallback_error"] = result["error"]
    table = build_table(results, recipes)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("# Generated by `torch2ms probe`: do not edit by hand.\n"
                        + yaml.safe_dump(table, sort_keys=False, width=110, allow_unicode=True))
    counts = ", ".join(f"{k} {v}" for k, v in table["counts"].items())
    print(f"probed {len(apis)} APIs in {time.monotonic() - started:.0f} s: {counts} -> {args.out}")
    return 0
