"""Building the model a checkpoint is converted for: from a parity spec, or from the class and
config named on the command line, with parity's own loader and builder (parity/spec.py)."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

from torch2ms.parity import spec as specs
from torch2ms.parity.spec import SpecError


def load_module(ref: str, label: str):
    """A .py file (imported as parity imports it) or an importable module (`mindone.transformers`)."""
    if ref.endswith(".py") or Path(ref).is_file():
        return specs.load_file(ref, label)
    try:
        return importlib.import_module(ref)
    except ImportError as exc:
        raise SpecError(f"{label} {ref!r} is neither a .py file nor an importable module: {exc}") from None


def spec_side(spec_path: str, label: str) -> tuple[dict, dict]:
    """(side, shared init) of a parity spec for the torch or the mindspore side, as parity builds them."""
    spec = specs.read_spec(spec_path)
    shared = spec.get("init") or {}
    if label == "torch":
        return dict(spec["torch"]), shared
    return {"build": spec["torch"]["build"], **(spec.get("mindspore") or {})}, shared


def parse_kwargs(text: str) -> dict:
    """--kwargs: inline JSON, or a JSON file (an HF config.json, say)."""
    source = text
    if not text.lstrip().startswith("{") and Path(text).is_file():
        source = Path(text).read_text()
    try:
        value = json.loads(source)
    except ValueError as exc:
        raise SpecError(f"--kwargs is neither a JSON object nor a JSON file: {exc}") from None
    if not isinstance(value, dict):
        raise SpecError("--kwargs must be a JSON object (keyword arguments)")
    return value


# Entries of a checkpoint dict that hold the model's arguments, first found first: `model_args`
# (nanoGPT-style training scripts keep the model's there and the training run's in `config`).
CHECKPOINT_ARGS = ("model_args", "config")


def build_side(args, checkpoint, label: str) -> tuple[dict, dict, str]:
    """(side, shared, how) for spec.build: the spec's, or one made from --build/--config/--kwargs.

    Without --kwargs the arguments come from the checkpoint: its `model_args` or `config` entry
    (a dict), or the
    config.json of a Hugging Face folder (as transformers.AutoConfig reads it)."""
    if args.spec:
        if args.config or args.kwargs:
            raise SpecError("--config and --kwargs go with --build; a spec's init gives the arguments")
        side, shared = spec_side(args.spec, label)
        if args.build:
            side["build"] = args.build
        return side, shared, f"{side['build']} as {args.spec} builds it"
    hf_config = checkpoint.config if checkpoint is not None else None
    name = args.build or ((hf_config or {}).get("architectures") or [None])[0]
    if not name:
        raise SpecError("how to build the model: --build NAME (with --config/--kwargs) or --spec SPEC")
    saved = next((key for key in CHECKPOINT_ARGS if checkpoint is not None
                  and isinstance(checkpoint.metadata.get(key), dict)), None)
    if args.kwargs:
        kwargs, origin = parse_kwargs(args.kwargs), "--kwargs"
    elif saved is not None:
        kwargs, origin = dict(checkpoint.metadata[saved]), f"the checkpoint's {saved}"
    elif hf_config is not None and args.config:
        kwargs, origin = dict(hf_config), "config.json"
    else:
        kwargs, origin = None, None
    if args.config:
        return {"build": name, "args": [{"build": args.config, "kwargs": kwargs or {}}]}, {}, \
            f"{name}({args.config}(**kwargs))" + (f", kwargs from {origin}" if origin else ", no kwargs")
    if kwargs is None and hf_config is not None:
        from transformers import AutoConfig

        try:
            config = AutoConfig.from_pretrained(str(checkpoint.folder))
        except Exception as exc:
            raise SpecError(f"transformers.AutoConfig cannot read {checkpoint.folder}/config.json: {exc}") from None
        return {"build": name, "args": [config]}, {}, f"{name}(AutoConfig of {checkpoint.folder.name})"
    return {"build": name, "kwargs": kwargs or {}}, {}, f"{name}(**kwargs), kwargs from {origin}" if origin else f"{name}()"


def build(module, side: dict, shared: dict, label: str, lazy: bool = False):
    """Call the build; `lazy` (MindSpore) defers parameter initialisation where the build allows,
    since the checkpoint's values replace it anyway. Returns (model, built lazily)."""
    if lazy:
        try:
            from mindspore.nn.utils import no_init_parameters
        except ImportError:
            no_init_parameters = None
        if no_init_parameters is not None:
            try:
                with no_init_parameters():
                    return specs.build(module, side, shared, label), True
            except SpecError:
                raise
            except Exception:
                pass  # a build that reads its own initial values: build it the ordinary way
    return specs.build(module, side, shared, label), False


def describe_failure(exc: BaseException, how: str, side: dict) -> str:
    message = f"the model fails to build ({how}): {type(exc).__name__}: {exc}"
    if "args" not in side and side.get("kwargs"):
        message += " (--config NAME builds a config object from these arguments first)"
    return message
