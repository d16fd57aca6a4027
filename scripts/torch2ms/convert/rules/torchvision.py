"""torchvision -> mindspore.dataset (transforms, datasets), mindcv (models), numpy + PIL (utils).

- transforms: a table in the mapping format (`torchvision.yaml`, `transforms:`), applied like the
  torch table; entries not verified by a differential test are converted and flagged with their
  note. `Lambda(f)` becomes `f` (a Python callable is an operation of `dataset.map`), flagged: it
  now receives numpy arrays or PIL images. A Compose called on one image (not given to
  `dataset.map`) is flagged: MindSpore's returns a 1-tuple for a PIL image.
- datasets: MNIST / CIFAR / ImageFolder become the mindspore.dataset reader of torchvision's
  files, with the transform applied by `.map` after the image is put into PIL form (so the ops
  give torchvision's numbers) and the labels cast to int64; the other datasets are flagged with
  their counterpart.
- models: a builder becomes `mindcv.create_model(<mindcv name>, ...)` (name table); pretrained
  weights are mindcv's own, flagged with the weight-name table that loads torchvision's.
- utils: `save_image` / `make_grid` are written out with numpy + PIL (`_torchvision_utils.py`,
  copied into the file).
Anything else under torchvision is flagged with the counterpart of its area (`fallback:`).
"""

from __future__ import annotations

from pathlib import Path

import libcst as cst

from ..apply import apply_call_mapping
from ..mappings import parse_entry
from . import call, node, reference
from ._data import load
from .imports import import_block_end

FAMILY = "torchvision"
_DATA = load(FAMILY)
TRANSFORMS = {name: parse_entry(name, raw, "torchvision.yaml") for name, raw in _DATA["transforms"].items()}
DATASETS = _DATA["datasets"]
DATASET_NOTES = _DATA["dataset_notes"]
MODELS = _DATA["models"]
WEIGHTS = _DATA["weights"]
_FALLBACK = sorted(_DATA["fallback"].items(), key=lambda kv: -len(kv[0]))
_HELPERS_FILE = Path(__file__).with_name("_torchvision_utils.py")


def _canonical(qn: str) -> str:
    """`torchvision.transforms.transforms.Resize` (the defining module) -> `torchvision.transforms.Resize`."""
    for inner in ("torchvision.transforms.transforms.", "torchvision.transforms.autoaugment."):
        if qn.startswith(inner):
            return "torchvision.transforms." + qn[len(inner):]
    return qn


def fallback_note(qn: str) -> str:
    return next(note for prefix, note in _FALLBACK if qn == prefix or qn.startswith(prefix + "."))


def _bind(params: list[str], args) -> dict[str, cst.Arg] | None:
    """torch parameter name -> argument; None when an argument cannot be bound (*args, unknown)."""
    bound: dict[str, cst.Arg] = {}
    for i, arg in enumerate(args):
        if arg.star:
            return None
        name = arg.keyword.value if arg.keyword is not None else (params[i] if i < len(params) else None)
        if name is None:
            return None
        bound[name] = arg
    return bound


def _is_literal(arg: cst.Arg | None, value: str) -> bool:
    return arg is not None and isinstance(arg.value, cst.Name) and arg.value.value == value


# ------------------------------------------------------------------ transforms
@call("torchvision.transforms", prefix=True)
def transform_call(ctx, original: cst.Call, updated: cst.Call, qn: str):
    name = _canonical(qn)
    if name == "torchvision.transforms.Lambda":
        return _lambda(ctx, original, updated)
    entry = TRANSFORMS.get(name)
    if entry is None:
        return None
    new = apply_call_mapping(ctx, entry, original, updated)
    if entry.to is not None and entry.status != "verified":
        ctx.flag(original, FAMILY, f"{name} -> {entry.to} is not verified: {entry.note}")
    target = ctx.assigned_to(original) if entry.to is not None else None
    if target is not None:
        kind = "tv_composes" if name == "torchvision.transforms.Compose" else "tv_ops"
        ctx.state.setdefault(kind, set()).add(target)
    return new


def _lambda(ctx, original: cst.Call, updated: cst.Call):
    if len(updated.args) != 1 or updated.args[0].keyword is not None or updated.args[0].star:
        return None
    ctx.flag(original, FAMILY, "torchvision.transforms.Lambda(f) -> f: a Python callable is an operation "
                               "of mindspore.dataset.map; it now receives numpy arrays (or PIL images), "
                               "not torch tensors: write its body with numpy")
    return ctx.edit(original, FAMILY, updated.args[0].value)


@reference("torchvision.transforms", prefix=True)
def transform_reference(ctx, original, updated, qn: str):
    entry = TRANSFORMS.get(_canonical(qn))
    if entry is None:
        return None
    if entry.to is None:
        ctx.flag(original, FAMILY, f"{qn} has no MindSpore counterpart: {entry.note}")
        return ctx.leave_torch(original, updated)
    if entry.status != "verified":
        ctx.flag(original, FAMILY, f"{qn} -> {entry.to} is not verified: {entry.note}")
    return ctx.edit(original, FAMILY, ctx.render(entry.to))


def _imports_torchvision(ctx) -> bool:
    return "torchvision" in ctx.imported_packages


@node(cst.Call, when=_imports_torchvision)  # tv_composes comes from torchvision's Compose
def eager_compose(ctx, original: cst.Call, updated: cst.Call):
    composes = ctx.state.get("tv_composes")
    func = original.func
    if composes and isinstance(func, (cst.Name, cst.Attribute)) and ctx.code(func) in composes:
        ctx.flag(original, FAMILY, f"{ctx.code(func)} is a mindspore.dataset.transforms.Compose: "
                                   "called on one PIL image it returns a 1-tuple (take [0]); better, apply it "
                                   "with dataset.map(operations=..., input_columns=[...])")
    elif isinstance(func, cst.Call) and ctx.resolves_to_prefix(func.func, "torchvision.transforms") \
            and _canonical(ctx.qualname(func.func) or "") == "torchvision.transforms.Compose":
        ctx.flag(original, FAMILY, "transforms.Compose([...])(image) -> mindspore.dataset.transforms.Compose: "
                                   "called on one PIL image it returns a 1-tuple (take [0]); better, apply it "
                                   "with dataset.map(operations=..., input_columns=[...])")
    elif isinstance(func, cst.Attribute) and _eager_op(ctx, func.value):
        ctx.flag(original, FAMILY, f".{func.attr.value}() on {ctx.code(func.value)}: a mindspore.dataset "
                                   "op called on one image returns a numpy array, not a tensor (numpy's "
                                   ".view reinterprets the dtype): wrap it in mindspore.Tensor(...) first")
    return None


def _eager_op(ctx, expr: cst.BaseExpression) -> bool:
    """`T.ToTensor()(img)` or `to_tensor(img)` (a transform bound in the file) called on a value."""
    if not isinstance(expr, cst.Call):
        return False
    func = expr.func
    if isinstance(func, cst.Call):
        return ctx.resolves_to_prefix(func.func, "torchvision.transforms")
    ops = ctx.state.get("tv_ops", set()) | ctx.state.get("tv_composes", set())
    return isinstance(func, (cst.Name, cst.Attribute)) and ctx.code(func) in ops


# ------------------------------------------------------------------ datasets
@call("torchvision.datasets", prefix=True)
def dataset_call(ctx, original: cst.Call, updated: cst.Call, qn: str):
    qn = "torchvision.datasets." + qn.rsplit(".", 1)[1]  # torchvision.datasets.mnist.MNIST too
    spec = DATASETS.get(qn)
    if spec is None:
        note = DATASET_NOTES.get(qn)
        if note is None:
            return None
        ctx.flag(original, FAMILY, f"{qn} -> {note}; no download=, the transform goes to .map")
        return ctx.leave_torch(original, updated)
    bound = _bind(spec["params"], updated.args)
    if bound is None or "root" not in bound:
        ctx.flag(original, FAMILY, f"{qn}: arguments not understood (pass them by name): -> {spec['to']}")
        return ctx.leave_torch(original, updated)
    for name, reason in (spec.get("unsupported") or {}).items():
        if name in bound and not _is_literal(bound[name], "None"):
            ctx.flag(original, FAMILY, f"{qn}: argument `{name}`: {reason}")
            return ctx.leave_torch(original, updated)
    code = lambda arg: ctx.code(arg.value)  # noqa: E731 (the updated argument's text)
    root = code(bound["root"])
    if spec.get("folder"):
        ctx.need_import("os")
        root = "os.path.join(" + ", ".join([root, *(f'"{p}"' for p in spec["folder"])]) + ")"
    args = [root]
    if "train" in spec["params"]:
        train = bound.get("train")
        usage = ('"train"' if train is None or _is_literal(train, "True") else
                 '"test"' if _is_literal(train, "False") else f'"train" if {code(train)} else "test"')
        args.append(f"usage={usage}")
    transform = bound.get("transform")
    has_transform = transform is not None and not _is_literal(transform, "None")
    if spec["images"] == "decode":
        args.append(f"decode={'False' if has_transform else 'True'}")
    args.append("shuffle=False")
    text = f"{ctx.namer.text(spec['to'])}({', '.join(args)})"
    label = spec.get("label", "label")
    if has_transform:
        first = (f"{ctx.namer.text('mindspore.dataset.vision.ToPIL')}()" if spec["images"] == "topil" else
                 f"{ctx.namer.text('mindspore.dataset.vision.Decode')}(to_pil=True)")
        text += f'.map(operations=[{first}, {code(transform)}], input_columns=["image"])'
    target_transform = bound.get("target_transform")
    if target_transform is not None and not _is_literal(target_transform, "None"):
        text += f'.map(operations={code(target_transform)}, input_columns=["{label}"])'
    cast = ctx.namer.text("mindspore.dataset.transforms.TypeCast")
    text += f'.map(operations={cast}({ctx.namer.text("mindspore.int64")}), input_columns=["{label}"])'
    download = bound.get("download")
    if download is not None and not _is_literal(download, "False"):
        ctx.discard(original.args[list(updated.args).index(download)])
        source = spec.get("download") or f"torchvision's download writes the files {spec['to']} reads"
        ctx.flag(original, FAMILY, f"{qn}: download= dropped: mindspore.dataset reads local files only "
                                   f"({source})")
    if spec.get("note"):
        ctx.flag(original, FAMILY, f"{qn} -> {spec['to']}: {spec['note']}")
    target = ctx.assigned_to(original)
    if target is not None:
        ctx.state.setdefault("tv_datasets", {})[target] = spec["to"]
    return ctx.edit(original, FAMILY, cst.parse_expression(text), before=ctx.code(original.func),
                    after=spec["to"])


_LOADER_PARAMS = ["dataset", "batch_size", "shuffle", "sampler", "batch_sampler", "num_workers",
                  "collate_fn", "pin_memory", "drop_last"]
# DataLoader arguments of no effect on the batches: dropped when the loader becomes .batch
_LOADER_SPEED = ("num_workers", "pin_memory")


@call("torch.utils.data.DataLoader")
def loader_of_a_converted_dataset(ctx, original: cst.Call, updated: cst.Call, qn: str):
    """DataLoader(ds, batch_size=n, shuffle=True, drop_last=d) over a dataset these rules made a
    mindspore.dataset: ds.shuffle(ds.get_dataset_size()).batch(n, drop_remainder=d), which
    iterates as (image, label) batches of mindspore.Tensor as the DataLoader did; other
    arguments: flagged with that recipe."""
    datasets = {**_mindspore_datasets(ctx), **ctx.state.get("tv_datasets", {})}
    bound = _bind(_LOADER_PARAMS, original.args)
    first = bound.get("dataset") if bound else None
    if first is None and original.args and original.args[0].keyword is None and not original.args[0].star:
        first = original.args[0]
    name = ctx.code(first.value) if first is not None else None
    if name not in datasets:
        return None
    new = _batched(ctx, name, bound, updated)
    if new is not None:
        return ctx.edit(original, FAMILY, new, before=ctx.code(original.func),
                        after=f"{datasets[name]}.shuffle/.batch")
    ctx.flag(original, FAMILY, f"{name} is a {datasets[name]} already (not a torch Dataset): use "
                               f"{name}.shuffle({name}.get_dataset_size()) if shuffle=True, then "
                               ".batch(batch_size, drop_remainder=drop_last) on it instead of "
                               "wrapping it in a GeneratorDataset; iterating it gives "
                               "(image, label) batches of mindspore.Tensor, as the DataLoader did")
    return ctx.leave_torch(original, updated)


def _mindspore_datasets(ctx) -> dict[str, str]:
    """Names the file assigns a mindspore.dataset pipeline (`train_ds = ms.dataset.MnistDataset(
    ...).map(...)`: an output converted again) -> the dataset's qualified name."""
    found = ctx.state.get("ms_datasets")
    if found is not None:
        return found
    found = {}

    class Assigns(cst.CSTVisitor):
        def visit_Assign(self, node: cst.Assign) -> None:
            if len(node.targets) != 1:
                return
            value = node.value
            while isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) \
                    and isinstance(value.func.value, cst.Call):
                value = value.func.value  # down the .map(...).batch(...) chain
            if isinstance(value, cst.Call) and ctx.resolves_to_prefix(value.func, "mindspore.dataset."):
                names = ctx.qualified_names(value.func) or ()
                found[ctx.code(node.targets[0].target)] = min(names) if names else "mindspore.dataset"

    if "mindspore" in ctx.imported_packages:
        ctx.module.visit(Assigns())
    ctx.state["ms_datasets"] = found
    return found


def _batched(ctx, name: str, bound, updated: cst.Call) -> cst.BaseExpression | None:
    """The .shuffle/.batch chain of the DataLoader's arguments, or None when one has no place in it."""
    if bound is None or any(k not in ("dataset", "batch_size", "shuffle", "drop_last", *_LOADER_SPEED)
                            for k in bound):
        return None
    text = {k: ctx.code(updated.args[list(bound.values()).index(a)].value) for k, a in bound.items()}
    shuffle = bound.get("shuffle")
    if shuffle is not None and not any(_is_literal(shuffle, v) for v in ("True", "False", "None")):
        return None  # shuffled or not at run time
    size = bound.get("batch_size")
    if size is not None and _is_literal(size, "None"):
        return None  # no batching: items one by one
    chain = name
    if _is_literal(shuffle, "True"):
        chain += f".shuffle({name}.get_dataset_size())"
    args = [text.get("batch_size", "1")]
    if "drop_last" in bound:
        args.append(f"drop_remainder={text['drop_last']}")
    return cst.parse_expression(f"{chain}.batch({', '.join(args)})")


# ------------------------------------------------------------------ models
def _builder(qn: str) -> str | None:
    if not qn.startswith("torchvision.models."):
        return None
    last = qn.rsplit(".", 1)[1]
    return last if last in MODELS else None


@call("torchvision.models", prefix=True)
def model_call(ctx, original: cst.Call, updated: cst.Call, qn: str):
    name = _builder(qn)
    if name is None:
        return None
    spec = MODELS[name]
    args = list(updated.args)
    if any(a.star or a.keyword is None for a in args):
        ctx.flag(original, FAMILY, f"{qn}: pass the arguments by name: -> mindcv.create_model(\"{spec['to']}\", ...)")
        return ctx.leave_torch(original, updated)
    kept, pretrained = [], False
    for arg, before in zip(args, original.args):
        key = arg.keyword.value
        if key in ("weights", "pretrained"):
            pretrained = pretrained or not (_is_literal(arg, "None") or _is_literal(arg, "False"))
            ctx.discard(before)
        elif key == "progress":
            ctx.discard(before)
        elif key in ("num_classes",):
            kept.append(arg.with_changes(comma=cst.MaybeSentinel.DEFAULT))
        else:
            ctx.flag(original, FAMILY, f"{qn}: argument `{key}` is not handled: check what "
                                       f"mindcv.create_model(\"{spec['to']}\") accepts")
            return ctx.leave_torch(original, updated)
    text = f'{ctx.namer.text("mindcv.create_model")}("{spec["to"]}"'
    text += "".join(f", {ctx.code(a.keyword)}={ctx.code(a.value)}" for a in kept)
    text += ", pretrained=True)" if pretrained else ")"
    if pretrained:
        renames = WEIGHTS.get(spec.get("weights"), {}).get("modules", {})
        how = (f"rename {', '.join(f'{a} -> {b}' for a, b in renames.items())} and BatchNorm "
               "weight/bias/running_mean/running_var -> gamma/beta/moving_mean/moving_variance"
               if renames else "no weight-name table for this model")
        ctx.flag(original, FAMILY, f"{qn}: pretrained=True loads mindcv's own ImageNet checkpoint, not "
                                   f"torchvision's weights (other numbers); to load torchvision's: {how} "
                                   "(docs/rules/ecosystem.md, torchvision)")
    note = spec.get("note") or ("same parameter count as torchvision's (checked); the outputs were not "
                                "compared: check them with torch2ms parity")
    ctx.flag(original, FAMILY, f"{qn} -> mindcv \"{spec['to']}\": {note}")
    return ctx.edit(original, FAMILY, cst.parse_expression(text), before=ctx.code(original.func),
                    after=f'mindcv.create_model("{spec["to"]}")')


# ------------------------------------------------------------------ utils
_HELPERS = {"torchvision.utils.make_grid": ("make_grid",),
            "torchvision.utils.save_image": ("make_grid", "save_image")}


@call("torchvision.utils.make_grid", "torchvision.utils.save_image")
def utils_call(ctx, original: cst.Call, updated: cst.Call, qn: str):
    names = _HELPERS[qn]
    taken = [n for n in names if any(not q.startswith("torchvision.") for q in ctx.namer.bindings.get(n, ()))]
    if taken:
        ctx.flag(original, FAMILY, f"{qn} has no MindSpore counterpart: write it with numpy + PIL "
                                   f"({', '.join(taken)} is taken here; torch2ms's recipe: "
                                   "torch2ms/convert/rules/_torchvision_utils.py)")
        return ctx.leave_torch(original, updated)
    ctx.state.setdefault("tv_helpers", set()).update(names)
    return ctx.edit(original, FAMILY, updated.with_changes(func=cst.Name(names[-1])),
                    before=ctx.code(original.func), after=f"{names[-1]} (numpy + PIL, written into the file)")


def _helper_functions(names: set[str]) -> list[cst.FunctionDef]:
    module = cst.parse_module(_HELPERS_FILE.read_text(encoding="utf-8"))
    lines = [cst.EmptyLine(), cst.EmptyLine()]
    return [stmt.with_changes(leading_lines=lines) for stmt in module.body
            if isinstance(stmt, cst.FunctionDef) and stmt.name.value in names]


@node(cst.Module)
def insert_helpers(ctx, original: cst.Module, updated: cst.Module):
    names = ctx.state.get("tv_helpers")
    if not names:
        return None
    defined = {s.name.value for s in updated.body if isinstance(s, cst.FunctionDef)}
    functions = [f for f in _helper_functions(set(names) - defined)]
    if not functions:
        return None
    body = list(updated.body)
    k = import_block_end(body)
    rest = body[k:]
    if rest and not rest[0].leading_lines:
        rest[0] = rest[0].with_changes(leading_lines=[cst.EmptyLine(), cst.EmptyLine()])
    return updated.with_changes(body=[*body[:k], *functions, *rest])


# ------------------------------------------------------------------ everything else
@call("torchvision", prefix=True)
def other_call(ctx, original: cst.Call, updated: cst.Call, qn: str):
    ctx.flag(original, FAMILY, f"{qn}: {fallback_note(qn)}")
    return ctx.leave_torch(original, updated)


def _in_builder_weights(ctx, original) -> bool:
    """`original` is (inside) the weights=/pretrained= argument of a model builder the rules convert."""
    found = []

    class Find(cst.CSTVisitor):
        def visit_Call(self, c: cst.Call):
            qn = ctx.qualname(c.func)
            if qn and _builder(qn):
                for arg in c.args:
                    if arg.keyword is not None and arg.keyword.value in ("weights", "pretrained"):
                        inner: list = []
                        arg.visit(Collect(inner))
                        found.extend(inner)

    class Collect(cst.CSTVisitor):
        def __init__(self, into):
            super().__init__()
            self.into = into

        def on_visit(self, n):
            self.into.append(n)
            return True

    if ctx.statements:
        ctx.statements[-1].visit(Find())
    return any(n is original for n in found)


@reference("torchvision", prefix=True)
def other_reference(ctx, original, updated, qn: str):
    if qn.startswith("torchvision.models.") and _in_builder_weights(ctx, original):
        return updated  # the builder's conversion drops the argument
    if qn in ("torchvision.models.__dict__",):
        note = "mindcv.list_models() lists the model names; mindcv.create_model(name) builds one"
    else:
        note = fallback_note(qn)
    ctx.flag(original, FAMILY, f"{qn}: {note}")
    return ctx.leave_torch(original, updated)


def weight_rename(model: str):
    """torchvision parameter name -> mindcv's, for a model of the name table with a weight table
    (`torch2ms.parity.transfer_weights(torch_model, mindcv_model, rename=weight_rename("resnet50"))`;
    the BatchNorm names are parity's aliases). None when the model has no weight table."""
    family = (MODELS.get(model) or {}).get("weights")
    if family is None:
        return None
    modules = WEIGHTS[family]["modules"]

    def rename(name: str) -> str:
        return ".".join(modules.get(part, part) for part in name.split("."))

    return rename
