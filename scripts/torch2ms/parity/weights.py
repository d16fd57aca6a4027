"""Copying torch weights into a MindSpore Cell by name, buffers included.

mint-style ports keep torch's parameter names, so the state dict maps 1:1. Anything that does
not map is listed on both sides; by default nothing is copied unless everything maps.
"""

from __future__ import annotations

import dataclasses
import functools
from importlib import resources
from typing import Callable, Mapping, Union

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
    dtype_casts: list[tuple[str, str, str]] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.torch_only or self.ms_only or self.shape_mismatch)

    @property
    def name_map(self) -> dict[str, str]:
        return dict(self.copied)

    def summary(self) -> str:
        lines = [f"copied {len(self.copied)} tensors by name"]
        if self.tied:
            lines.append(f"tied in torch, copied once: {', '.join(a for a, _ in self.tied)}")
        if self.aliased:
            pairs = ", ".join(f"{t}->{m.rpartition('.')[2]}" for t, m in self.aliased[:4])
            more = len(self.aliased) - 4
            lines.append(f"matched by nn-layer names: {pairs}" + (f" (+{more} more)" if more > 0 else ""))
        if self.recomputed:
            lines.append(f"non-persistent torch buffers not held by the port: {', '.join(self.recomputed)}")
        for title, names in (("only in torch", self.torch_only), ("only in mindspore", self.ms_only)):
            if names:
                lines.append(f"{title} ({len(names)}): " + ", ".join(names))
        for t_name, m_name, t_shape, m_shape in self.shape_mismatch:
            lines.append(f"shape mismatch: torch {t_name} {list(t_shape)} vs mindspore {m_name} {list(m_shape)}")
        if self.dtype_casts:
            casts = ", ".join(f"{n} {a}->{b}" for n, a, b in self.dtype_casts[:5])
            more = len(self.dtype_casts) - 5
            lines.append(f"cast to the port's dtype: {casts}" + (f" (+{more} more)" if more > 0 else ""))
        return "\n".join(lines)


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


def _torch_entries(module):
    """(name, tensor, persistent) for every parameter and buffer, with tied aliases separated."""
    state = module.state_dict(keep_vars=True)
    persistent = set(state)
    entries, seen, tied = [], {}, []
    for name, tensor in state.items():
        key = id(tensor)
        if key in seen:
            tied.append((name, seen[key]))
            continue
        seen[key] = name
        entries.append((name, tensor, True))
    for name, buf in module.named_buffers():
        if name not in persistent and buf is not None and id(buf) not in seen:
            seen[id(buf)] = name
            entries.append((name, buf, False))
    return entries, tied


def _ms_targets(cell) -> dict:
    """name -> Parameter or buffer of the Cell."""
    targets = {name: p for name, p in cell.parameters_and_names()}
    if hasattr(cell, "named_buffers"):
        for name, buf in cell.named_buffers():
            targets.setdefault(name, buf)
    return targets


def _tensor_attribute(cell, dotted: str):
    """The plain Tensor attribute at a dotted path (mindone keeps e.g. rotary `inv_freq` so)."""
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


def _to_numpy(tensor) -> np.ndarray:
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


@functools.lru_cache(maxsize=1)
def layer_aliases() -> dict[str, list[str]]:
    import yaml

    text = resources.files("torch2ms.parity").joinpath("aliases.yaml").read_text()
    return {k: list(v) for k, v in yaml.safe_load(text).items()}


def plan_transfer(torch_module, ms_cell, rename: Rename = None, aliases: bool = True) -> tuple[TransferReport, list]:
    """Match names and shapes without copying; returns the report and the copy plan.

    Exact (or renamed) names first; then, with `aliases`, the leftovers by the older nn layers'
    names (aliases.yaml)."""
    to_ms = rename_function(rename)
    entries, tied = _torch_entries(torch_module)
    targets = _ms_targets(ms_cell)
    report, plan, used, leftovers = TransferReport(tied=tied), [], set(), []

    def match(name, tensor, ms_name, target, setter=None):
        used.add(ms_name)
        t_shape, m_shape = tuple(tensor.shape), tuple(target.shape)
        if t_shape != m_shape:
            report.shape_mismatch.append((name, ms_name, t_shape, m_shape))
            return
        t_dtype = str(tensor.dtype).replace("torch.", "")
        m_dtype = str(target.dtype).lower()
        if t_dtype != m_dtype:
            report.dtype_casts.append((name, t_dtype, m_dtype))
        report.copied.append((name, ms_name))
        plan.append((tensor, target, setter))

    for name, tensor, persistent in entries:
        ms_name = to_ms(name)
        if ms_name in targets:
            match(name, tensor, ms_name, targets[ms_name])
        else:
            leftovers.append((name, tensor, persistent, ms_name))
    for name, tensor, persistent, ms_name in leftovers:
        prefix, _, last = ms_name.rpartition(".")
        candidates = [f"{prefix}.{a}" if prefix else a for a in (layer_aliases().get(last, []) if aliases else [])]
        alias = next((c for c in candidates if c in targets and c not in used), None)
        if alias is not None:
            report.aliased.append((name, alias))
            match(name, tensor, alias, targets[alias])
            continue
        if not persistent:
            owner, attr, target = _tensor_attribute(ms_cell, ms_name)
            if target is not None:
                match(name, tensor, ms_name, target, (owner, attr))
                continue
        (report.torch_only if persistent else report.recomputed).append(name)
    report.ms_only = [n for n in targets if n not in used]
    return report, plan


def transfer_weights(
    torch_module, ms_cell, rename: Rename = None, strict: bool = True, aliases: bool = True
) -> TransferReport:
    """Copy every torch parameter and buffer into the Cell entry of the same (or renamed) name.

    strict: raise WeightTransferError before copying anything when a name or shape does not map;
    with strict=False the matching entries are copied and the report lists the rest.
    aliases: also match the older nn layers' names (`embedding_table`, `gamma`, ...; aliases.yaml).
    """
    report, plan = plan_transfer(torch_module, ms_cell, rename, aliases)
    if strict and not report.ok:
        raise WeightTransferError(report)
    import mindspore

    for tensor, target, setter in plan:
        array = _to_numpy(tensor)
        if setter is not None:  # plain Tensor attribute: replace it, keeping the port's dtype
            owner, attr = setter
            setattr(owner, attr, mindspore.Tensor(array).astype(target.dtype))
        else:
            _set_value(target, array)
    return report
