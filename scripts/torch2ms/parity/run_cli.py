"""`torch2ms parity-run ORIGINAL.py PORT.py [--args "..."] [--steps N] [--spec RUN.yaml]`:
run a torch script and its MindSpore port from the same weights and compare what they compute.

Each side runs in its own bounded child (`torch2ms.sandbox`) with the same small arguments, in a
copy of its project (the .py files, plus the data files the spec lists, copied from the input
folder for both), so neither writes next to the user's files. `script_hooks` records both: the
torch model's state is captured at its first optimizer (or generate, or eval) and loaded into the
port's model by parameter name at the same point; then each training step's loss (or each
generate output, or each forward output of an evaluated model) is compared, for N steps.

The run spec, `<stem>.run.yaml` beside an output (what `check --parity` runs):

    args: "--epochs 1 --batch_size 4 --dropout 0 --bptt 8"   # both sides (a string or a list)
    torch_args: "--device cpu"        # appended for the torch side only (optional)
    port_args: "..."                  # appended for the port only (optional)
    steps: 3                          # losses (or generate calls, forward outputs) compared
    files: [data/wikitext-2]          # data the scripts read, relative to the input folder
    port_files: [model.ckpt]          # extra files for the port, relative to outputs/
    tolerance: {atol: 1.0e-4, rtol: 1.0e-4}
    rename: {"transformer.h.": "transformer.blocks."}   # torch -> port parameter names
    timeout: 600                      # seconds per side
    constants: {n_embd: 32, max_iters: 10}   # a script without arguments: its top-level
                                      #   `name = value` assignments get these values instead
    env: {WANDB_MODE: disabled}       # environment variables of both runs
    model: netD                       # the model to capture: a name in the script (or a list of
                                      #   names); default: the module owning the optimizer's parameters
    checkpoint:                       # a checkpoint the scripts load, made for this run (inference)
      build: Net                      #   the torch model's class (or function), built with
      from: model.py                  #   ...this file's definitions (default: the script itself)
      kwargs: {upscale_factor: 3}     #   ...these arguments, after torch.manual_seed(seed)
      seed: 0
      path: ckpt/net.pth              #   torch.save(state_dict) here, relative to the input folder
      key: model                      #   (optional) saved as {key: state_dict}
      port_path: ckpt/net.pth         #   `torch2ms weights -o` here, relative to outputs/ (default: path)

Every model behind an optimizer the torch script builds before its first loss gets the torch
weights (a GAN's generator and discriminator: each loss is compared).

Exit codes as `torch2ms parity`: 0 match; 1 mismatch or the port fails; 2 bad input (the spec,
the arguments a torch script rejects, or a torch script that reaches nothing to compare); 3 the
torch original cannot be imported here (a missing package); 4 the torch original fails at run time
(an exception: a data file it cannot find or download, a crash after step 1), so nothing could be
compared: `TORCH RUN FAILED, ...` names the error and how many steps it got through.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shlex
import shutil
import sys
import tempfile
from pathlib import Path

from torch2ms.parity.spec import SpecError

PROG = "torch2ms parity-run"
RUN_KEYS = {"args", "torch_args", "port_args", "steps", "files", "port_files", "tolerance", "rename", "timeout",
            "constants", "cases", "name", "env", "model", "checkpoint"}
CHECKPOINT_KEYS = {"build", "from", "kwargs", "seed", "path", "key", "port_path"}
DEFAULT_STEPS = 3
DEFAULT_TIMEOUT = 600.0
DEFAULT_TOLERANCE = {"atol": 1e-4, "rtol": 1e-4}
SKIPPED_FOLDERS = {"__pycache__", "node_modules", "outputs", "site-packages"}


def add_arguments(parser) -> None:
    parser.add_argument("torch_file", help="the torch script")
    parser.add_argument("ms_file", help="its MindSpore port")
    parser.add_argument("--spec", help="a run spec (<stem>.run.yaml); the options below override it")
    parser.add_argument("--args", dest="script_args", help='the arguments for both scripts, e.g. "--epochs 1"')
    parser.add_argument("--steps", type=int, help=f"how many losses or outputs to compare (default {DEFAULT_STEPS})")
    parser.add_argument("--files", nargs="*", help="data files or folders the scripts need, relative to the input folder")
    parser.add_argument("--atol", type=float, help="absolute tolerance")
    parser.add_argument("--rtol", type=float, help="relative tolerance")
    parser.add_argument("--timeout", type=float, help=f"seconds per side (default {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--json", action="store_true", help="print the comparison as JSON")


def _bad(message: str) -> int:
    print(f"{PROG}: {message}", file=sys.stderr)
    return 2


def read_run_spec(path: str | Path | None) -> dict:
    if path is None:
        return {}
    import yaml

    path = Path(path)
    if not path.is_file():
        raise SpecError(f"run spec not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise SpecError(f"run spec {path} is not valid YAML: {' '.join(str(exc).split())}") from None
    if not isinstance(data, dict):
        raise SpecError("the run spec must be a mapping")
    unknown = set(data) - RUN_KEYS
    if unknown:
        raise SpecError(f"unknown run spec keys: {', '.join(sorted(unknown))} (known: {', '.join(sorted(RUN_KEYS))})")
    return data


def validate_run_spec(path: str | Path) -> list:
    """The settings of each case a run spec gives, checked as `parity-run --spec` checks them
    (SpecError when it cannot be used); nothing is run."""
    import argparse

    return _cases(argparse.Namespace(spec=path, script_args=None, steps=None, files=None, atol=None,
                                     rtol=None, timeout=None))


def _cases(args) -> list[tuple[str | None, dict]]:
    """(name, settings) of each run the spec asks for: its `cases:` (each a mapping whose keys
    override the top-level ones; `name:` labels it), or the spec itself as one run."""
    spec = read_run_spec(args.spec)
    cases = spec.get("cases")
    if cases is None:
        return [(spec.get("name"), _settings(args, spec))]
    if not isinstance(cases, list) or not cases or not all(isinstance(c, dict) for c in cases):
        raise SpecError("cases must be a list of mappings (each overrides the top-level keys)")
    out, names = [], set()
    top = {k: v for k, v in spec.items() if k not in ("cases", "name")}
    for n, case in enumerate(cases, 1):
        unknown = set(case) - (RUN_KEYS - {"cases"})
        if unknown:
            raise SpecError(f"case {n}: unknown run spec keys: {', '.join(sorted(unknown))}")
        name = str(case.get("name") or f"case {n}")
        if name in names:
            raise SpecError(f"case {n}: another case is named {name!r} too: give each a `name:`")
        names.add(name)
        try:
            out.append((name, _settings(args, {**top, **case})))
        except SpecError as exc:
            raise SpecError(f"case {name}: {exc}") from None
    return out


def _arg_list(value, key: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return shlex.split(value)
    if isinstance(value, list):
        return [str(v) for v in value]
    raise SpecError(f"{key} must be a string or a list of arguments")


def _settings(args, spec: dict | None = None) -> dict:
    spec = read_run_spec(args.spec) if spec is None else spec
    common = _arg_list(args.script_args if args.script_args is not None else spec.get("args"), "args")
    settings = {
        "torch_args": common + _arg_list(spec.get("torch_args"), "torch_args"),
        "port_args": common + _arg_list(spec.get("port_args"), "port_args"),
        "steps": args.steps if args.steps is not None else spec.get("steps", DEFAULT_STEPS),
        "files": args.files if args.files is not None else spec.get("files") or [],
        "port_files": spec.get("port_files") or [],
        "tolerance": {**DEFAULT_TOLERANCE, **(spec.get("tolerance") or {})},
        "rename": spec.get("rename"),
        "timeout": args.timeout if args.timeout is not None else spec.get("timeout", DEFAULT_TIMEOUT),
        "constants": spec.get("constants") or {},
        "env": spec.get("env") or {},
        "model": spec.get("model") or [],
        "checkpoint": _checkpoint(spec.get("checkpoint")),
    }
    if not isinstance(settings["constants"], dict):
        raise SpecError("constants must map top-level names to values")
    env = settings["env"]
    if not isinstance(env, dict) or not all(isinstance(k, str) and isinstance(v, (str, int, float, bool))
                                            for k, v in env.items()):
        raise SpecError("env must map variable names to values (strings or numbers)")
    settings["env"] = {k: (str(v).lower() if isinstance(v, bool) else str(v)) for k, v in env.items()}
    if isinstance(settings["model"], str):
        settings["model"] = [settings["model"]]
    if not isinstance(settings["model"], list) or not all(
            isinstance(n, str) and all(part.isidentifier() for part in n.split(".")) for n in settings["model"]):
        raise SpecError("model must name the model in the script (netD, self.model) or list such names")
    if args.atol is not None:
        settings["tolerance"]["atol"] = args.atol
    if args.rtol is not None:
        settings["tolerance"]["rtol"] = args.rtol
    if not isinstance(settings["steps"], int) or settings["steps"] < 1:
        raise SpecError("steps must be a positive whole number")
    for key in ("files", "port_files"):
        if not isinstance(settings[key], list) or not all(isinstance(f, str) for f in settings[key]):
            raise SpecError(f"{key} must be a list of paths")
    return settings


def _checkpoint(value) -> dict | None:
    """The `checkpoint:` mapping, checked; None without one."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise SpecError("checkpoint must be a mapping (build, path, ...)")
    unknown = set(value) - CHECKPOINT_KEYS
    if unknown:
        raise SpecError(f"unknown checkpoint keys: {', '.join(sorted(unknown))} "
                        f"(known: {', '.join(sorted(CHECKPOINT_KEYS))})")
    for key in ("build", "path"):
        if not isinstance(value.get(key), str) or not value[key]:
            raise SpecError(f"checkpoint needs `{key}:` (the model's class, where the torch script reads the file)")
    for key in ("from", "path", "port_path", "key"):
        if key in value and not isinstance(value[key], str):
            raise SpecError(f"checkpoint {key} must be a string")
    for key in ("from", "path", "port_path"):
        rel = Path(value.get(key) or ".")
        if rel.is_absolute() or ".." in rel.parts:
            raise SpecError(f"checkpoint {key} must be a path inside the project (relative, no ..): {value[key]}")
    if not isinstance(value.get("kwargs", {}), dict):
        raise SpecError("checkpoint kwargs must map argument names to values")
    if not isinstance(value.get("seed", 0), int):
        raise SpecError("checkpoint seed must be a whole number")
    return {"seed": 0, "kwargs": {}, **value, "port_path": value.get("port_path") or value["path"]}


# --------------------------------------------------------------------- the project copies
def _copy_project(root: Path, dest: Path, files: list[str], data_root: Path) -> None:
    """The .py files below `root`, then `files` (relative to `data_root`), into `dest`."""
    from torch2ms.fsio import make_folders, walk

    for folder, dirs, names in walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in SKIPPED_FOLDERS
                   and not (Path(folder) / d / "pyvenv.cfg").exists()]
        for name in names:
            if name.endswith(".py"):
                src = Path(folder) / name
                target = dest / src.relative_to(root)
                make_folders(target.parent)
                shutil.copy2(src, target)
    for rel in files:
        src, target = _listed_paths(rel, dest, data_root)
        if not src.exists():
            raise SpecError(f"{rel} (listed in files) does not exist in {data_root}: the data the script "
                            "reads is missing there (provide it, or correct the path)")
        make_folders(target.parent)
        if src.is_dir():
            shutil.copytree(src, target, dirs_exist_ok=True)
        else:
            shutil.copy2(src, target)


def _listed_paths(rel: str, dest: Path, data_root: Path) -> tuple[Path, Path]:
    """Where a `files:` entry is read from and copied to: the entry, normalized, names a path
    inside `data_root` (a symlink the user put there may lead elsewhere) and its copy lands inside
    `dest`; anything else is a SpecError naming the entry."""
    where = f"files entry {rel!r}"
    norm = os.path.normpath(rel) if rel and "\0" not in rel else ""
    if not norm or os.path.isabs(norm) or norm.startswith("~"):
        raise SpecError(f"{where}: not a path relative to {data_root} (list data inside the project)")
    if norm == os.curdir or norm == os.pardir or norm.startswith(os.pardir + os.sep):
        raise SpecError(f"{where} names {os.path.abspath(data_root / norm)}, outside {data_root}: list only "
                        "data inside the project (copy or link it in there)")
    target = dest.resolve() / norm
    if not target.resolve().is_relative_to(dest.resolve()):
        raise SpecError(f"{where} would be copied to {target.resolve()}, outside the run's copy {dest}")
    return data_root / norm, target


def _roots(torch_file: Path, ms_file: Path) -> tuple[Path, Path]:
    """The project folders the scripts belong to: the workspace's input folder and outputs/, or
    each script's own folder."""
    from torch2ms import loader

    ws = loader.find_workspace(ms_file.parent)
    input_root = loader.input_dir(ws) if ws is not None else None
    if input_root is not None and loader.within(torch_file, input_root.resolve()):
        torch_root = input_root.resolve()
    else:
        torch_root = torch_file.parent
    if ws is not None and loader.within(ms_file, ws.outputs.resolve()):
        port_root = ws.outputs.resolve()
    else:
        port_root = ms_file.parent
    return torch_root, port_root


def set_constants(script: Path, constants: dict) -> list[str]:
    """Give the script's top-level `name = value` assignments the values of `constants` (in the
    copy it runs from). Returns the names that no such assignment holds."""
    import ast

    if not constants:
        return []
    text = script.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    found, edits = set(), []
    for node in ast.parse(text).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target = node.target
        else:
            continue
        if isinstance(target, ast.Name) and target.id in constants:
            found.add(target.id)
            edits.append((node.value, repr(constants[target.id])))
    def offset(lineno: int, col: int) -> int:  # ast columns count UTF-8 bytes
        return sum(len(ln) for ln in lines[:lineno - 1]) + len(lines[lineno - 1].encode()[:col].decode())

    spans = [(offset(v.lineno, v.col_offset), offset(v.end_lineno, v.end_col_offset), new) for v, new in edits]
    for start, end, new in sorted(spans, reverse=True):
        text = text[:start] + new + text[end:]
    script.write_text(text, encoding="utf-8")
    return sorted(set(constants) - found)


# --------------------------------------------------------------------- the checkpoint of a run
_MAKE_CHECKPOINT = r"""
import json, sys
ref, settings, out = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
from torch2ms import torch_env
torch_env.prepare()
import torch
from torch2ms.weights import models
module = models.load_module(ref, "torch")
torch.manual_seed(settings["seed"])
model, _ = models.build(module, {"build": settings["build"], "kwargs": settings["kwargs"]}, {}, "torch")
state = model.state_dict()
torch.save({settings["key"]: state} if settings.get("key") else state, out)
print(f"made {out}: {len(state)} tensors of {type(model).__name__} (seed {settings['seed']})")
"""


def make_checkpoint(settings: dict, torch_script: Path, torch_root: Path, torch_work: Path,
                    port_script: Path, port_root: Path, port_work: Path) -> str | None:
    """The spec's checkpoint, made in the copies the scripts run from: the torch model built with
    the seed and saved where the torch script reads it, then converted for the port by `torch2ms
    weights` where the port reads it. An error message, or None."""
    from torch2ms import sandbox

    ckpt, env = settings["checkpoint"], sandbox.child_env(**settings["env"])
    torch_ref = torch_work / ckpt["from"] if ckpt.get("from") else torch_work / torch_script.relative_to(torch_root)
    port_ref = port_work / ckpt["from"] if ckpt.get("from") else port_work / port_script.relative_to(port_root)
    for label, ref in (("the torch original", torch_ref), ("the port", port_ref)):
        if not ref.is_file():
            return f"checkpoint from: {ckpt['from']} is not a file of {label}'s project"
    out = torch_work / ckpt["path"]
    out.parent.mkdir(parents=True, exist_ok=True)
    print(f"{PROG}: making the checkpoint {ckpt['path']} ({ckpt['build']}, seed {ckpt['seed']})",
          file=sys.stderr, flush=True)
    outcome = sandbox.run([sys.executable, "-c", _MAKE_CHECKPOINT, str(torch_ref), json.dumps(ckpt), str(out)],
                          timeout=settings["timeout"], cwd=str(torch_work), env=env)
    if outcome.returncode != 0:
        return f"checkpoint: the torch model cannot be built and saved: {_tail(outcome.stderr.replace(str(torch_work), str(torch_root)))}"
    port_out = port_work / ckpt["port_path"]
    port_out.parent.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "torch2ms", "weights", str(out), "--port", str(port_ref), "--build", ckpt["build"],
           "--kwargs", json.dumps(ckpt["kwargs"]), "-o", str(port_out), "--force"]
    if ckpt.get("key"):
        cmd += ["--key", ckpt["key"]]
    outcome = sandbox.run(cmd, timeout=settings["timeout"], cwd=str(port_work), env=env)
    if outcome.returncode != 0:
        text = (outcome.stdout + outcome.stderr).replace(str(port_work), str(port_root))
        return f"checkpoint: torch2ms weights cannot convert it for the port: {_tail(text)}"
    return None


# --------------------------------------------------------------------- running a side
def _run_side(side: str, script: Path, root: Path, work: Path, record: Path, script_args, settings):
    from torch2ms import sandbox

    cmd = [sys.executable, "-c", "from torch2ms.parity import script_hooks; script_hooks.main()",
           "--side", side, "--record", str(record), "--steps", str(settings["steps"]),
           "--roots", str(work), "--rename", json.dumps(settings["rename"]),
           "--model", json.dumps(settings["model"]), "--",
           str(work / script.relative_to(root)), *script_args]
    env = sandbox.child_env(**{**settings["env"], "PYTHONHASHSEED": "0", "CUDA_VISIBLE_DEVICES": ""})
    print(f"{PROG}: running the {'torch original' if side == 'torch' else 'port'}: "
          f"{script.name} {shlex.join(script_args)}".rstrip(), file=sys.stderr, flush=True)
    outcome = sandbox.run(cmd, timeout=settings["timeout"], cwd=str((work / script.relative_to(root)).parent),
                          env=env)
    path = record / f"{side}.json"
    data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
    # messages name the user's files, not the copies they ran from
    outcome.stderr = outcome.stderr.replace(str(work), str(root))
    if data and data.get("error"):
        data["error"] = data["error"].replace(str(work), str(root))
    return outcome, data


def _tail(text: str, lines: int = 6) -> str:
    kept = [ln for ln in text.strip().splitlines() if ln.strip()]
    return " | ".join(kept[-lines:])


def _outputs(record: Path, side: str, data: dict, kind: str) -> list[dict]:
    path = record / f"{side}-outputs.npz"
    if not data.get(kind) or not path.is_file():
        return []
    import numpy as np

    arrays = np.load(path)
    return [{leaf: arrays[f"{kind}.{i}.{leaf}"] for leaf in leaves} for i, leaves in enumerate(data[kind])]


# --------------------------------------------------------------------- comparing
def _within(a: float, b: float, tol: dict) -> bool:
    return abs(a - b) <= tol["atol"] + tol["rtol"] * abs(a)


def compare_records(torch_data: dict, port_data: dict, torch_out: dict, port_out: dict, tol: dict,
                    steps: int) -> dict:
    """What matched: {"kind", "ok", "rows": [(label, ok, text)], "max_abs", "compared"}."""
    import numpy as np

    rows, diffs = [], []
    if torch_data["losses"]:
        kind = "training"
        t, p = torch_data["losses"][:steps], port_data["losses"][:steps]
        for i, a in enumerate(t):
            if i >= len(p):
                rows.append((f"step {i + 1}", False, f"torch loss {a:.6g}, the port computed no loss"))
                continue
            diff = abs(a - p[i])
            diffs.append(diff)
            rows.append((f"step {i + 1}", _within(a, p[i], tol), f"loss torch {a:.7g} port {p[i]:.7g} (abs diff {diff:.3g})"))
    else:
        kind = "generation" if torch_out.get("generated") else "inference"
        key = "generated" if kind == "generation" else "forward"
        t, p = torch_out.get(key, []), port_out.get(key, [])
        for i, ref in enumerate(t[:steps]):
            got = p[i] if i < len(p) else None
            if got is None:
                rows.append((f"call {i + 1}", False, "the port produced no output"))
                continue
            for leaf, a in ref.items():
                b = got.get(leaf)
                label = f"call {i + 1} {leaf}"
                if b is None or np.shape(a) != np.shape(b):
                    rows.append((label, False, f"torch {list(np.shape(a))}, port "
                                               f"{'missing' if b is None else list(np.shape(b))}"))
                    continue
                if np.issubdtype(a.dtype, np.integer) or a.dtype == np.bool_:
                    same = int((np.asarray(a) == np.asarray(b)).sum())
                    ok = same == a.size
                    rows.append((label, ok, f"{same}/{a.size} equal" + ("" if ok else
                                f" (torch {np.asarray(a).ravel()[:12].tolist()} port {np.asarray(b).ravel()[:12].tolist()})")))
                    diffs.append(0.0 if ok else float("inf"))
                else:
                    diff = float(np.abs(a.astype(np.float64) - b.astype(np.float64)).max(initial=0))
                    ok = bool(np.all(np.abs(a - b) <= tol["atol"] + tol["rtol"] * np.abs(a)))
                    diffs.append(diff)
                    rows.append((label, ok, f"max abs diff {diff:.3g}"))
    from torch2ms.parity.compare import nothing_nonzero

    ok = bool(rows) and all(r[1] for r in rows)
    if kind == "training":
        compared = [*t, *p]
    else:
        compared = [v for side in (t, p) for out in side[:steps] for v in (out or {}).values()]
    return {"kind": kind, "ok": ok, "rows": rows, "compared": len(rows),
            "max_abs": max(diffs) if diffs else None, "trivial": nothing_nonzero(compared)}


# --------------------------------------------------------------------- the command
# how a case's exit status ranks when several are summed up: a usable spec first, then the port
_WORST = (2, 1, 4, 3, 0)


def run(args) -> int:
    torch_file, ms_file = Path(args.torch_file).resolve(), Path(args.ms_file).resolve()
    for label, path in (("torch", torch_file), ("port", ms_file)):
        if not path.is_file():
            return _bad(f"{label} script not found: {path}")
    try:
        cases = _cases(args)
    except SpecError as exc:
        return _bad(str(exc))
    if len(cases) == 1:
        return _run_case(args, torch_file, ms_file, cases[0][1])
    codes, reports = [], []
    for name, settings in cases:
        if args.json:  # one JSON document for all the cases: {"cases": [{"name": ..., ...}], "ok": ...}
            buffer = io.StringIO()
            with contextlib.redirect_stdout(buffer):
                codes.append(_run_case(args, torch_file, ms_file, settings))
            try:
                reports.append({"name": name, **json.loads(buffer.getvalue())})
            except ValueError:
                reports.append({"name": name, "ok": False, "exit": codes[-1]})
            continue
        print(f"== case {name} ==", flush=True)
        codes.append(_run_case(args, torch_file, ms_file, settings))
        sys.stdout.flush()
    good = codes.count(0)
    if args.json:
        print(json.dumps({"ok": good == len(codes), "cases": reports}, indent=2))
    else:
        print(f"parity-run: {good} of {len(codes)} cases match")
    return next(c for c in _WORST if c in codes)


def _run_case(args, torch_file: Path, ms_file: Path, settings: dict) -> int:
    torch_root, port_root = _roots(torch_file, ms_file)
    with tempfile.TemporaryDirectory(prefix="torch2ms-parity-run-") as tmp:
        tmp = Path(tmp)
        record, torch_work, port_work = tmp / "record", tmp / "torch", tmp / "port"
        record.mkdir()
        try:
            _copy_project(torch_root, torch_work, settings["files"], torch_root)
            _copy_project(port_root, port_work, settings["files"], torch_root)
            _copy_project(port_root, port_work, settings["port_files"], port_root)
        except (SpecError, OSError) as exc:
            return _bad(str(exc))
        for script, root, work in ((torch_file, torch_root, torch_work), (ms_file, port_root, port_work)):
            missing = set_constants(work / script.relative_to(root), settings["constants"])
            if missing:
                return _bad(f"constants: {script.name} assigns no {', '.join(missing)} at its top level")
        if settings["checkpoint"]:
            why = make_checkpoint(settings, torch_file, torch_root, torch_work, ms_file, port_root, port_work)
            if why:
                return _bad(why)
        outcome, torch_data = _run_side("torch", torch_file, torch_root, torch_work, record,
                                        settings["torch_args"], settings)
        code = _judge_torch(outcome, torch_data, settings)
        if code is not None:
            return code
        outcome, port_data = _run_side("mindspore", ms_file, port_root, port_work, record,
                                       settings["port_args"], settings)
        code = _judge_port(outcome, port_data, torch_data, settings)
        if code is not None:
            return code
        result = compare_records(
            torch_data, port_data,
            {k: _outputs(record, "torch", torch_data, k) for k in ("generated", "forward")},
            {k: _outputs(record, "mindspore", port_data, k) for k in ("generated", "forward")},
            settings["tolerance"], settings["steps"])
    return _report(result, torch_data, port_data, settings, args.json)


def _judge_torch(outcome, data, settings) -> int | None:
    """An exit code when the torch run gives nothing to compare with, else None."""
    if outcome.timed_out:
        return _bad(f"the torch original did not finish {settings['steps']} steps within {settings['timeout']:g} s "
                    "(smaller arguments, or fewer --steps)")
    error = (data or {}).get("error") or (None if outcome.returncode == 0 else _tail(outcome.stderr))
    if error and not (data or {}).get("captured"):
        missing = _missing_package(error)
        if missing:
            print(f"parity-run: TORCH SIDE UNAVAILABLE, the torch original imports {missing}, which is not "
                  f"installed here: {_install_hint(missing)} (parity cannot run without it)")
            return 3
        if data is not None and not data.get("crashed"):  # its own exit: it rejects the arguments
            return _bad(f"the torch original fails with these arguments: {error}")
        return _run_failed("fails before its first step", error, outcome)
    if data is None:
        return _run_failed("left no record", _tail(outcome.stderr), outcome)
    if data.get("crashed") and _done(data) < settings["steps"]:
        return _run_failed(f"stopped after {_done(data)} of {settings['steps']} steps", error, outcome)
    if not data.get("captured"):
        return _bad("the torch original built no optimizer, called no generate() and no eval() in its own "
                    "code: nothing to compare (parity-run compares training steps, generation or evaluation)")
    if not (data["losses"] or data["generated"] or data["forward"]):
        return _bad(f"the torch original reached its {data['captured']} but then computed no loss and no output"
                    + (f" ({error})" if error else ""))
    return None


def _done(data: dict | None) -> int:
    """How many steps a side's record holds: losses, generate calls or forward outputs."""
    data = data or {}
    return max(len(data.get("losses") or []), len(data.get("generated") or []), len(data.get("forward") or []))


def _run_failed(what: str, error: str, outcome) -> int:
    """The torch original fails at run time with the spec's arguments: its own verdict (exit 4),
    not a spec error (the spec reads fine) and nothing the port did (it has not run)."""
    if outcome.out_of_memory:
        error = f"{error} (it ran out of memory under the address-space limit)"
    print(f"parity-run: TORCH RUN FAILED, the torch script {what}: {error}")
    return 4


def _missing_package(error: str) -> str | None:
    import importlib.util
    import re

    match = re.search(r"ModuleNotFoundError: No module named '([\w.]+)'", error)
    if not match:
        return None
    top = match.group(1).split(".")[0]
    return top if importlib.util.find_spec(top) is None else None


def _install_hint(name: str) -> str:
    from torch2ms.loader import install_hint

    return install_hint(name)


def _judge_port(outcome, data, torch_data, settings) -> int | None:
    if outcome.timed_out:
        done = f"; it had computed {len(data['losses'])} losses" if data else ""
        print(f"parity-run: MISMATCH, the port did not finish {settings['steps']} steps within "
              f"{settings['timeout']:g} s (its process group was killed){done}")
        _events(data)
        return 1
    if data is None:
        print(f"parity-run: MISMATCH, the port fails to run: {_tail(outcome.stderr)}")
        return 1
    transfer = data.get("transfer") or {}
    if transfer and not transfer.get("ok"):
        print("parity-run: MISMATCH, the torch weights do not map onto the port's model "
              f"({data.get('model')})")
        print("  " + transfer.get("summary", "").replace("\n", "\n  "))
        return 1
    if data.get("error") and not _done(data):
        print(f"parity-run: MISMATCH, port run failed before its first step: {data['error']}")
        return 1
    models = (torch_data.get("models") or [], data.get("models") or [])
    if data.get("captured") == torch_data["captured"] and len(models[0]) != len(models[1]):
        print(f"parity-run: MISMATCH, the torch original trains {len(models[0])} models before its first loss "
              f"({', '.join(models[0])}), the port {len(models[1])} ({', '.join(models[1]) or 'none'}): "
              "each model behind an optimizer needs its own")
        return 1
    if data.get("captured") != torch_data["captured"]:
        reached = f"first reached its {data['captured']}" if data.get("captured") else "reached none of them"
        print(f"parity-run: MISMATCH, the torch original first reached its {torch_data['captured']}, the port "
              f"{reached}: they cannot start from the same weights"
              + (f" ({data['error']})" if data.get("error") else ""))
        return 1
    return None


def _events(data) -> None:
    for event in (data or {}).get("events", []):
        if not event.startswith("capture at"):
            print(f"  {event}")


def _report(result: dict, torch_data: dict, port_data: dict, settings: dict, as_json: bool) -> int:
    from torch2ms.parity.compare import TRIVIAL

    rows = result["rows"]
    good = sum(r[1] for r in rows)
    unit = {"training": "losses", "generation": "generated outputs", "inference": "outputs"}[result["kind"]]
    head = "MATCH" if result["ok"] else "MISMATCH"
    max_abs = result["max_abs"]
    expected = min(settings["steps"], _done(torch_data))
    stopped = (f"the port script stopped after {_done(port_data)} of {expected} steps: {port_data['error']}; "
               if port_data.get("error") and _done(port_data) < expected else "")
    summary = (f"parity-run ({result['kind']}, {settings['steps']} steps): {head}, {stopped}{good}/{len(rows)} {unit} "
               f"within tolerance" + ("" if max_abs is None else f" (max abs diff {max_abs:.3g})")
               + (f"; warning: {TRIVIAL}" if result["ok"] and result.get("trivial") else ""))
    if as_json:
        print(json.dumps({"ok": result["ok"], "kind": result["kind"], "compared": result["compared"],
                          "trivial": bool(result.get("trivial")),
                          "max_abs_diff": max_abs, "captured": torch_data["captured"], "model": torch_data["model"],
                          "models": torch_data.get("models") or [],
                          "losses": {"torch": torch_data["losses"], "port": port_data["losses"]},
                          "rows": [{"what": r[0], "ok": r[1], "detail": r[2]} for r in rows],
                          "port_error": port_data.get("error"),
                          "weights": (port_data.get("transfer") or {}).get("summary")}, indent=2))
    else:
        print(summary)
        print(f"captured at the first {torch_data['captured']} ({torch_data['model']}); tolerance "
              f"atol {settings['tolerance']['atol']:g}, rtol {settings['tolerance']['rtol']:g}")
        print("weights: " + (port_data.get("transfer") or {}).get("summary", "").replace("\n", "\n  "))
        for label, ok, text in rows:
            print(f"{'ok  ' if ok else 'FAIL'} {label}: {text}")
        if port_data.get("error") and not stopped:
            print(f"the port stopped with: {port_data['error']}")
        if not result["ok"]:
            _events(port_data)
        if not result["ok"] and torch_data.get("dropout"):
            shown = ", ".join(torch_data["dropout"][:4])
            print(f"note: the model drops at random ({shown}): the two frameworks draw different masks, so "
                  "pass arguments that set dropout to 0 (or compare in eval mode)")
    return 0 if result["ok"] else 1
