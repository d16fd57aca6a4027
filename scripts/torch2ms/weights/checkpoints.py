"""Checkpoint files: reading torch and MindSpore checkpoints, writing them atomically.

Every tensor is handled as a torch tensor (torch has bfloat16, numpy has not), so dtypes cross
unchanged. torch files load with `torch.load(weights_only=True)`: no pickled code ever runs.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterable, Optional

# where a checkpoint dict usually keeps its state dict, most specific first
STATE_DICT_KEYS = ("state_dict", "model_state_dict", "model", "module", "net", "network", "weights")
TORCH_SUFFIXES = (".pt", ".pth", ".bin")


class CheckpointError(ValueError):
    """A checkpoint that cannot be read or written as asked (one line; exit code 2)."""


@dataclasses.dataclass
class Checkpoint:
    tensors: dict  # name -> torch.Tensor
    metadata: dict  # what the file holds besides the weights ({} for a bare state dict)
    key: Optional[str]  # where the weights were inside a checkpoint dict
    files: list  # the files read
    kind: str  # what was read, for the table
    config: Optional[dict] = None  # config.json of a Hugging Face folder
    folder: Optional[Path] = None  # the Hugging Face folder read

    def describe(self) -> str:
        where = f", weights under {self.key!r}" if self.key else ""
        extra = f", also {', '.join(map(str, self.metadata))}" if self.metadata else ""
        return f"{self.kind}{where}{extra}: {len(self.tensors)} tensors"


def progress(message: str) -> None:
    """A step of a long run, for a person at a terminal (stderr; nothing when it is not a terminal)."""
    if sys.stderr.isatty():
        print(f"  {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- reading


def _is_tensor(value) -> bool:
    import torch

    return isinstance(value, torch.Tensor)


def _is_state_dict(value) -> bool:
    return isinstance(value, dict) and bool(value) and all(
        isinstance(k, str) and _is_tensor(v) for k, v in value.items())


# modules whose functions run commands or code, and the builtins that do: never a weights file's need
_CODE_MODULES = {"os", "posix", "nt", "subprocess", "sys", "shutil", "socket", "importlib", "runpy", "pty",
                 "ctypes", "code", "codeop", "pickle", "marshal", "types", "webbrowser", "platform", "pdb",
                 "multiprocessing", "threading", "signal", "tempfile", "pathlib", "io", "operator", "functools"}
_CODE_BUILTINS = {"eval", "exec", "compile", "open", "getattr", "setattr", "delattr", "__import__", "input",
                  "breakpoint", "globals", "locals", "vars", "exit", "quit", "help", "memoryview"}


def runs_code(name: str) -> bool:
    """True for a global whose call runs a command or code (`posix.system`, `builtins.eval`)."""
    module, _, attr = name.rpartition(".")
    top = module.split(".")[0]
    if top in ("builtins", "__builtin__"):
        return attr in _CODE_BUILTINS
    return top in _CODE_MODULES


def _resolve_globals(names: Iterable[str]) -> list:
    found = []
    for name in names:
        if runs_code(name):
            raise CheckpointError(f"--safe-global {name}: it runs commands or code; a weights file never needs "
                                  "it, so torch2ms does not allow it")
        module_name, _, attr = name.rpartition(".")
        try:
            found.append(getattr(importlib.import_module(module_name), attr))
        except (ImportError, AttributeError, ValueError):
            raise CheckpointError(f"--safe-global {name}: no such importable class or function") from None
    return found


def torch_load(path: Path, safe_globals: Iterable[str] = ()):
    """torch.load with weights_only=True (memory-mapped where the format allows)."""
    import pickle

    import torch

    allowed = _resolve_globals(safe_globals)
    try:
        with torch.serialization.safe_globals(allowed):
            try:
                return torch.load(path, map_location="cpu", weights_only=True, mmap=True)
            except RuntimeError as exc:
                if "mmap" not in str(exc):
                    raise
                return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise CheckpointError(_refusal(path, exc)) from None
    except Exception as exc:
        raise CheckpointError(f"{path} is not a torch checkpoint torch.load reads: {type(exc).__name__}: {exc}") from None


def _refusal(path: Path, exc: BaseException) -> str:
    """The one-line reason a weights-only load refused the file, naming what it would import."""
    import torch

    try:
        needed = list(torch.serialization.get_unsafe_globals_in_checkpoint(str(path)))
    except Exception:
        needed = re.findall(r"GLOBAL ([\w.]+) was not an allowed global", str(exc))
    if not needed:
        return f"{path}: torch.load(weights_only=True) refused it: {str(exc).splitlines()[0]}"
    harmful = [name for name in needed if runs_code(name)]
    if harmful:
        return (f"{path} would call {', '.join(harmful)} when unpickled, and torch2ms weights runs no pickled "
                "code (torch.load weights_only=True): that call runs commands or code, which a weights file never "
                "needs; do not allow it (get the weights from a source you trust, or as .safetensors)")
    if any(name.startswith("__main__.") or ".nn.modules." in name or name.endswith("Module") for name in needed):
        hint = "it holds a whole pickled model: re-save model.state_dict() with torch.save"
    else:
        hint = "if you trust the file, allow exactly these with " + " ".join(f"--safe-global {n}" for n in needed)
    return (f"{path} needs {', '.join(needed)} to unpickle, and torch2ms weights runs no pickled code "
            f"(torch.load weights_only=True); {hint}")


def find_state_dict(obj, key: Optional[str], path: Path) -> tuple[dict, Optional[str], dict]:
    """(state dict, the key it was under, the rest) of what torch.load returned."""
    if key:
        node, parts = obj, key.split(".")
        for i, part in enumerate(parts):
            if not isinstance(node, dict) or part not in node:
                have = ", ".join(map(str, node)) if isinstance(node, dict) else type(node).__name__
                raise CheckpointError(f"{path} has no {'.'.join(parts[:i + 1])!r} (it holds: {have})")
            node = node[part]
        if not _is_state_dict(node):
            raise CheckpointError(f"{path}: {key!r} is not a state dict (names -> tensors)")
        return dict(node), key, _without(obj, parts)
    if _is_state_dict(obj):
        return dict(obj), None, {}
    if not isinstance(obj, dict):
        raise CheckpointError(f"{path} holds a {type(obj).__name__}, not a state dict or a dict holding one")
    candidates = [k for k, v in obj.items() if _is_state_dict(v)]
    if not candidates:
        raise CheckpointError(f"{path} holds no state dict (keys: {', '.join(map(str, obj))}); --key NAME names it")
    if len(candidates) > 1:
        preferred = [k for k in STATE_DICT_KEYS if k in candidates]
        if not preferred:
            raise CheckpointError(f"{path} holds several state dicts ({', '.join(candidates)}): --key NAME picks one")
        candidates = preferred[:1]
    chosen = candidates[0]
    rest = {k: v for k, v in obj.items() if k != chosen}
    return dict(obj[chosen]), chosen, rest


def _without(obj: dict, parts: list) -> dict:
    """A copy of the nested dict without the entry at the key path (the other entries kept)."""
    rest = {k: v for k, v in obj.items() if k != parts[0]}
    if len(parts) > 1:
        inner = _without(obj[parts[0]], parts[1:])
        if inner:
            rest[parts[0]] = inner
    return rest


def read_torch_file(path: Path, key: Optional[str] = None, safe_globals: Iterable[str] = ()) -> Checkpoint:
    obj = torch_load(path, safe_globals)
    tensors, found_key, rest = find_state_dict(obj, key, path)
    return Checkpoint(tensors, rest, found_key, [path], "torch checkpoint")


def read_safetensors(path: Path) -> dict:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path} is not a safetensors file safetensors reads: {exc}") from None


def _single(folder: Path, pattern: str) -> Optional[Path]:
    found = sorted(p for p in folder.glob(pattern) if p.is_file())
    if len(found) > 1:
        raise CheckpointError(f"{folder} holds several {pattern} files ({', '.join(p.name for p in found)}) "
                              f"and no index: name one file as SRC")
    return found[0] if found else None


def read_folder(folder: Path, safe_globals: Iterable[str] = ()) -> Checkpoint:
    """A Hugging Face model folder: safetensors first (as transformers does), sharded or not."""
    config = None
    if (folder / "config.json").is_file():
        try:
            config = json.loads((folder / "config.json").read_text())
        except ValueError as exc:
            raise CheckpointError(f"{folder / 'config.json'} is not valid JSON: {exc}") from None
    for index_pattern, suffix in (("*.safetensors.index.json", "safetensors"), ("*.bin.index.json", "bin")):
        index = _single(folder, index_pattern)
        if index is None:
            continue
        try:
            weight_map = json.loads(index.read_text())["weight_map"]
        except (ValueError, KeyError, TypeError) as exc:
            raise CheckpointError(f"{index} is not a shard index (no weight_map): {exc}") from None
        shards = list(dict.fromkeys(weight_map.values()))
        tensors = {}
        for i, shard in enumerate(shards, 1):
            path = folder / shard
            if not path.is_file():
                raise CheckpointError(f"{index} names {shard}, which is not in {folder}")
            if len(shards) > 1:
                progress(f"reading shard {i}/{len(shards)}: {shard}")
            part = read_safetensors(path) if suffix == "safetensors" else read_torch_file(path, None, safe_globals).tensors
            tensors.update(part)
        absent = [name for name in weight_map if name not in tensors]
        if absent:
            raise CheckpointError(f"{index} lists {len(absent)} tensors its shards lack: {', '.join(absent[:5])}")
        kind = f"Hugging Face folder ({len(shards)} {suffix} shards)"
        return Checkpoint(tensors, {}, None, [index] + [folder / s for s in shards], kind, config, folder)
    single = _single(folder, "*.safetensors")
    if single is not None:
        return Checkpoint(read_safetensors(single), {}, None, [single], f"Hugging Face folder ({single.name})", config, folder)
    for pattern in ("*.bin", "*.pt", "*.pth"):
        single = _single(folder, pattern)
        if single is not None:
            ckpt = read_torch_file(single, None, safe_globals)
            return dataclasses.replace(ckpt, kind=f"Hugging Face folder ({single.name})", config=config, folder=folder)
    raise CheckpointError(f"{folder} holds no model.safetensors, pytorch_model.bin or shard index")


def read_torch_side(path: Path, key: Optional[str] = None, safe_globals: Iterable[str] = ()) -> Checkpoint:
    """A torch checkpoint: a .pt/.pth/.bin file, a .safetensors file or a Hugging Face folder."""
    if not path.exists():
        raise CheckpointError(f"no such checkpoint: {path}")
    if path.is_dir():
        if key:
            raise CheckpointError("--key applies to a checkpoint file, not a folder")
        return read_folder(path, safe_globals)
    if path.suffix == ".safetensors":
        if key:
            raise CheckpointError("--key applies to a torch.save file; a safetensors file holds only tensors")
        return Checkpoint(read_safetensors(path), {}, None, [path], "safetensors file")
    if path.suffix == ".ckpt":
        raise CheckpointError(f"{path} is a MindSpore .ckpt: --torch MODEL converts it back for torch")
    return read_torch_file(path, key, safe_globals)


def read_mindspore_side(path: Path) -> Checkpoint:
    """A MindSpore checkpoint (.safetensors or .ckpt), with the JSON written beside it if any."""
    import torch

    if not path.is_file():
        raise CheckpointError(f"no such checkpoint file: {path}")
    if path.suffix == ".safetensors":
        tensors, kind = read_safetensors(path), "MindSpore safetensors file"
    elif path.suffix == ".ckpt":
        import mindspore

        from torch2ms.parity.weights import to_numpy

        try:
            params = mindspore.load_checkpoint(str(path))
        except Exception as exc:
            raise CheckpointError(f"{path}: mindspore.load_checkpoint cannot read it: {exc}") from None
        tensors = {}
        for name, value in params.items():
            array = to_numpy(value)
            tensor = torch.from_numpy(array.copy())
            if "bfloat16" in str(value.dtype).lower():
                tensor = tensor.to(torch.bfloat16)
            tensors[name] = tensor
        kind = "MindSpore .ckpt file"
    else:
        raise CheckpointError(f"{path}: a MindSpore checkpoint ends in .safetensors or .ckpt")
    metadata, files = {}, [path]
    for candidate in metadata_candidates(path):
        if candidate.is_file():
            try:
                metadata = json.loads(candidate.read_text())
            except ValueError as exc:
                raise CheckpointError(f"{candidate} is not valid JSON: {exc}") from None
            files.append(candidate)
            break
    return Checkpoint(tensors, metadata if isinstance(metadata, dict) else {"metadata": metadata}, None, files, kind)


def metadata_candidates(weights: Path) -> list[Path]:
    """Where the JSON beside a MindSpore checkpoint lives: `p + ".json"` for the p that
    `mindspore.save_checkpoint(net, p, ...)` was given (p.safetensors or p itself)."""
    stem = weights.with_suffix("")
    return [Path(str(stem) + ".json"), Path(str(weights) + ".json")]


# ---------------------------------------------------------------- metadata as JSON


def jsonable(value, path: str = ""):
    """A checkpoint's metadata as JSON values; tensors and arrays as (nested) lists, 0-d as numbers."""
    import argparse

    import numpy as np

    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if _is_tensor(value):
        value = value.detach().cpu()
        if value.dtype.is_floating_point and value.dtype.itemsize < 4:  # float16, bfloat16: exact as float32
            value = value.float()
        return value.item() if value.dim() == 0 else value.tolist()
    if isinstance(value, np.ndarray):
        return value.item() if value.ndim == 0 else value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, (str, int, float, bool)) and k is not None:
                raise CheckpointError(f"metadata {path or '(top)'}: a key of type {type(k).__name__} cannot be JSON")
            out[str(k) if not isinstance(k, str) else k] = jsonable(v, f"{path}.{k}" if path else str(k))
        return out
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, argparse.Namespace):
        return jsonable(vars(value), path)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return jsonable(dataclasses.asdict(value), path)
    top = path.split(".")[0].split("[")[0]
    raise CheckpointError(f"metadata {path}: a {type(value).__name__} cannot be written as JSON; "
                          f"--drop {top} leaves it out")


def count_tensors(value) -> int:
    if _is_tensor(value):
        return 1
    if isinstance(value, dict):
        return sum(count_tensors(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(count_tensors(v) for v in value)
    return 0


# ---------------------------------------------------------------- writing


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class AtomicFiles:
    """Files written beside their destinations under temporary names, made final together.

    with AtomicFiles() as out:
        tmp = out.path(dst)      # write the file at tmp (same folder, same file name)
        ...check tmp...
        out.commit()             # fsync, rename over dst, fsync the folder
    Nothing is left behind on an error before commit."""

    def __init__(self):
        self._files: list[tuple[Path, Path]] = []
        self._dirs: list[Path] = []

    def path(self, dst: Path) -> Path:
        dst.parent.mkdir(parents=True, exist_ok=True)
        tmpdir = Path(tempfile.mkdtemp(prefix=f".{dst.name}.", suffix=".tmp", dir=dst.parent))
        self._dirs.append(tmpdir)
        tmp = tmpdir / dst.name
        self._files.append((tmp, dst))
        return tmp

    def commit(self) -> None:
        mask = os.umask(0)
        os.umask(mask)
        for tmp, _ in self._files:
            os.chmod(tmp, 0o666 & ~mask)  # mindspore.save_checkpoint leaves its files read-only
            _fsync(tmp)
        for tmp, dst in self._files:
            os.replace(tmp, dst)
        for folder in {dst.parent for _, dst in self._files}:
            _fsync(folder)
        self._files = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for folder in self._dirs:
            shutil.rmtree(folder, ignore_errors=True)
        return False


def save_safetensors(tensors: dict, path: Path, fmt: str) -> None:
    from safetensors.torch import save_file

    seen, out = set(), {}
    for name, tensor in tensors.items():
        tensor = tensor.detach().cpu().contiguous()
        key = (tensor.untyped_storage().data_ptr(), tensor.storage_offset())
        if key in seen:  # safetensors refuses tensors that share memory: write a copy
            tensor = tensor.clone()
        seen.add(key)
        out[name] = tensor
    save_file(out, str(path), metadata={"format": fmt})


def save_ckpt(tensors: dict, path: Path) -> None:
    import mindspore
    import torch

    items = []
    for name, tensor in tensors.items():
        t = tensor.detach().cpu()
        if t.dtype == torch.bfloat16:
            value = mindspore.Tensor(t.float().numpy()).astype(mindspore.bfloat16)  # exact
        else:
            value = mindspore.Tensor(t.contiguous().numpy())
        items.append({"name": name, "data": value})
    mindspore.save_checkpoint(items, str(path))


def save_torch(obj: Any, path: Path) -> None:
    import torch

    torch.save(obj, str(path))


def write_json(value: dict, path: Path) -> None:
    """One top-level entry a line, each written compactly (an optimizer's state can be large)."""
    lines = [f" {json.dumps(str(k))}: {json.dumps(v, ensure_ascii=False)}" for k, v in value.items()]
    path.write_text("{\n" + ",\n".join(lines) + "\n}\n")

