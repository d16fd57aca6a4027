"""`torch2ms parity TORCH_FILE MS_FILE --spec SPEC.yaml`: does the port compute what torch does?

Builds each case's model from each file as the spec says (spec.py documents the format), copies
the torch weights into the port by name, feeds both the same generated inputs and compares the
outputs (or, with `check: step`, loss, gradients and one optimizer step). Both files are imported
as `torch2ms.loader` imports them (package modules; a script's top-level work is not run). The
work runs in a child process under a time and memory bound (`torch2ms.sandbox`), with the CPU
fallback on, so mint code runs on a machine without Ascend.

Exit codes: 0 every case matches; 1 a mismatch, or the port fails to import, build, load the
weights or run, or the time limit passed; 2 bad input (missing file, invalid spec, the torch side
fails with the spec's values); 3 the torch original cannot be imported here (a missing package,
a package module that cannot be found): the message says what to install or change.
"""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path

from torch2ms.parity.spec import SpecError

TORCH_SIDE = 3
DEFAULT_TIMEOUT = 600.0


def add_arguments(parser) -> None:
    parser.add_argument("torch_file", help="the torch original (a .py file)")
    parser.add_argument("ms_file", help="the MindSpore port (a .py file)")
    parser.add_argument("--spec", required=True, help="YAML: how to build both models and their inputs")
    parser.add_argument("--check", choices=("forward", "step"), help="override the spec's comparison: "
                        "outputs (forward) or loss, gradients and one optimizer step (step)")
    parser.add_argument("--mode", choices=("eval", "train"), help="override the models' mode (default: the spec's, eval)")
    parser.add_argument("--atol", type=float, help="absolute tolerance for every float dtype")
    parser.add_argument("--rtol", type=float, help="relative tolerance for every float dtype")
    parser.add_argument("--no-localise", action="store_true", help="skip naming the first diverging sub-module")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="S",
                        help=f"time limit in seconds (default {DEFAULT_TIMEOUT:g})")


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


def _torch_side(message: str) -> int:
    print(f"parity: TORCH SIDE UNAVAILABLE, {message}")
    return TORCH_SIDE


def run(args) -> int:
    from torch2ms import sandbox

    if not sandbox.inside():
        return _in_child(args)
    return compare_files(args)


def _in_child(args) -> int:
    """Run this very command in a bounded child and relay what it prints."""
    from torch2ms import sandbox

    cmd = [sys.executable, "-m", "torch2ms", "parity", args.torch_file, args.ms_file, "--spec", args.spec]
    for flag in ("check", "mode", "atol", "rtol"):
        if getattr(args, flag) is not None:
            cmd += [f"--{flag}", str(getattr(args, flag))]
    cmd += ["--no-localise"] * bool(args.no_localise) + ["--json"] * bool(args.json)
    outcome = sandbox.run(cmd, timeout=args.timeout, env=sandbox.child_env())
    sys.stdout.write(outcome.stdout)
    sys.stderr.write(outcome.stderr)
    if outcome.timed_out:
        print(f"parity: TIMEOUT, did not finish within {args.timeout:g} s (its process group was killed)")
        return 1
    if outcome.out_of_memory:
        print(f"parity: out of memory under the address-space limit of {outcome.memory_limit / (1 << 30):.0f} GiB "
              f"(set {sandbox.ENV_MEMORY} in GiB to change it)")
        return 1
    return sandbox.exit_status(outcome.returncode)


def input_root_of(port: Path) -> Path | None:
    """The input folder recorded by the workspace whose outputs/ holds the port."""
    from torch2ms import loader

    ws = loader.find_workspace(port.resolve().parent)
    return loader.input_dir(ws) if ws is not None else None


def project_importer(side: str, root: Path):
    """module name -> that module of one side's tree (None when the tree has no such file), for
    dotted builds (`{build: pkg.net.Net}`): the torch side from the input folder, the port from
    outputs/. Each module is imported once."""
    from torch2ms import loader

    cache: dict[str, object] = {}

    def load(name: str):
        if name not in cache:
            base = root.joinpath(*name.split("."))
            found = next((f for f in (base.with_suffix(".py"), base / "__init__.py") if f.is_file()), None)
            if found is None:
                cache[name] = None
            elif side == "torch":
                cache[name] = loader.import_original(found, input_root=root)
            else:  # the port's module the file already imported, else imported now
                loaded = sys.modules.get(name)
                same = loaded is not None and loader.within(Path(getattr(loaded, "__file__", None) or "/-"), found)
                cache[name] = loaded if same else loader.import_port(found)
        return cache[name]

    return load


def _roots(torch_path: Path, ms_path: Path, input_root: Path | None) -> tuple[Path, Path]:
    """The folders dotted names are read below: the input folder (else the torch file's package
    anchor) and the outputs root (else the port's anchor)."""
    from torch2ms import loader

    if input_root is not None and loader.within(torch_path, input_root):
        torch_root = Path(input_root).resolve()
    else:
        torch_root = loader.package_anchor(torch_path)
    return torch_root, loader.port_root(ms_path.resolve())


def _origin(module, side: dict, importer, label: str) -> str | None:
    from torch2ms import loader
    from torch2ms.parity import spec as specs

    try:
        target, home = specs.resolve(module, side.get("build"), label, importer)
    except (SpecError, ImportError, loader.TorchSideError):
        return None
    return loader.model_origin(target, home)


def port_refusal(model, origin: str | None, port_root: Path, input_root: Path | None) -> str | None:
    """Why the built port cannot be compared: it is not a MindSpore Cell, or its class (its build
    target) is defined neither below the outputs root nor in an installed MindSpore library (a port
    that re-exports mindone's model). None when it can."""
    from torch2ms import loader

    try:
        from mindspore import nn
    except ImportError:
        return None
    if not isinstance(model, nn.Cell):
        where = f" (a {type(model).__module__}.{type(model).__qualname__})"
        return f"the port model is not a MindSpore Cell{where}: nothing to compare"
    if origin is not None and loader.within(Path(origin), port_root):
        return None
    if origin is not None and {"site-packages", "dist-packages"} & set(Path(origin).parts) and not (
            input_root is not None and loader.within(Path(origin), input_root)):
        return None  # an installed MindSpore library's Cell (mindone.transformers.X), named in the verdict
    return (f"the port model comes from {origin or 'an unknown file'}, not from below {port_root}: "
            "only the converted code (or an installed MindSpore library) is compared")


def compare_files(args) -> int:
    from torch2ms import loader
    from torch2ms.parity import spec as specs

    try:
        cases = specs.read_cases(args.spec)
    except SpecError as exc:
        return _fail(str(exc))
    torch_path, ms_path = Path(args.torch_file), Path(args.ms_file)
    for label, path in (("torch", torch_path), ("mindspore", ms_path)):
        if not path.is_file():
            return _fail(f"{label} file not found: {path}")
    input_root = input_root_of(ms_path)
    torch_root, port_root = _roots(torch_path, ms_path, input_root)
    torch_importer = project_importer("torch", torch_root)
    torch_files = {}
    for case in cases:
        module = case["torch"].get("module")
        if module not in torch_files:
            try:
                torch_files[module] = loader.import_original(torch_path, input_root=input_root, module=module)
            except loader.TorchSideError as exc:
                return _torch_side(str(exc))
    import torch

    from torch2ms.parity.compare import run_torch

    built = []
    for i, case in enumerate(cases):
        name = specs.case_name(case, i)
        prefix = f"case {name}: " if len(cases) > 1 else ""
        inputs = specs.make_inputs(case)
        try:
            torch.manual_seed(int(case.get("seed", 0)))
            torch_file = torch_files[case["torch"].get("module")]
            torch_model = specs.build(torch_file, case["torch"], case.get("init") or {}, "torch",
                                      case.get("globals"), importer=torch_importer)
            torch_model.train(_mode(args, case) == "train")
            run_torch(torch_model, inputs, case.get("call"))  # the reference must run before the port is judged
        except SpecError as exc:
            return _fail(prefix + str(exc))
        except loader.TorchSideError as exc:
            return _torch_side(prefix + str(exc))
        except Exception as exc:
            return _fail(f"{prefix}the torch side fails with the spec's inputs: {type(exc).__name__}: {exc}")
        case = dict(case, torch_origin=_origin(torch_file, case["torch"], torch_importer, "torch"))
        built.append((name, case, inputs, torch_model))

    from torch2ms import cpu_fallback

    cpu_fallback.enable()
    try:
        ms_file = loader.import_port(ms_path)
    except Exception as exc:
        return _port_failed("import", exc)
    reports, worst = [], 0
    for name, case, inputs, torch_model in built:
        if len(built) > 1:
            print(f"== case {name} ==")
        code, report = _compare_case(args, case, inputs, torch_model, ms_file, port_root, input_root)
        if code == 2:
            return code
        worst = max(worst, code)
        if report is not None:
            reports.append((name, report))
    if args.json:
        dicts = [dict(report.as_dict(), case=name, models=getattr(report, "models", None)) for name, report in reports]
        print(json.dumps(dicts[0] if len(cases) == 1 and dicts else
                         {"ok": worst == 0, "cases": dicts}, indent=2, default=str))
    if len(built) > 1:
        matched = sum(report.ok for _, report in reports)
        failing = [name for name, *_ in built if name not in {n for n, r in reports if r.ok}]
        print(f"parity: {matched} of {len(built)} cases match" + (f" (failing: {', '.join(failing)})" if failing else ""))
    return worst


def _mode(args, case) -> str:
    return args.mode or case["mode"]


def _compare_case(args, case, inputs, torch_model, ms_file, port_root: Path, input_root: Path | None):
    """(exit code, report or None) of one case; prints its summary."""
    from torch2ms.parity import compare, compare_training_step
    from torch2ms.parity import spec as specs
    from torch2ms.parity.weights import WeightTransferError

    ms_side = {"build": case["torch"]["build"], **(case.get("mindspore") or {})}
    ms_side.pop("module", None)
    importer = project_importer("mindspore", port_root)
    try:
        ms_model = specs.build(ms_file, ms_side, case.get("init") or {}, "mindspore", case.get("globals"),
                               importer=importer)
    except SpecError as exc:
        return _fail(str(exc)), None
    except Exception as exc:
        return _port_failed("build", exc), None
    origin = _origin(ms_file, ms_side, importer, "mindspore")
    models = {"torch": f"{type(torch_model).__qualname__} from {case.get('torch_origin') or 'an unknown file'}",
              "port": f"{type(ms_model).__qualname__} from {origin or 'an unknown file'}"}
    refused = port_refusal(ms_model, origin, port_root, input_root)
    if refused:
        print(f"parity: MISMATCH, {refused}")
        print(f"models: torch {models['torch']}; port {models['port']}")
        return 1, None
    tolerance = case.get("tolerance") or {}
    per_dtype = {k: v for k, v in tolerance.items() if isinstance(v, dict)}
    common = dict(
        tolerances=per_dtype,
        atol=args.atol if args.atol is not None else tolerance.get("atol"),
        rtol=args.rtol if args.rtol is not None else tolerance.get("rtol"),
        rename=case.get("rename"),
    )
    mode = _mode(args, case)
    try:
        if (args.check or case["check"]) == "step":
            train = dict(case.get("train") or {})
            report = compare_training_step(torch_model, ms_model, inputs, train_mode=mode == "train",
                                           **train, **common)
        else:
            report = compare(
                torch_model, ms_model, inputs, outputs=case.get("outputs"),
                check_dtype=case.get("check_dtype", True), localise=not args.no_localise, mode=mode,
                method=case.get("call"), **common,
            )
    except WeightTransferError as exc:
        print("parity: MISMATCH, the torch weights do not map onto the port")
        print("  " + exc.report.summary().replace("\n", "\n  "))
        return 1, None
    except Exception as exc:
        return _port_failed("run", exc), None
    report.models = models
    if not args.json:
        print(report.summary())
        print(f"models: torch {models['torch']}; port {models['port']}")
    return (0 if report.ok else 1), report
