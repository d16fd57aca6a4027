"""Mapping torch weights onto a MindSpore port by name, buffers included.

One mapping serves `torch2ms parity` (a torch module's weights copied into the Cell) and
`torch2ms weights` (a checkpoint converted for the port, or a port's checkpoint back for torch).
Either side may be a model (a torch Module, a MindSpore Cell) or a checkpoint: a mapping from
names to tensors (torch tensors, MindSpore tensors or Parameters, numpy arrays).

mint-style ports keep torch's parameter names, so the state dict maps 1:1. Beyond equal names:
a rename mapping, the older nn layers' names (aliases.yaml `names`), tied weights (one tensor
under several names, on either side), and the few layouts that really differ (aliases.yaml
`layouts`). Anything that does not map is listed on both sides; by default nothing is copied
unless everything maps.
"""

from __future__ import annotations

import dataclasses
import functools
from importlib import resources
from typing import Any, Callable, Mapping, Optional, Union

import numpy as np

from torch2ms.parity.values import is_ms_tensor

Rename = Union[Mapping[str, str], Callable[[str], str], None]


class WeightTransferError(ValueError):
    """Raised when torch weights do not map completely onto the Cell; holds the report."""

    def __init__(self, report: "TransferReport"):
        super().__init__("weights do not map by name:\n" + report.summary())
        self.report = report


@dataclasses.dataclass
class TransferReport:
    copied: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # (torch, ms)
    torch_only: list[str] = dataclasses.field(default_factory=list)
    ms_only: list[str] = dataclasses.field(default_factory=list)
    shape_mismatch: list[tuple[str, str, tuple, tuple]] = dataclasses.field(default_factory=list)
    tied: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # (alias, name copied)
    aliased: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # (torch, ms) by aliases.yaml
    recomputed: list[str] = dataclasses.field(default_factory=list)  # non-persistent buffers absent in the port
    counters: list[str] = dataclasses.field(default_factory=list)  # batch norms' num_batches_tracked the port lacks
    dtype_casts: list[tuple[str, str, str]] = dataclasses.field(default_factory=list)
    renamed: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # (torch, ms) by the rename mapping
    reshaped: list[tuple[str, str, tuple, tuple]] = dataclasses.field(default_factory=list)  # layouts that differ
    ms_tied: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # (torch name, ms name it shares)
    conflicts: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # tied in the Cell, unequal in torch
    ms_recomputed: list[str] = dataclasses.field(default_factory=list)  # the Cell's non-persistent buffers, unmatched
    buffers: list[str] = dataclasses.field(default_factory=list)  # ms names copied into buffers, not Parameters
    ms_keys: dict[str, str] = dataclasses.field(default_factory=dict)  # ms name -> Parameter.name where they differ

    @property
    def ok(self) -> bool:
        return not (self.torch_only or self.ms_only or self.shape_mismatch or self.conflicts)

    @property
    def name_map(self) -> dict[str, str]:
        return dict(self.copied)

    def summary(self) -> str:
        lines = [f"copied {len(self.copied)} tensors by name"]
        if self.tied:
            lines.append(f"tied in torch, copied once: {', '.join(a for a, _ in self.tied)}")
        if self.ms_tied:
            lines.append(f"tied in mindspore, copied once: {', '.join(f'{t}={m}' for t, m in self.ms_tied)}")
        if self.renamed:
            lines.append(f"renamed: {_pairs(self.renamed)}")
        if self.aliased:
            pairs = ", ".join(f"{t}->{m.rpartition('.')[2]}" for t, m in self.aliased[:4])
            more = len(self.aliased) - 4
            lines.append(f"matched by nn-layer names: {pairs}" + (f" (+{more} more)" if more > 0 else ""))
        if self.reshaped:
            lines.append("reshaped (layouts differ): " + ", ".join(
                f"{t} {list(a)}->{list(b)}" for t, _, a, b in self.reshaped))
        if self.recomputed:
            lines.append(f"non-persistent torch buffers not held by the port: {', '.join(self.recomputed)}")
        if self.counters:
            lines.append(f"batch-norm step counters not held by the port ({len(self.counters)}): "
                         f"{', '.join(self.counters[:3])}" + (", ..." if len(self.counters) > 3 else ""))
        for title, names in (("only in torch", self.torch_only), ("only in mindspore", self.ms_only)):
            if names:
                lines.append(f"{title} ({len(names)}): " + ", ".join(names))
        for t_name, m_name, t_shape, m_shape in self.shape_mismatch:
            lines.append(f"shape mismatch: torch {t_name} {list(t_shape)} vs mindspore {m_name} {list(m_shape)}")
        for t_name, m_name in self.conflicts:
            lines.append(f"tied in mindspore but unequal in torch: {t_name} vs the value copied into {m_name}")
        if self.dtype_casts:
            casts = ", ".join(f"{n} {a}->{b}" for n, a, b in self.dtype_casts[:5])
            more = len(self.dtype_casts) - 5
            lines.append(f"cast to the port's dtype: {casts}" + (f" (+{more} more)" if more > 0 else ""))
        return "\n".join(lines)


def _pairs(pairs, limit: int = 4) -> str:
    text = ", ".join(f"{a}->{b}" for a, b in pairs[:limit])
    return text + (f" (+{len(pairs) - limit} more)" if len(pairs) > limit else "")


@dataclasses.dataclass
class Copy:
    """One planned copy: the torch-side value and where it goes on the MindSpore side."""

    torch_name: str
    ms_name: str
    tensor: Any  # the torch-side value
    target: Any  # the MindSpore-side Parameter, buffer or checkpoint tensor
    setter: Optional[tuple] = None  # (owner, attribute) for a plain Tensor attribute of the Cell
    ms_shape: Optional[tuple] = None  # set when the layouts differ: reshape the torch value to it


def rename_function(rename: Rename) -> Callable[[str], str]:
    """A torch-name -> ms-name function. A mapping holds exact names, or prefixes ending in '.'
    (`{"transformer.h.": "transformer.blocks."}`); the longest matching prefix wins."""
    if rename is None:
        return lambda name: name
    if callable(rename):
        return rename
    exact = {k: v for k, v in rename.items() if not k.endswith(".")}
    prefixes = sorted(((k, v) for k, v in rename.items() if k.endswith(".")), key=lambda kv: -len(kv[0]))

    def apply(name: str) -> str:
        if name in exact:
            return exact[name]
        for old, new in prefixes:
            if name.startswith(old):
                return new + name[len(old):]
        return name

    return apply


@dataclasses.dataclass
class _Entry:
    names: list  # the name, then the names it is tied to
    tensor: Any
    persistent: bool
    owner: Optional[type] = None  # the torch layer holding it


def _is_torch_module(value) -> bool:
    return hasattr(value, "state_dict") and hasattr(value, "named_buffers") and hasattr(value, "get_submodule")


def _torch_entries(module):
    """(entries, tied) for every parameter and buffer, with tied aliases separated."""
    if isinstance(module, Mapping):
        return [_Entry([name], tensor, True) for name, tensor in module.items()], []
    state = module.state_dict(keep_vars=True)
    persistent = set(state)
    entries, seen, tied = [], {}, []

    def owner(name):
        try:
            return type(module.get_submodule(name.rpartition(".")[0]))
        except AttributeError:
            return None

    for name, tensor in state.items():
        key = id(tensor)
        if key in seen:
            tied.append((name, seen[key].names[0]))
            seen[key].names.append(name)
            continue
        seen[key] = _Entry([name], tensor, True, owner(name))
        entries.append(seen[key])
    for name, buf in module.named_buffers():
        if name not in persistent and buf is not None and id(buf) not in seen:
            seen[id(buf)] = _Entry([name], buf, False, owner(name))
            entries.append(seen[id(buf)])
    return entries, tied


@dataclasses.dataclass
class _Targets:
    entries: dict  # name -> Parameter, buffer or checkpoint tensor
    shared: dict = dataclasses.field(default_factory=dict)  # another path of a shared Parameter -> its name
    optional: set = dataclasses.field(default_factory=set)  # non-persistent buffers: need no value
    owners: dict = dataclasses.field(default_factory=dict)  # name -> the Cell class holding it
    buffers: set = dataclasses.field(default_factory=set)
    keys: dict = dataclasses.field(default_factory=dict)  # name -> Parameter.name where it differs


def _ms_targets(cell) -> _Targets:
    """name -> Parameter or buffer of the Cell, with where each lives."""
    if isinstance(cell, Mapping):
        return _Targets(dict(cell))
    entries = {name: p for name, p in cell.parameters_and_names()}
    by_id = {id(p): name for name, p in entries.items()}
    found = _Targets(entries)
    seen_buffers = set()
    for name, p in entries.items():
        key = getattr(p, "name", name)
        if isinstance(key, str) and key != name:
            found.keys[name] = key
    for prefix, sub in cell.cells_and_names():
        dotted = f"{prefix}." if prefix else ""
        for pname, p in (getattr(sub, "_params", None) or {}).items():
            full = dotted + pname
            primary = by_id.get(id(p))
            if primary is None:
                continue
            found.owners.setdefault(full, type(sub))
            if full != primary:
                found.shared[full] = primary
        non_persistent = set(getattr(sub, "_non_persistent_buffers_set", None) or ())
        for bname, buf in (getattr(sub, "_buffers", None) or {}).items():
            if buf is None or id(buf) in seen_buffers:  # another name of a buffer listed already
                continue
            seen_buffers.add(id(buf))
            full = dotted + bname
            if full not in entries:
                entries[full] = buf
                found.buffers.add(full)
                found.owners[full] = type(sub)
                if bname in non_persistent:
                    found.optional.add(full)
    return found


def _tensor_attribute(cell, dotted: str):
    """The plain Tensor attribute at a dotted path (mindone keeps e.g. rotary `inv_freq` so)."""
    if isinstance(cell, Mapping):
        return None, None, None
    owner_path, _, attr = dotted.rpartition(".")
    owner = cell
    for part in owner_path.split(".") if owner_path else []:
        owner = getattr(owner, part, None)
        if owner is None:
            return None, None, None
    value = getattr(owner, attr, None)
    if is_ms_tensor(value):
        return owner, attr, value
    return None, None, None


def to_numpy(tensor) -> np.ndarray:
    """A torch tensor, MindSpore tensor or array as numpy; bfloat16 as float32 (exact)."""
    if isinstance(tensor, np.ndarray):
        return tensor
    if is_ms_tensor(tensor):
        if "bfloat16" in str(tensor.dtype).lower():
            import mindspore

            tensor = tensor.astype(mindspore.float32)
        return tensor.asnumpy()
    t = tensor.detach().cpu()
    if str(t.dtype) == "torch.bfloat16":
        t = t.float()
    return t.numpy()


def _set_value(target, array: np.ndarray):
    import mindspore

    value = mindspore.Tensor(array).astype(target.dtype)
    if isinstance(target, mindspore.Parameter):
        target.set_data(value)
    else:
        target.assign_value(value)


def _dtype_name(value) -> str:
    return str(value.dtype).replace("torch.", "").lower()


@functools.lru_cache(maxsize=1)
def _table() -> dict:
    import yaml

    text = resources.files("torch2ms.parity").joinpath("aliases.yaml").read_text()
    return yaml.safe_load(text)


def layer_aliases() -> dict[str, list[str]]:
    return {k: list(v) for k, v in (_table().get("names") or {}).items()}


def layouts() -> list[dict]:
    return list(_table().get("layouts") or [])


def _is_layer(cls, names, package: str) -> bool:
    return cls is not None and any(
        c.__name__ in names and c.__module__.startswith(package) for c in getattr(cls, "__mro__", ())
    )


def _layout_differs(leaf: str, torch_owner, ms_owner, t_shape: tuple, m_shape: tuple) -> bool:
    """True when a layouts rule of aliases.yaml turns the torch shape into the MindSpore one."""
    for rule in layouts():
        if rule.get("param") != leaf:
            continue
        if not (_is_layer(torch_owner, rule.get("torch", ()), "torch.nn")
                or _is_layer(ms_owner, rule.get("mindspore", ()), "mindspore.nn")):
            continue
        axis = rule.get("unsqueeze")
        if axis is not None and len(m_shape) == len(t_shape) + 1 and m_shape[axis] == 1 \
                and m_shape[:axis] + m_shape[axis + 1:] == t_shape:
            return True
    return False


def _equal(a, b) -> bool:
    if a is b:
        return True
    if tuple(a.shape) != tuple(b.shape):
        return False
    return bool(np.array_equal(to_numpy(a), to_numpy(b)))


def plan_transfer(torch_module, ms_cell, rename: Rename = None, aliases: bool = True) -> tuple[TransferReport, list]:
    """Match names and shapes without copying; returns the report and the copy plan (`Copy`s).

    torch_module: a torch Module or a mapping name -> tensor in torch's naming (a checkpoint).
    ms_cell: a MindSpore Cell or a mapping name -> tensor in the port's naming.
    Exact (or renamed) names first, then the other names of a tied tensor on either side; then,
    with `aliases`, the leftovers by the older nn layers' names (aliases.yaml)."""
    to_ms = rename_function(rename)
    entries, tied = _torch_entries(torch_module)
    targets = _ms_targets(ms_cell)
    report, plan, used, leftovers = TransferReport(tied=tied), [], {}, []

    def match(entry, name, ms_name, target, setter=None):
        used[ms_name] = entry
        t_shape, m_shape = tuple(entry.tensor.shape), tuple(target.shape)
        ms_shape = None
        if t_shape != m_shape:
            leaf = ms_name.rpartition(".")[2]
            if not _layout_differs(leaf, entry.owner, targets.owners.get(ms_name), t_shape, m_shape):
                report.shape_mismatch.append((name, ms_name, t_shape, m_shape))
                return
            report.reshaped.append((name, ms_name, t_shape, m_shape))
            ms_shape = m_shape
        t_dtype, m_dtype = _dtype_name(entry.tensor), _dtype_name(target)
        if t_dtype != m_dtype:
            report.dtype_casts.append((name, t_dtype, m_dtype))
        if name != ms_name and ms_name == to_ms(name):
            report.renamed.append((name, ms_name))
        if ms_name in targets.buffers:
            report.buffers.append(ms_name)
        if ms_name in targets.keys:
            report.ms_keys[ms_name] = targets.keys[ms_name]
        report.copied.append((name, ms_name))
        plan.append(Copy(name, ms_name, entry.tensor, target, setter, ms_shape))

    def direct(entry):
        """The first of the entry's names found on the MindSpore side, or one of its shared paths."""
        for name in entry.names:
            ms_name = to_ms(name)
            if ms_name in targets.entries and ms_name not in used:
                return name, ms_name, None
        for name in entry.names:
            ms_name = to_ms(name)
            primary = targets.shared.get(ms_name)
            if primary is not None:
                return name, primary, ms_name
        return None

    for entry in entries:
        hit = direct(entry)
        if hit is None:
            leftovers.append(entry)
            continue
        name, ms_name, via = hit
        if via is not None:  # tied in the Cell, so listed once under another path
            if ms_name in used:  # its value came already, from the name the Cell lists
                if _equal(used[ms_name].tensor, entry.tensor):
                    report.ms_tied.append((name, ms_name))
                else:
                    report.conflicts.append((name, ms_name))
                continue
            report.ms_tied.append((name, ms_name))
        match(entry, name, ms_name, targets.entries[ms_name])
    for entry in leftovers:
        name = entry.names[0]
        ms_name = to_ms(name)
        prefix, _, last = ms_name.rpartition(".")
        candidates = [f"{prefix}.{a}" if prefix else a for a in (layer_aliases().get(last, []) if aliases else [])]
        alias = next((c for c in candidates if c in targets.entries and c not in used), None)
        if alias is not None:
            report.aliased.append((name, alias))
            match(entry, name, alias, targets.entries[alias])
            continue
        if not entry.persistent:
            owner, attr, target = _tensor_attribute(ms_cell, ms_name)
            if target is not None:
                match(entry, name, ms_name, target, (owner, attr))
                continue
        if name.endswith(".num_batches_tracked") and entry.owner is not None and "BatchNorm" in entry.owner.__name__:
            # a step counter, read only by a batch norm without momentum: the outputs compared show
            # whether the port needs it
            report.counters.append(name)
            continue
        (report.torch_only if entry.persistent else report.recomputed).append(name)
    for name in targets.entries:
        if name not in used:
            (report.ms_recomputed if name in targets.optional else report.ms_only).append(name)
    return report, plan


def transfer_weights(
    torch_module, ms_cell, rename: Rename = None, strict: bool = True, aliases: bool = True
) -> TransferReport:
    """Copy every torch parameter and buffer into the Cell entry of the same (or renamed) name.

    torch_module may also be a state dict (a mapping name -> tensor).
    strict: raise WeightTransferError before copying anything when a name or shape does not map;
    with strict=False the matching entries are copied and the report lists the rest.
    aliases: also match the older nn layers' names (`embedding_table`, `gamma`, ...; aliases.yaml).
    """
    report, plan = plan_transfer(torch_module, ms_cell, rename, aliases)
    if strict and not report.ok:
        raise WeightTransferError(report)
    import mindspore

    for item in plan:
        array = to_numpy(item.tensor)
        if item.ms_shape is not None:
            array = array.reshape(item.ms_shape)
        if item.setter is not None:  # plain Tensor attribute: replace it, keeping the port's dtype
            owner, attr = item.setter
            setattr(owner, attr, mindspore.Tensor(array).astype(item.target.dtype))
        else:
            _set_value(item.target, array)
    return report
