"""The declarative torch -> MindSpore mapping table: every `*.yaml` file in this folder, merged.

Each top-level key is a torch qualified name (`torch.cat`, `torch.nn.Linear`) or a tensor method
(`Tensor.view`); the format is described in README.md next to this file. A name defined twice
(in one file or across files) is an error, and so is an unknown key: a typo must not silently
turn into a default.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping as MappingType

import yaml

TABLE_DIR = Path(__file__).resolve().parent

KEYS = {"to", "params", "rename", "drop", "drop_silent", "defaults", "unsupported", "note", "status",
        "pack", "keyword", "positional", "coerce"}
COERCIONS = ("float",)
STATUSES = ("verified", "unverified")


class MappingError(ValueError):
    """A table file that cannot be used as it is (duplicate name, unknown key, wrong type)."""


@dataclass(frozen=True)
class Mapping:
    torch: str
    to: str | None
    params: tuple[str, ...] = ()
    rename: MappingType[str, str] = field(default_factory=dict)
    drop: tuple[str, ...] = ()
    drop_silent: tuple[str, ...] = ()
    defaults: MappingType[str, str] = field(default_factory=dict)
    unsupported: MappingType[str, str] = field(default_factory=dict)
    note: str = ""
    status: str = "unverified"
    source: str = ""
    pack: bool = False  # positionals of the `*name` parameter go to the target as one tuple
    keyword: tuple[str, ...] = ()  # keyword-only in the target: positionals bound to them become keywords
    positional: tuple[str, ...] = ()  # positional-only in the target: keywords become positionals
    coerce: MappingType[str, str] = field(default_factory=dict)  # argument -> type the target needs

    @property
    def is_method(self) -> bool:
        return self.torch.startswith("Tensor.")

    @property
    def method_target_is_function(self) -> bool:
        """`Tensor.x` mapped to a function: the receiver becomes the first argument."""
        return self.is_method and self.to is not None and "." in self.to

    @property
    def is_plain_rename(self) -> bool:
        """No argument handling at all: the name can be replaced wherever it is referenced."""
        return not (self.rename or self.drop or self.defaults or self.unsupported or self.keyword
                    or self.positional or self.coerce)


def _unique_key_loader():
    """A SafeLoader that rejects a key repeated inside one mapping (yaml keeps the last one)."""

    class Loader(yaml.SafeLoader):
        pass

    def construct_mapping(loader, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=deep)
            if key in seen:
                raise MappingError(f"line {key_node.start_mark.line + 1}: {key!r} defined twice")
            seen.add(key)
        return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    return Loader


def _as_tuple(value, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise MappingError(f"{what} must be a list of names")
    return tuple(value)


def _as_dict(value, what: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MappingError(f"{what} must be a mapping")
    return {str(k): str(v) for k, v in value.items()}


def parse_entry(name: str, raw, source: str = "") -> Mapping:
    where = f"{source}: {name}" if source else name
    if not isinstance(raw, dict):
        raise MappingError(f"{where}: an entry must be a mapping with at least `to:`")
    unknown = set(raw) - KEYS
    if unknown:
        raise MappingError(f"{where}: unknown key(s) {sorted(unknown)}")
    if "to" not in raw:
        raise MappingError(f"{where}: `to:` is required (null when there is no counterpart)")
    to = raw["to"]
    if to is not None and (not isinstance(to, str) or not to.strip()):
        raise MappingError(f"{where}: `to:` must be a qualified name or null")
    status = raw.get("status") or "unverified"
    if status not in STATUSES:
        raise MappingError(f"{where}: status must be one of {STATUSES}")
    note = raw.get("note") or ""
    if to is None and not note:
        raise MappingError(f"{where}: a null target needs a `note:` saying why")
    return Mapping(
        torch=name,
        to=to,
        params=_as_tuple(raw.get("params"), f"{where}: params"),
        rename=_as_dict(raw.get("rename"), f"{where}: rename"),
        drop=_as_tuple(raw.get("drop"), f"{where}: drop"),
        drop_silent=_as_tuple(raw.get("drop_silent"), f"{where}: drop_silent"),
        defaults=_as_dict(raw.get("defaults"), f"{where}: defaults"),
        unsupported=_as_dict(raw.get("unsupported"), f"{where}: unsupported"),
        note=str(note).strip(),
        status=status,
        source=source,
        pack=_as_pack(raw.get("pack"), where, raw.get("params")),
        keyword=_as_tuple(raw.get("keyword"), f"{where}: keyword"),
        positional=_as_tuple(raw.get("positional"), f"{where}: positional"),
        coerce=_as_coerce(raw.get("coerce"), where),
    )


def _as_coerce(value, where: str) -> dict[str, str]:
    found = _as_dict(value, f"{where}: coerce")
    bad = {k: v for k, v in found.items() if v not in COERCIONS}
    if bad:
        raise MappingError(f"{where}: coerce types must be one of {COERCIONS}, not {bad}")
    return found


def _as_pack(value, where: str, params) -> bool:
    if value is None or value is False:
        return False
    if value is not True:
        raise MappingError(f"{where}: pack must be true or false")
    if not any(str(p).startswith("*") for p in params or ()):
        raise MappingError(f"{where}: pack needs a `*name` entry in params")
    return True


def load_file(path: Path) -> dict[str, Mapping]:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_unique_key_loader())
    except MappingError as exc:
        raise MappingError(f"{path.name}: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise MappingError(f"{path.name}: the file must be a mapping of torch names to entries")
    return {name: parse_entry(name, raw, path.name) for name, raw in data.items()}


def load_tables(directory: Path | str = TABLE_DIR) -> dict[str, Mapping]:
    """All `*.yaml` tables in `directory`, merged; a name defined in two files is an error."""
    merged: dict[str, Mapping] = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        for name, entry in load_file(path).items():
            if name in merged:
                raise MappingError(f"{name} is defined in both {merged[name].source} and {path.name}")
            merged[name] = entry
    return merged


@functools.lru_cache(maxsize=None)
def default_table() -> dict[str, Mapping]:
    """The packaged table, loaded once per process."""
    return load_tables(TABLE_DIR)
