"""Libraries without a MindSpore counterpart: markers on their names and on the objects they built.

`flag_names(family, roots, names, other)` flags every name under the roots with its `names`
entry (the entry of the nearest module above it, else `other`); the mapping table wins where it
has a target (`lightning.seed_everything` -> `mindspore.set_seed`).

`accelerator = Accelerator()`, `trainer = L.Trainer(...)`, `llm = LLM(...)`, `acc = Accuracy(...)`:
each assigned name or attribute is remembered with the qualified name of what built it, so that
`accelerator.backward(loss)`, `trainer.fit(model)`, `llm.generate(prompts)` and
`accelerator.device` get the marker of that method or attribute. A family describes its objects
with `register(...)` (the texts are data: `rules/<family>.yaml`, key `objects`):

    objects:
      Accelerator:                  # the class name (any module of the family's roots), or "*"
        words: [accelerator]        # receivers named like this count as one when the file
                                    #   imports the library (a parameter: `def f(accelerator)`)
        methods: {prepare: "..."}   # method -> marker text
        attributes: {device: "..."} # attribute read -> marker text
        other: "..."                # any other method or attribute ({name} is replaced)

A family may convert a method instead (`convert=`: torchmetrics' `compute()` -> `eval()`): it is
called as `convert(ctx, original, updated, built, name, uses_result)` (`built`: the Built record
of the receiver, None when only its name says what it is; `name`: the method, "__call__" for a
call of the object itself) and returns the new node, or None to get the marker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import libcst as cst

from . import call, method, node, reference

KEY = "library_objects"


def _clean(text) -> str:
    return " ".join(str(text or "").split())


def note(qn: str, names: dict[str, str], other: str) -> str:
    """The marker text of a library name: its own entry, that of its last part (a bare key:
    `Trainer` for `lightning.pytorch.Trainer`), that of a module above it, or `other`."""
    if qn in names:
        return names[qn]
    last = qn.rsplit(".", 1)[-1]
    if last in names:
        return names[last]
    probe = qn
    while probe:
        if probe in names:
            return names[probe]
        probe = probe.rpartition(".")[0]
    return other


def flag_names(family: str, roots: tuple[str, ...], names: dict, other: str) -> None:
    names = {k: _clean(v) for k, v in (names or {}).items()}
    other = _clean(other)

    def on_call(ctx, original, updated, qn):
        if qn in ctx.table:
            return None
        ctx.flag(original, family, f"{qn}: {note(qn, names, other)}")
        return ctx.leave_torch(original, updated)

    def on_reference(ctx, original, updated, qn):
        entry = ctx.table.get(qn)
        if entry is not None and entry.to is not None:
            return None
        ctx.flag(original, family, f"{qn}: {note(qn, names, other)}")
        return ctx.leave_torch(original, updated)

    for root in roots:
        call(root, prefix=True)(on_call)
        reference(root, prefix=True)(on_reference)


@dataclass
class Kind:
    words: tuple[str, ...] = ()
    methods: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, str] = field(default_factory=dict)
    other: str = ""

    def text(self, name: str, called: bool) -> str:
        table = self.methods if called else self.attributes
        note = table.get(name) or (self.attributes if called else self.methods).get(name)
        return " ".join((note or self.other.replace("{name}", name)).split())


@dataclass
class Library:
    family: str
    roots: tuple[str, ...]
    kinds: dict[str, Kind]
    convert: Callable | None = None
    self_kinds: Callable | None = None  # (ctx) -> Kind of `self` in the enclosing class, or None


LIBRARIES: list[Library] = []


def register(family: str, roots: tuple[str, ...], objects: dict, convert=None, self_kind=None) -> Library:
    kinds = {}
    for name, raw in (objects or {}).items():
        kinds[name] = Kind(tuple(raw.get("words") or ()),
                           {k: _clean(v) for k, v in (raw.get("methods") or {}).items()},
                           {k: _clean(v) for k, v in (raw.get("attributes") or {}).items()},
                           _clean(raw.get("other")))
    lib = Library(family, roots, kinds, convert, self_kind)
    LIBRARIES.append(lib)
    return lib


def _root_of(qn: str) -> str:
    return qn.split(".", 1)[0]


@dataclass(frozen=True)
class Built:
    qualname: str  # the class that built the object
    call: int      # id() of the constructor call (the family knows whether it converted it)


def _constructor_call(ctx, value):
    """The call that built the object: `X(...)` in `X(...).to(device)`."""
    while isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) \
            and isinstance(value.func.value, cst.Call) and ctx.qualname(value.func) is None:
        value = value.func.value
    return value


def constructor(ctx, value: cst.BaseExpression) -> str | None:
    """The qualified class name a value was built by: `X(...)`, `X(...).to(device)`,
    `X.from_pretrained(...)`; None when it is not a call of a watched library."""
    value = _constructor_call(ctx, value)
    if not isinstance(value, cst.Call):
        return None
    qn = ctx.qualname(value.func)
    if qn is None or not any(_root_of(qn) in lib.roots for lib in LIBRARIES):
        return None
    parts = qn.split(".")
    if len(parts) > 2 and parts[-1][:1].islower() and parts[-2][:1].isupper():
        parts = parts[:-1]  # `Trainer.from_argparse_args(...)` builds a Trainer
    return ".".join(parts) if parts[-1][:1].isupper() else None  # a function's result is no object


def _note_binding(ctx, targets, value) -> None:
    objects = ctx.state.setdefault(KEY, {})
    qn = constructor(ctx, value) if value is not None else None
    for target in targets:
        key = ctx.code(target)
        if qn:
            objects[key] = Built(qn, id(_constructor_call(ctx, value)))
        else:
            objects.pop(key, None)


@node(cst.Assign, kept=True)
def note_assign(ctx, original: cst.Assign, updated):
    _note_binding(ctx, [t.target for t in original.targets], original.value)
    return None


@node(cst.AnnAssign, kept=True)
def note_ann_assign(ctx, original: cst.AnnAssign, updated):
    if original.value is not None:
        _note_binding(ctx, [original.target], original.value)
    return None


def watched(ctx) -> bool:
    """Whether the file imports one of the watched libraries (else nothing here applies)."""
    if "library_watched" not in ctx.state:
        ctx.state["library_watched"] = any(r in ctx.imported_packages for lib in LIBRARIES
                                           for r in lib.roots)
    return ctx.state["library_watched"]


def built_by(ctx, expr: cst.BaseExpression) -> tuple[Library, Kind, Built | str] | None:
    """(library, kind, what) for a receiver built by a watched library, else None. `what` is the
    Built record, "self" in a class the library's `self_kind` recognises, or the receiver's name
    when only its name says what it is."""
    if not watched(ctx):
        return None
    objects = ctx.state.get(KEY) or {}
    probe = expr
    while objects:
        built = objects.get(ctx.code(probe))
        if built is not None:
            qn = built.qualname
            for lib in LIBRARIES:
                if _root_of(qn) in lib.roots:
                    kind = lib.kinds.get(qn.rsplit(".", 1)[-1]) or lib.kinds.get("*")
                    if kind is not None:
                        return lib, kind, built if probe is expr else qn
            return None
        if not isinstance(probe, cst.Attribute):
            break
        probe = probe.value
    if isinstance(expr, cst.Name) and expr.value == "self":
        for lib in LIBRARIES:
            kind = lib.self_kinds(ctx) if lib.self_kinds else None
            if kind is not None:
                return lib, kind, "self"
        return None
    root = expr
    while isinstance(root, cst.Attribute):
        root = root.value
    if not isinstance(root, cst.Name):
        return None
    name = root.value.lower()
    for lib in LIBRARIES:
        if not any(r in ctx.imported_packages for r in lib.roots):
            continue
        for kind in lib.kinds.values():
            if name in kind.words:
                return lib, kind, root.value
    return None


def _statement_uses_result(ctx, original: cst.Call) -> bool:
    stmt = ctx.statements[-1] if ctx.statements else None
    return not (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1
                and isinstance(stmt.body[0], cst.Expr) and stmt.body[0].value is original)


@method("*", kept=True, when=watched)
def object_method(ctx, original: cst.Call, updated: cst.Call):
    recv = original.func.value
    found = built_by(ctx, recv)
    if found is None:
        return None
    lib, kind, what = found
    name = original.func.attr.value
    if what == "self" and name not in kind.methods:
        return None  # the class's own methods and layers: its class marker covers them
    ctx.count_site(original)
    if lib.convert is not None and not ctx.in_kept:
        new = lib.convert(ctx, original, updated, what if isinstance(what, Built) else None, name,
                          _statement_uses_result(ctx, original))
        if new is not None:
            return new
    shown = f"{ctx.code(recv)}.{name}()"
    ctx.flag(original, lib.family, f"{shown}: {kind.text(name, called=True)}")
    return updated


@node(cst.Attribute, kept=True, when=watched)
def object_attribute(ctx, original: cst.Attribute, updated: cst.Attribute):
    """`accelerator.device`, `fabric.is_global_zero`: an attribute read, not a call."""
    if ctx.is_inner(original) or not watched(ctx):
        return None
    if not isinstance(original.value, (cst.Name, cst.Attribute)):
        return None
    found = built_by(ctx, original.value)
    if found is None:
        return None
    lib, kind, what = found
    if what == "self":
        return None  # self.hparams, self.device of a kept class: its class marker covers them
    name = original.attr.value
    ctx.flag(original, lib.family, f"{ctx.code(original)}: {kind.text(name, called=False)}")
    return None


@node(cst.Call, kept=True, when=watched)
def object_called(ctx, original: cst.Call, updated: cst.Call):
    """`acc(preds, target)`: a library object called like a function."""
    if not ctx.state.get(KEY) or not isinstance(original.func, (cst.Name, cst.Attribute)):
        return None
    if isinstance(original.func, cst.Name) and original.func.value == "self":
        return None
    if ctx.state[KEY].get(ctx.code(original.func)) is None:
        return None
    found = built_by(ctx, original.func)
    if found is None:
        return None
    lib, kind, what = found
    ctx.count_site(original)
    if lib.convert is not None and not ctx.in_kept:
        new = lib.convert(ctx, original, updated, what if isinstance(what, Built) else None,
                          "__call__", _statement_uses_result(ctx, original))
        if new is not None:
            return new
    ctx.flag(original, lib.family, f"{ctx.code(original.func)}(...): {kind.text('__call__', called=True)}")
    return None
