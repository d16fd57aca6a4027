"""The scan's data: which packages are torch-ecosystem or MindSpore, and the category signals.

Both lists live in YAML next to this file (ecosystem.yaml, signals.yaml). A user extends the
ecosystem list without touching the pack: `torch2ms-ecosystem.yaml` in the workspace (same
layout as ecosystem.yaml) and `torch2ms scan --package NAME` add to it.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import functools
from dataclasses import dataclass, field
from pathlib import Path

import yaml

HERE = Path(__file__).parent
USER_FILE = "torch2ms-ecosystem.yaml"


class ConfigError(Exception):
    pass


def _read_yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping with `torch:` and/or `mindspore:` lists")
    return data


def _names(data: dict, key: str, path) -> tuple:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{path}: `{key}` must be a list of package names")
    return tuple(v.strip() for v in value)


@dataclass(frozen=True)
class ScanConfig:
    torch: tuple
    mindspore: tuple
    module_bases: frozenset
    module_base_suffixes: tuple
    dataset_bases: frozenset
    training_calls: frozenset
    step_receivers: tuple
    inference_contexts: frozenset
    inference_calls: frozenset
    data_calls: frozenset
    torch_free_modules: tuple = ()
    torch_free_suffixes: tuple = ()
    module_namespaces: frozenset = frozenset()
    not_modules: frozenset = frozenset()
    data_module_bases: frozenset = frozenset()
    load_calls: frozenset = frozenset()
    load_receivers: frozenset = frozenset()
    sample_calls: frozenset = frozenset()
    entry_decorators: frozenset = frozenset()
    entry_calls: frozenset = frozenset()
    entry_train_calls: frozenset = frozenset()
    entry_eval_calls: frozenset = frozenset()
    entry_eval_receivers: tuple = ()
    watched_calls: frozenset = field(init=False)

    def __post_init__(self):
        watched = (self.training_calls | self.inference_contexts | self.inference_calls
                   | self.data_calls | self.load_calls | self.sample_calls | {"step"}
                   | self.entry_calls | self.entry_train_calls | self.entry_eval_calls)
        object.__setattr__(self, "watched_calls", frozenset(watched))

    @property
    def call_names(self) -> tuple:
        """Names whose call is worth a closer look: the watched ones and the dynamic imports."""
        return tuple(sorted(self.watched_calls | {"__import__", "import_module"}))

    @classmethod
    @functools.lru_cache(maxsize=1)
    def default(cls) -> "ScanConfig":
        eco = _read_yaml(HERE / "ecosystem.yaml")
        sig = _read_yaml(HERE / "signals.yaml")
        return cls(
            torch=_names(eco, "torch", "ecosystem.yaml"),
            mindspore=_names(eco, "mindspore", "ecosystem.yaml"),
            module_bases=frozenset(sig["module_bases"]),
            module_base_suffixes=tuple(sig["module_base_suffixes"]),
            dataset_bases=frozenset(sig["dataset_bases"]),
            training_calls=frozenset(sig["training"]["calls"]),
            step_receivers=tuple(sig["training"]["step_receivers"]),
            inference_contexts=frozenset(sig["inference"]["contexts"]),
            inference_calls=frozenset(sig["inference"]["calls"]),
            data_calls=frozenset(sig["data"]["calls"]),
            torch_free_modules=tuple(eco["torch_free"]["modules"]),
            torch_free_suffixes=tuple(eco["torch_free"]["name_suffixes"]),
            module_namespaces=frozenset(sig["module_namespaces"]),
            not_modules=frozenset(sig["not_modules"]),
            data_module_bases=frozenset(sig["data_module_bases"]),
            load_calls=frozenset(sig["inference"]["loads"]),
            load_receivers=frozenset(sig["inference"]["load_receivers"]),
            sample_calls=frozenset(sig["inference"]["samples"]),
            entry_decorators=frozenset(sig["entry"]["decorators"]),
            entry_calls=frozenset(sig["entry"]["calls"]),
            entry_train_calls=frozenset(sig["entry"]["train_calls"]),
            entry_eval_calls=frozenset(sig["entry"]["eval_calls"]),
            entry_eval_receivers=tuple(sig["entry"]["eval_receivers"]),
        )

    @classmethod
    def load(cls, workspace_root: Path | None = None, extra_torch=()) -> "ScanConfig":
        """The default lists plus the workspace's torch2ms-ecosystem.yaml and extra names."""
        base = cls.default()
        torch, ms = list(base.torch), list(base.mindspore)
        user = Path(workspace_root) / USER_FILE if workspace_root else None
        if user is not None and user.is_file():
            data = _read_yaml(user)
            torch += _names(data, "torch", user)
            ms += _names(data, "mindspore", user)
        torch += [n.strip() for n in extra_torch if n.strip()]
        return dataclasses.replace(base, torch=tuple(dict.fromkeys(torch)), mindspore=tuple(dict.fromkeys(ms)))

    def match_torch(self, imports) -> list:
        return _match(imports, frozenset(self.torch))

    def torch_free_only(self, imports) -> bool:
        """True when every torch-ecosystem import is one that carries no tensors (configs,
        tokenizers, processors): see `torch_free` in ecosystem.yaml."""
        torch = frozenset(self.torch)
        for module, level, names in imports:
            if level or not _match([(module, 0, names)], torch):
                continue
            if any(module == m or module.startswith(m + ".") or _glob(module, m) for m in self.torch_free_modules):
                continue
            if module in torch and names and all(n.endswith(self.torch_free_suffixes) for n in names):
                continue
            return False
        return True

    def match_mindspore(self, imports) -> list:
        return _match(imports, frozenset(self.mindspore))


def _glob(module: str, pattern: str) -> bool:
    """`a.*.b_*` against a dotted name, `*` staying within one part."""
    if "*" not in pattern:
        return False
    parts, pats = module.split("."), pattern.split(".")
    return len(parts) >= len(pats) and all(fnmatch.fnmatchcase(a, b) for a, b in zip(parts, pats))


def _match(imports, packages: frozenset) -> list:
    """The listed packages that absolute imports reach (a package matches its submodules)."""
    found = set()
    for module, level, names in imports:
        if level or not module:
            continue
        candidates = [module] + [f"{module}.{n}" for n in names if n != "*"]
        for cand in candidates:
            parts = cand.split(".")
            for i in range(1, len(parts) + 1):
                prefix = ".".join(parts[:i])
                if prefix in packages:
                    found.add(prefix)
                    break
    return sorted(found)
