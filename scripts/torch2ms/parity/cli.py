"""`torch2ms parity TORCH_FILE MS_FILE --spec SPEC.yaml`: does the port compute what torch does?

Builds the model from each file as the spec says (spec.py documents the format), copies the torch
weights into the port by name, feeds both the same generated inputs and compares the outputs
(or, with `mode: train`, loss, gradients and one optimizer step). The CPU fallback is enabled,
so mint code runs on a machine without Ascend.

Exit codes: 0 match; 1 mismatch, or the port fails to import, build, load the weights or run;
2 bad input (missing file, invalid spec, or the torch side itself fails).
"""

from __future__ import annotations

import json
import sys
import traceback

from torch2ms.parity.spec import SpecError


def add_arguments(parser) -> None:
    parser.add_argument("torch_file", help="the torch original (a .py file)")
    parser.add_argument("ms_file", help="the MindSpore port (a .py file)")
    parser.add_argument("--spec", required=True, help="YAML: how to build both models and their inputs")
    parser.add_argument("--mode", choices=("forward", "train"), help="override the spec's mode")
    parser.add_argument("--atol", type=float, help="absolute tolerance for every float dtype")
    parser.add_argument("--rtol", type=float, help="relative tolerance for every float dtype")
    parser.add_argument("--no-localise", action="store_true", help="skip naming the first diverging sub-module")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def _fail(message: str) -> int:
    print(f"torch2ms parity: {message}", file=sys.stderr)
    return 2


def _port_failed(stage: str, exc: BaseException) -> int:
    """The port cannot even be compared: a finding about the port (exit 1), with where it broke."""
    frames = traceback.extract_tb(exc.__traceback__)[-3:]
    where = "; ".join(f"{f.filename}:{f.lineno} in {f.name}" for f in frames)
    print(f"parity: MISMATCH, the MindSpore port fails to {stage}: {type(exc).__name__}: {exc}")
    if where:
        print(f"  at {where}")
    return 1


def run(args) -> int:
    from torch2ms.parity import spec as specs

    try:
        spec = specs.read_spec(args.spec)
        torch_file = specs.load_file(args.torch_file, "torch")
    except SpecError as exc:
        return _fail(str(exc))
    except Exception as exc:  # the reference file itself is broken
        return _fail(f"cannot import the torch file {args.torch_file}: {type(exc).__name__}: {exc}")
    import torch

    from torch2ms import cpu_fallback
    from torch2ms.parity import compare, compare_training_step
    from torch2ms.parity.compare import run_torch
    from torch2ms.parity.weights import WeightTransferError

    shared = spec.get("init") or {}
    inputs = specs.make_inputs(spec)
    try:
        torch.manual_seed(int(spec.get("seed", 0)))
        torch_model = specs.build(torch_file, spec["torch"], shared, "torch")
        torch_model.eval()
        run_torch(torch_model, inputs)  # the reference must run before the port is judged
    except SpecError as exc:
        return _fail(str(exc))
    except Exception as exc:
        return _fail(f"the torch side fails with the spec's inputs: {type(exc).__name__}: {exc}")

    cpu_fallback.enable()
    ms_side = {"build": spec["torch"]["build"], **(spec.get("mindspore") or {})}
    try:
        ms_file = specs.load_file(args.ms_file, "mindspore")
    except SpecError as exc:
        return _fail(str(exc))
    except Exception as exc:
        return _port_failed("import", exc)
    try:
        ms_model = specs.build(ms_file, ms_side, shared, "mindspore")
    except SpecError as exc:
        return _fail(str(exc))
    except Exception as exc:
        return _port_failed("build", exc)

    tolerance = spec.get("tolerance") or {}
    per_dtype = {k: v for k, v in tolerance.items() if isinstance(v, dict)}
    common = dict(
        tolerances=per_dtype,
        atol=args.atol if args.atol is not None else tolerance.get("atol"),
        rtol=args.rtol if args.rtol is not None else tolerance.get("rtol"),
        rename=spec.get("rename"),
    )
    mode = args.mode or spec.get("mode", "forward")
    try:
        if mode == "train":
            train = dict(spec.get("train") or {})
            report = compare_training_step(torch_model, ms_model, inputs, **train, **common)
        else:
            report = compare(
                torch_model, ms_model, inputs, outputs=spec.get("outputs"),
                check_dtype=spec.get("check_dtype", True), localise=not args.no_localise, **common,
            )
    except WeightTransferError as exc:
        print("parity: MISMATCH, the torch weights do not map onto the port")
        print("  " + exc.report.summary().replace("\n", "\n  "))
        return 1
    except Exception as exc:
        return _port_failed("run", exc)
    if args.json:
        print(json.dumps(report.as_dict(), indent=2, default=str))
    else:
        print(report.summary())
    return 0 if report.ok else 1
