"""`torch2ms weights SRC --port PORT -o DST`: a torch checkpoint converted for the MindSpore port.

SRC: a torch checkpoint (`.pt`/`.pth`/`.bin`: a state dict, or a dict holding one such as
`{"model": sd, "config": ..., "vocab": ...}`), a `.safetensors` file, or a Hugging Face model
folder (sharded or not). The port is built (from a parity spec, or --build/--config/--kwargs, by
default from the checkpoint's own config), every tensor is mapped onto its parameters and buffers
with parity's weight mapping, and the result is written where `mindspore.save_checkpoint(net,
DST, format=...)` would write it (DST, or DST.safetensors / DST.ckpt), with the checkpoint's other
entries as JSON in DST.json (CLAUDE.md's checkpoint rule). `--torch MODEL` goes the other way: a
port's MindSpore checkpoint becomes a torch state dict for MODEL.

Exit codes: 0 written (with --dry-run: everything maps); 1 the weights do not map completely, or
the written file does not load (nothing written); 2 bad input.
"""

from __future__ import annotations

import collections
import contextlib
import fnmatch
import json
import sys
from pathlib import Path

from torch2ms.parity.spec import SpecError
from torch2ms.weights.checkpoints import CheckpointError, progress

DTYPES = ("keep", "model", "float32", "float16", "bfloat16")
FORMATS = ("safetensors", "ckpt", "pt")
SHOWN = 12  # names listed per row of the table (--json lists all)


class BadInput(ValueError):
    pass


def add_arguments(parser) -> None:
    parser.add_argument("src", metavar="SRC", help="the checkpoint: a torch file, .safetensors, a Hugging Face "
                        "folder; with --torch a MindSpore .safetensors or .ckpt")
    side = parser.add_mutually_exclusive_group(required=True)
    side.add_argument("--port", metavar="PORT", help="the MindSpore port, a .py file or a module "
                      "(mindone.transformers): convert SRC for it")
    side.add_argument("--torch", metavar="MODEL", help="the torch model, a .py file or a module (transformers): "
                      "convert the port's checkpoint SRC back for it")
    parser.add_argument("-o", "--output", metavar="DST", help="where to write (as mindspore.save_checkpoint "
                        "names it: DST, or DST.safetensors); the metadata goes to DST.json")
    how = parser.add_argument_group("building the model")
    how.add_argument("--spec", help="a parity spec (YAML) whose build and init make the model")
    how.add_argument("--build", metavar="NAME", help="the class or function that builds it (a Hugging Face "
                     "folder: config.json's architectures by default)")
    how.add_argument("--config", metavar="NAME", help="a config class in the same file: built from the "
                     "arguments and passed to --build")
    how.add_argument("--kwargs", metavar="JSON", help="the arguments, JSON or a JSON file (default: the "
                     "checkpoint's model_args or config entry, or a Hugging Face folder's config.json)")
    names = parser.add_argument_group("mapping")
    names.add_argument("--key", help="where the weights are inside a torch checkpoint dict (found if omitted; "
                       "with --torch: nest them under this key, beside the metadata)")
    names.add_argument("--rename", action="append", default=[], metavar="OLD=NEW",
                       help="torch name -> port name, exact or a prefix ending in '.' (repeatable)")
    names.add_argument("--allow-missing", action="append", default=[], metavar="GLOB",
                       help="model entries that may have no tensor in SRC (repeatable)")
    names.add_argument("--allow-unused", action="append", default=[], metavar="GLOB",
                       help="tensors of SRC the model may leave unused (repeatable)")
    out = parser.add_argument_group("output")
    out.add_argument("--dtype", choices=DTYPES, default="keep",
                     help="floating tensors: keep SRC's dtypes (default), the model's, or one dtype")
    out.add_argument("--format", choices=FORMATS, help="safetensors (default) or ckpt; with --torch pt "
                     "(default) or safetensors")
    out.add_argument("--drop", action="append", default=[], metavar="KEY",
                     help="a metadata entry to leave out of the JSON (repeatable)")
    out.add_argument("--safe-global", action="append", default=[], metavar="NAME",
                     help="a class torch.load may unpickle from SRC (weights_only stays on; repeatable)")
    out.add_argument("--force", action="store_true", help="overwrite existing output files (never SRC)")
    out.add_argument("--dry-run", action="store_true", help="print the accounting, write nothing")
    out.add_argument("--no-check", action="store_true", help="skip loading the written file back into the model")
    out.add_argument("--json", action="store_true", help="print the accounting as JSON")


def run(args) -> int:
    try:
        return _run(args)
    except (BadInput, CheckpointError, SpecError) as exc:
        print(f"torch2ms weights: {exc}", file=sys.stderr)
        return 2


# ---------------------------------------------------------------- paths


def output_paths(args, to_ms: bool) -> tuple[Path, Path, str]:
    """(weights file, metadata JSON, format) for -o DST."""
    dst = Path(args.output)
    if to_ms:
        fmt = args.format or ("ckpt" if dst.suffix == ".ckpt" else "safetensors")
        if fmt == "pt":
            raise BadInput("--format pt is for --torch; a MindSpore checkpoint is safetensors or ckpt")
        weights = dst if dst.suffix == f".{fmt}" else Path(f"{dst}.{fmt}")
        return weights, Path(f"{dst}.json"), fmt
    fmt = args.format or ("safetensors" if dst.suffix == ".safetensors" else "pt")
    if fmt == "ckpt":
        raise BadInput("--format ckpt is for --port; a torch checkpoint is pt or safetensors")
    if fmt == "safetensors" and args.key:
        raise BadInput("--key nests the weights in a torch.save file; safetensors holds only tensors")
    return dst, Path(f"{dst}.json"), fmt


def check_destinations(paths: list[Path], sources: list[Path], force: bool) -> None:
    inputs = {p.resolve() for p in sources}
    for path in paths:
        resolved = path.resolve()
        if resolved in inputs or any(resolved.is_relative_to(s) for s in inputs if s.is_dir()):
            raise BadInput(f"{path} is part of the input; write elsewhere")
        if path.is_dir():
            raise BadInput(f"{path} is a folder; DST names a file")
        if path.exists() and not force:
            raise BadInput(f"{path} exists; --force overwrites it")


def parse_renames(pairs: list[str]) -> dict:
    rename = {}
    for pair in pairs:
        old, sep, new = pair.partition("=")
        if not sep or not old:
            raise BadInput(f"--rename {pair!r}: expected OLD=NEW")
        rename[old] = new
    return rename


# ---------------------------------------------------------------- the run


def _run(args) -> int:
    to_ms = args.port is not None
    if not args.output and not args.dry_run:
        raise BadInput("-o DST is required (or --dry-run)")
    src = Path(args.src)
    if args.output:
        weights_path, meta_path, fmt = output_paths(args, to_ms)
        check_destinations([weights_path], [src], args.force)
    else:
        weights_path, meta_path, fmt = None, None, None

    from torch2ms.weights import checkpoints

    progress(f"reading {src}")
    if to_ms:
        ckpt = checkpoints.read_torch_side(src, args.key, args.safe_global)
    else:
        if args.safe_global:
            raise BadInput("--safe-global applies to torch files; a MindSpore checkpoint holds no pickle")
        ckpt = checkpoints.read_mindspore_side(src)
    metadata = {k: v for k, v in ckpt.metadata.items() if k not in set(args.drop)}
    unknown_drop = [k for k in args.drop if k not in ckpt.metadata]
    if unknown_drop:
        raise BadInput(f"--drop {unknown_drop[0]}: SRC has no such entry (it has: {', '.join(map(str, ckpt.metadata)) or 'none'})")
    meta_json = checkpoints.jsonable(metadata) if metadata else None
    nest = bool(args.key) and not to_ms  # the inverse puts weights and metadata into one torch file
    if weights_path is not None:
        check_destinations([weights_path] + ([meta_path] if meta_json and not nest else []), ckpt.files, args.force)

    label = "mindspore" if to_ms else "torch"
    model, lazy, how = build_model(args, ckpt, label)
    rename, rename_why = parse_renames(args.rename), "--rename"
    if to_ms and not rename:
        rename, rename_why = auto_prefix(ckpt.tensors, model), "DataParallel prefix"

    from torch2ms.parity.weights import plan_transfer

    if to_ms:
        report, plan = plan_transfer(ckpt.tensors, model, rename or None)
    else:
        report, plan = plan_transfer(model, ckpt.tensors, rename or None)
    account = Accounting.of(report, to_ms, args.allow_missing, args.allow_unused)
    account.rename_why, account.dtype = rename_why, args.dtype

    if to_ms:
        tensors = ms_tensors(plan, report, args.dtype)
    else:
        tensors = torch_state(plan, model, args.dtype)
    header = f"{src} ({ckpt.describe()}) -> {weights_path or '(dry run)'}; model: {how}"
    if args.json:  # stdout is the JSON alone; the closing line goes to stderr
        print(json.dumps(account.as_dict(header, tensors), indent=2, default=str))
    else:
        print("weights: " + header)
        print(account.table(tensors, to_ms, ckpt, meta_json, meta_path, nest))

    def say(line: str) -> None:
        print(f"weights: {line}", file=sys.stderr if args.json else sys.stdout)

    if not account.ok:
        say("nothing written: the weights do not map completely"
            + ("" if account.shape_mismatch or account.conflicts else " (--allow-missing/--allow-unused name what may stay unmapped)"))
        return 1
    if args.dry_run:
        return 0

    with checkpoints.AtomicFiles() as out:
        tmp = out.path(weights_path)
        progress(f"writing {weights_path}")
        if to_ms:
            if fmt == "ckpt":
                checkpoints.save_ckpt(tensors, tmp)
            else:
                checkpoints.save_safetensors(tensors, tmp, "ms")
        elif fmt == "safetensors":
            checkpoints.save_safetensors(tensors, tmp, "pt")
        else:
            checkpoints.save_torch({args.key: tensors, **(meta_json or {})} if nest else tensors, tmp)
        if meta_json is not None and not nest:
            checkpoints.write_json(meta_json, out.path(meta_path))
        if not args.no_check:
            progress("loading the written file back into the model")
            problems = (check_ms(tmp, fmt, model, report, account, lazy) if to_ms
                        else check_torch(tmp, fmt, model, account, args.key if nest else None))
            if problems:
                say(f"nothing written: the written file does not load as it should: {problems}")
                return 1
        out.commit()
    written = f"wrote {weights_path} ({len(tensors)} tensors)"
    if meta_json is not None and not nest:
        written += f" and {meta_path}"
    checked = "" if args.no_check else ("; mindspore.load_checkpoint + load_param_into_net load every parameter"
                                        if to_ms else "; the torch model's load_state_dict loads every entry")
    say(f"{written}{checked}")
    return 0


def build_model(args, ckpt, label: str):
    from torch2ms.weights import models

    ref = args.port or args.torch
    side, shared, how = models.build_side(args, ckpt, label)
    progress(f"building {how} from {ref}")
    if label == "mindspore":
        from torch2ms import cpu_fallback

        cpu_fallback.enable()  # mint kernels a build calls (arange, ...) may have no CPU kernel
    try:  # what the model's libraries print while importing and building goes to stderr
        with contextlib.redirect_stdout(sys.stderr):
            module = models.load_module(ref, label)
    except SpecError:
        raise
    except Exception as exc:
        raise BadInput(f"cannot import {ref}: {type(exc).__name__}: {exc}") from None
    try:
        with contextlib.redirect_stdout(sys.stderr):
            model, lazy = models.build(module, side, shared, label, lazy=label == "mindspore")
    except SpecError:
        raise
    except Exception as exc:
        raise BadInput(models.describe_failure(exc, how, side)) from None
    if label == "torch":
        model.eval()
    return model, lazy, how


def auto_prefix(tensors: dict, model) -> dict:
    """torch.nn.DataParallel's `module.` prefix, dropped when every name has it and the port none."""
    names = list(tensors)
    if names and all(n.startswith("module.") for n in names):
        ms_names = [n for n, _ in model.parameters_and_names()]
        if not any(n.startswith("module.") for n in ms_names):
            return {"module.": ""}
    return {}


# ---------------------------------------------------------------- the tensors written


def _cast(tensor, mode: str, model_dtype: str):
    import torch

    if mode == "keep" or not tensor.dtype.is_floating_point:
        return tensor
    dtype = getattr(torch, model_dtype if mode == "model" else mode, None)
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        return tensor
    return tensor.to(dtype)


def _dtype(value) -> str:
    return str(value.dtype).replace("torch.", "").lower()


def ms_tensors(plan, report, mode: str) -> dict:
    """Port entry name (its Parameter name) -> the torch tensor to write."""
    out = {}
    for item in plan:
        tensor = item.tensor
        if item.ms_shape is not None:
            tensor = tensor.reshape(item.ms_shape)
        out[report.ms_keys.get(item.ms_name, item.ms_name)] = _cast(tensor, mode, _dtype(item.target))
    return out


def torch_state(plan, model, mode: str) -> dict:
    """The torch model's state dict filled from the MindSpore checkpoint (tied names share one tensor)."""
    by_id = {id(item.tensor): item for item in plan}
    out, done = {}, {}
    for name, tensor in model.state_dict(keep_vars=True).items():
        item = by_id.get(id(tensor))
        if item is None:
            continue
        if id(item) not in done:
            value = item.target.reshape(tuple(item.tensor.shape))
            done[id(item)] = _cast(value, mode, _dtype(item.tensor))
        out[name] = done[id(item)]
    return out


# ---------------------------------------------------------------- checks of the written file


def check_ms(path: Path, fmt: str, port, report, account, lazy: bool) -> str:
    import mindspore

    try:
        loaded = mindspore.load_checkpoint(str(path), format=fmt)
        param_not_load, ckpt_not_load = mindspore.load_param_into_net(port, loaded)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    keys = {report.ms_keys.get(n, n) for n in account.allowed_missing}
    buffers = set(report.buffers)
    problems = [f"not loaded into the port: {', '.join(sorted(set(param_not_load) - keys))}"] if set(param_not_load) - keys else []
    if set(ckpt_not_load) - buffers:
        problems.append(f"not taken by the port: {', '.join(sorted(set(ckpt_not_load) - buffers))}")
    if lazy:
        still = [p.name for _, p in port.parameters_and_names() if getattr(p, "has_init", False) and p.name not in keys]
        if still:
            problems.append(f"left uninitialised: {', '.join(still)}")
    return "; ".join(problems)


def check_torch(path: Path, fmt: str, model, account, key) -> str:
    from torch2ms.weights import checkpoints

    try:
        if fmt == "safetensors":
            state = checkpoints.read_safetensors(path)
        else:
            state = checkpoints.torch_load(path)
            state = state[key] if key else state
        result = model.load_state_dict(state, strict=False)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    missing = [n for n in result.missing_keys if n not in set(account.allowed_missing)]
    problems = [f"missing: {', '.join(missing)}"] if missing else []
    if result.unexpected_keys:
        problems.append(f"unexpected: {', '.join(result.unexpected_keys)}")
    return "; ".join(problems)


# ---------------------------------------------------------------- the accounting


def _names(names, shown: int = SHOWN) -> str:
    names = list(names)
    text = ", ".join(map(str, names[:shown]))
    return text + (f" (+{len(names) - shown} more)" if len(names) > shown else "")


class Accounting:
    """The TransferReport told from the checkpoint's side: what maps, what is missing or unused."""

    def __init__(self, report, to_ms: bool):
        self.report, self.to_ms = report, to_ms
        model_only, ckpt_only = (report.ms_only, report.torch_only) if to_ms else (report.torch_only, report.ms_only)
        self.missing, self.unused = list(model_only), list(ckpt_only)
        self.allowed_missing, self.allowed_unused = [], []
        self.shape_mismatch, self.conflicts = report.shape_mismatch, report.conflicts
        self.rename_why, self.dtype = "--rename", "keep"

    @classmethod
    def of(cls, report, to_ms: bool, allow_missing, allow_unused) -> "Accounting":
        account = cls(report, to_ms)

        def split(names, patterns):
            kept, allowed = [], []
            for name in names:
                (allowed if any(fnmatch.fnmatchcase(name, p) for p in patterns) else kept).append(name)
            return kept, allowed

        account.missing, account.allowed_missing = split(account.missing, allow_missing)
        account.unused, account.allowed_unused = split(account.unused, allow_unused)
        return account

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unused or self.shape_mismatch or self.conflicts)

    def renamed(self) -> list[tuple[str, str, str]]:
        """(checkpoint name, model name, why) for every copy under another name."""
        r = self.report
        why = {**{p: self.rename_why for p in r.renamed}, **{p: "nn-layer name" for p in r.aliased},
               **{p: "tied in the port" for p in r.ms_tied}}
        rows = []
        for t, m in r.copied:
            if t != m:
                reason = why.get((t, m), "tied in torch")
                rows.append((t, m, reason) if self.to_ms else (m, t, reason))
        return rows

    def table(self, tensors: dict, to_ms: bool, ckpt, meta_json, meta_path, nest: bool) -> str:
        r = self.report
        model = "port" if to_ms else "torch model"
        rows = []

        def row(title, count, text=""):
            rows.append(f"  {title:<15}{count:>5}  {text}".rstrip())

        same = sum(1 for t, m in r.copied if t == m)
        renamed = self.renamed()
        row("mapped", same, "by the same name")
        row("renamed", len(renamed), _renames(renamed))
        tied_once = [(t, m) for t, m in r.ms_tied if (t, m) not in r.copied]
        if to_ms:
            row("tied", len(tied_once), _names(f"{t}: shares {m}, written once" for t, m in tied_once))
        else:
            row("tied", len(r.tied), _names(f"{a}: written as {b}'s tensor" for a, b in r.tied))
        row("reshaped", len(r.reshaped), _names(
            f"{t} {list(a)} -> {list(b)}" if to_ms else f"{m} {list(b)} -> {list(a)}" for t, m, a, b in r.reshaped))
        row("missing", len(self.missing), (f"in the {model}, not in the checkpoint: " + _names(self.missing))
            if self.missing else "")
        row("unused", len(self.unused), (f"in the checkpoint, not in the {model}: " + _names(self.unused))
            if self.unused else "")
        row("shape mismatch", len(self.shape_mismatch), _names(
            f"{t} {list(a)} vs {m} {list(b)}" for t, m, a, b in self.shape_mismatch))
        if self.conflicts:
            row("conflicts", len(self.conflicts), "tied in the port, unequal in the checkpoint: " + _names(
                f"{t} vs {m}" for t, m in self.conflicts))
        if self.allowed_missing or self.allowed_unused:
            row("allowed", len(self.allowed_missing) + len(self.allowed_unused), _names(
                [f"{n} (missing)" for n in self.allowed_missing] + [f"{n} (unused)" for n in self.allowed_unused]))
        recomputed = r.ms_recomputed if to_ms else r.recomputed
        if recomputed:
            row("recomputed", len(recomputed), "non-persistent buffers the model computes: " + _names(recomputed))
        if to_ms and r.buffers:
            row("buffers", len(r.buffers), _names(r.buffers) + ": written; load_param_into_net skips buffers, "
                "port.load_state_dict(mindspore.load_checkpoint(...)) loads them")
        if to_ms and r.ms_keys:
            row("named", len(r.ms_keys), "written under the Parameter name load_param_into_net uses, not the "
                "attribute path: " + _names(f"{k} as {v}" for k, v in r.ms_keys.items()))
        row("dtypes", len(tensors), self.dtypes(tensors, to_ms))
        if meta_json:
            where = "beside the weights in DST" if nest else str(meta_path or "DST.json")
            row("metadata", len(meta_json), f"{_metadata_keys(ckpt.metadata, meta_json)} -> {where}")
        elif ckpt.metadata and not meta_json:
            row("metadata", 0, "all dropped")
        if ckpt.folder is not None:
            rows.append(f"  (config.json and the tokenizer files stay in {ckpt.folder}: the model's config comes from there)")
        return "\n".join(rows)

    def dtypes(self, tensors: dict, to_ms: bool) -> str:
        counts = collections.Counter(_dtype(t) for t in tensors.values())
        text = ", ".join(f"{d} x{n}" for d, n in counts.most_common())
        text += " (SRC's dtypes)" if self.dtype == "keep" else f" (--dtype {self.dtype})"
        held = collections.Counter(model for _, _, model in self.report.dtype_casts) if to_ms else \
            collections.Counter(model for _, model, _ in self.report.dtype_casts)
        if held and self.dtype == "keep":
            where = "the port holds" if to_ms else "the torch model holds"
            loader = "load_param_into_net casts on load" if to_ms else "load_state_dict copies into it"
            text += f"; {where} " + ", ".join(f"{d} for {n}" for d, n in held.most_common()) + f" ({loader})"
        return text

    def as_dict(self, header: str, tensors: dict) -> dict:
        r = self.report
        return {
            "header": header, "ok": self.ok,
            "mapped": [t for t, m in r.copied if t == m],
            "renamed": [{"from": a, "to": b, "why": why} for a, b, why in self.renamed()],
            "tied_in_port": r.ms_tied, "tied_in_torch": r.tied,
            "reshaped": [{"torch": t, "mindspore": m, "torch_shape": a, "mindspore_shape": b} for t, m, a, b in r.reshaped],
            "missing": self.missing, "unused": self.unused,
            "allowed_missing": self.allowed_missing, "allowed_unused": self.allowed_unused,
            "shape_mismatch": [{"torch": t, "mindspore": m, "torch_shape": a, "mindspore_shape": b}
                               for t, m, a, b in self.shape_mismatch],
            "conflicts": self.conflicts, "buffers": r.buffers, "parameter_names": r.ms_keys,
            "recomputed": r.ms_recomputed if self.to_ms else r.recomputed,
            "dtypes": dict(collections.Counter(_dtype(t) for t in tensors.values())),
        }


def _change(a: str, b: str) -> tuple[str, str]:
    """The part of a dotted name that a rename changed: ('weight', 'gamma'), ('module', '')."""
    x, y = a.split("."), b.split(".")
    while x and y and x[0] == y[0]:
        x, y = x[1:], y[1:]
    while x and y and x[-1] == y[-1]:
        x, y = x[:-1], y[:-1]
    return ".".join(x), ".".join(y)


def _renames(rows: list[tuple[str, str, str]]) -> str:
    """Renames grouped by what changed: `weight -> gamma x5 (nn-layer name)`, with one example."""
    if len(rows) <= 3:
        return ", ".join(f"{a} -> {b} ({why})" for a, b, why in rows)
    groups = collections.Counter((*_change(a, b), why) for a, b, why in rows)
    text = ", ".join(f"{x or '(none)'} -> {y or '(none)'} x{n} ({why})" for (x, y, why), n in groups.most_common(SHOWN))
    if len(groups) > SHOWN:
        text += f" (+{len(groups) - SHOWN} more kinds)"
    return f"{text}; e.g. {rows[0][0]} -> {rows[0][1]}"


def _metadata_keys(metadata: dict, written: dict) -> str:
    from torch2ms.weights.checkpoints import count_tensors

    parts = []
    for key in written:
        n = count_tensors(metadata.get(key))
        parts.append(f"{key} ({n} tensors as lists)" if n else str(key))
    return ", ".join(parts)
