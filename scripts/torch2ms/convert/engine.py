"""The conversion engine: one libcst pass that resolves torch names and applies the rules.

    result = convert_source(code)   # FileResult: code, edits, flags, call-site counts

Names are resolved as libcst's ScopeProvider resolves them (`import torch as t`, `from torch
import nn`, `from torch.nn import functional as F`, function-local imports all resolve to
`torch.*`), by the cheaper walk of `scopes.py`. For each call or reference to a torch name the
engine asks the registered rule handlers (`rules/`), then the mapping table (`mappings/`); what
neither converts is left as it is and its statement gets a `# TODO(torch2ms): ...` marker.
Finally the imports are fixed: torch imports nothing uses any more are removed, the MindSpore
imports the new code needs are added.

The pass enters every statement, but an expression only when something in it can matter to a
rule (the hot nodes of `scopes.resolve`): a name bound to a torch-ecosystem import, an
attribute a method rule or the table's `Tensor.*` entries handle, or what an expression
handler declares (`rules.node(attrs=, keywords=, when=)`). The other expressions stay the
original nodes, as a full visit would have rebuilt them unchanged.
"""

from __future__ import annotations

import dataclasses
import functools
import gc
from dataclasses import dataclass, field

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata.scope_provider import ImportAssignment

from . import lines, markers, rules, scopes
from .apply import apply_call_mapping, apply_method_mapping
from .mappings import Mapping, default_table
from .naming import Namer, is_torch_name
from .rules.imports import fix_imports
from .rules.training_loop import dataset_numpy_call


@dataclass
class Edit:
    line: int
    rule: str
    before: str
    after: str

    def __str__(self) -> str:
        return f"L{self.line} {self.rule}: {self.before} -> {self.after}"


@dataclass
class Flag:
    line: int
    rule: str
    message: str

    def __str__(self) -> str:
        return f"L{self.line} {self.rule}: TODO {self.message}"


@dataclass
class FileResult:
    path: str
    original: str
    code: str
    edits: list[Edit] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    found: int = 0
    converted: int = 0
    flagged: int = 0
    error: str | None = None

    @property
    def changed(self) -> bool:
        return self.code != self.original

    def to_dict(self) -> dict:
        return {
            "path": self.path, "changed": self.changed, "error": self.error,
            "call_sites": {"found": self.found, "converted": self.converted, "flagged": self.flagged},
            "edits": [vars(e) for e in self.edits], "flags": [vars(f) for f in self.flags],
        }


_LINE_TYPES = (cst.SimpleStatementLine, cst.If, cst.For, cst.While, cst.With, cst.FunctionDef,
               cst.ClassDef, cst.Try, cst.TryStar, cst.Match, cst.Call, cst.Attribute, cst.Name)
_STATEMENTS = (cst.SimpleStatementLine, cst.BaseCompoundStatement)
# concrete classes, for a set lookup: isinstance against libcst's abstract bases is slow
_STATEMENT_TYPES = frozenset({cst.SimpleStatementLine, cst.If, cst.For, cst.While, cst.With,
                              cst.FunctionDef, cst.ClassDef, cst.Try, cst.TryStar, cst.Match})


def _concrete(*bases: type) -> set[type]:
    found, stack = set(), list(bases)
    while stack:
        t = stack.pop()
        stack.extend(t.__subclasses__())
        if not getattr(t, "__abstractmethods__", None):
            found.add(t)
    return found


# nodes the pass always enters (statements and the blocks holding them); the others are
# expressions and their parts, entered only when hot
_CONTAINERS = frozenset(_concrete(cst.BaseStatement, cst.BaseSmallStatement, cst.BaseSuite) | {
    cst.Module, cst.Else, cst.ExceptHandler, cst.ExceptStarHandler, cst.Finally, cst.MatchCase})


# `.values` / `.indices` of what these return: named tuples in torch, plain tuples in MindSpore
_NAMED_FIELDS = {"values": 0, "indices": 1}
_TUPLE_RETURNING = frozenset({"topk", "sort", "max", "min", "median", "nanmedian", "kthvalue", "mode",
                              "cummax", "cummin", "aminmax"})


def _returns_tuple(func: cst.BaseExpression) -> bool:
    """A call converted to a mint function that returns a tuple (`mint.topk`, `mindspore.mint.sort`)."""
    if type(func) is not cst.Attribute or func.attr.value not in _TUPLE_RETURNING:
        return False
    head = func.value
    names = []
    while type(head) is cst.Attribute:
        names.append(head.attr.value)
        head = head.value
    return type(head) is cst.Name and (head.value == "mint" or "mint" in names)


def _short(text: str, width: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def _chain_root(node: cst.BaseExpression) -> cst.Name | None:
    while isinstance(node, cst.Attribute):
        node = node.value
    return node if isinstance(node, cst.Name) else None


class Converter(cst.CSTTransformer):
    """The single pass. Rule handlers get this object as `ctx`."""

    def __init__(self, module: cst.Module, names: scopes.Names, table: dict[str, Mapping],
                 unclaimable: frozenset = frozenset()):
        super().__init__()
        self.module = module
        self.names = names
        self.table = table
        self.source: str | None = None  # the module's source, when the caller has it
        self.module_lines: lines.Lines | None = None  # with the code of the top-level statements
        self.edits: list[Edit] = []
        self.flags: list[Flag] = []
        self.torch_imports: dict[int, cst.CSTNode] = {}
        # (id of an import node, bound name) still referenced by unconverted code
        self.still_used: set[tuple[int, str]] = set()
        self.kept_quietly: set[tuple[int, str]] = set()
        self._frames: list[list[tuple[int, str]]] = []
        self._sites: dict[int, str] = {}  # id(original call) -> "converted" | "flagged"
        self._skip: set[int] = set()      # ids of callee / inner chain nodes
        self.tensor_names: list[set[str]] = [set()]
        self.module_names: list[set[str]] = [set()]
        self.class_stack: list[cst.ClassDef] = []
        # per enclosing class: whether it stays on a torch library as it is (rules.keep_class)
        self.kept: list[bool] = []
        self.class_tensors: dict[int, set[str]] = {}
        self.class_modules: dict[int, set[str]] = {}
        self.statements: list[cst.CSTNode] = []  # the original statements being visited
        self.state: dict[str, object] = {}       # scratch space of the rule families
        self._import_roots: set[str] = set()  # every name bound by an import
        self.imported_packages: set[str] = set()  # the top-level packages the file imports
        self._torch_roots = self._collect_torch_bindings()
        self.namer = Namer(self._global_bindings(), unclaimable)
        self._hot = names.hot
        self._prune = self._hot is not None and not rules.visit_everything(
            self, [t for t in rules.NODES if t not in _CONTAINERS])

    # ------------------------------------------------------------ name resolution
    def _collect_torch_bindings(self) -> set[str]:
        roots = set()
        for scope in self.names.scopes:
            for assignment in scope.assignments:
                if isinstance(assignment, ImportAssignment):
                    self._import_roots.add(assignment.name)
                    names = assignment.get_qualified_names_for(assignment.name)
                    self.imported_packages.update(q.name.split(".", 1)[0] for q in names)
                    if any(is_torch_name(q.name) for q in names):
                        roots.add(assignment.name)
        return roots

    def _global_bindings(self) -> dict[str, set[str]]:
        scope = self.names.module_scope
        out: dict[str, set[str]] = {}
        if scope is None:
            return out
        for assignment in scope.assignments:
            names = {q.name for q in assignment.get_qualified_names_for(assignment.name)}
            out.setdefault(assignment.name, set()).update(names)
        return out

    def qualname(self, node: cst.CSTNode) -> str | None:
        """The torch (or transformers) qualified name of a Name/Attribute, else None."""
        if not isinstance(node, (cst.Name, cst.Attribute)):
            return None
        root = _chain_root(node)
        if root is None or root.value not in self._torch_roots:
            return None
        names = self.names.qualified_names(node)
        if names is None:
            return None
        torch_names = sorted(n for n in names if is_torch_name(n))
        return torch_names[0] if len(torch_names) == 1 else None

    def qualified_names(self, node: cst.CSTNode) -> frozenset[str] | None:
        """Every qualified name a Name/Attribute may stand for (libcst's
        `get_qualified_names_for`); None when the node is not in a scope."""
        return self.names.qualified_names(node)

    def _is_module_function(self, func: cst.Attribute) -> bool:
        """`np.max(...)`, `mint.cat(...)`: a function reached through an imported name."""
        root = _chain_root(func)
        return root is not None and root.value in self._import_roots and self._is_access(root) \
            and any(isinstance(r, ImportAssignment) for r in self.names.referents(root))

    def _refers_to_torch_import(self, name: cst.Name) -> bool:
        for referent in self.names.referents(name):
            if isinstance(referent, ImportAssignment) and any(
                    is_torch_name(q.name) for q in referent.get_qualified_names_for(referent.name)):
                return True
        return False

    def _is_access(self, name: cst.Name) -> bool:
        return self.names.is_access(name)

    def resolves_to_prefix(self, node: cst.CSTNode, *prefixes: str) -> bool:
        """Whether an imported Name/Attribute resolves to a name starting with a prefix."""
        root = _chain_root(node) if isinstance(node, (cst.Name, cst.Attribute)) else None
        if root is None or root.value not in self._import_roots:
            return False
        names = self.names.qualified_names(node)
        return names is not None and any(n.startswith(prefixes) for n in names)

    def resolves_to(self, node: cst.CSTNode, *qualified: str) -> bool:
        """Whether a Name/Attribute resolves to one of the given (any package's) names."""
        if not isinstance(node, (cst.Name, cst.Attribute)):
            return False
        names = self.names.qualified_names(node)
        return names is not None and any(n in qualified for n in names)

    # ------------------------------------------------------------ helpers for rules
    def render(self, target: str) -> cst.BaseExpression:
        return self.namer.expr(target)

    def need_import(self, module: str, obj: str | None = None, alias: str | None = None) -> None:
        from libcst.codemod.visitors import ImportItem
        item = ImportItem(module, obj, alias)
        if item not in self.namer.needed:
            self.namer.needed.append(item)

    def code(self, node: cst.CSTNode) -> str:
        return lines.code(self.module, node)

    def assigned_to(self, call: cst.Call) -> str | None:
        """The target of `x = <call>` / `self.x = <call>` when that is the statement being
        converted, as source text."""
        stmt = self.statements[-1] if self.statements else None
        if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1:
            small = stmt.body[0]
            if isinstance(small, cst.Assign) and small.value is call and len(small.targets) == 1:
                return self.code(small.targets[0].target)
        return None

    def line(self, original: cst.CSTNode) -> int:
        if self.module_lines is None:
            self.module_lines = lines.Lines(self.module, _LINE_TYPES) if self.source is None \
                else lines.LazyLines.build(self.module, self.source, _LINE_TYPES)
        return self.module_lines.line_of(original, self.statements)

    def edit(self, original, rule: str, new, before: str | None = None, after: str | None = None):
        """Record a conversion of `original` into `new` and return `new`."""
        if (isinstance(new, cst.BaseExpression) and getattr(original, "lpar", None)
                and not new.lpar and hasattr(new, "lpar")):
            # parentheses around the old expression may carry a line break: keep them
            new = new.with_changes(lpar=original.lpar, rpar=original.rpar)
        self.edits.append(Edit(self.line(original), rule,
                               _short(before if before is not None else self.code(original)),
                               _short(after if after is not None else self.code(new))))
        if id(original) in self._sites and self._sites[id(original)] != "flagged":
            self._sites[id(original)] = "converted"
        return new

    def count_site(self, original: cst.Call) -> None:
        """Count a call that is not a torch name (a tensor method) as a torch call site."""
        self._sites.setdefault(id(original), "found")

    def discount_site(self, original: cst.Call) -> None:
        """The call turned out not to be a torch API call (a tokenizer, a config)."""
        self._sites.pop(id(original), None)

    def flag(self, original, rule: str, message: str) -> None:
        """A TODO marker on the statement holding `original`."""
        message = " ".join(message.split())
        self.flags.append(Flag(self.line(original), rule, message))
        if self._frames:
            self._frames[-1].append((id(original), message))
        if id(original) in self._sites:
            self._sites[id(original)] = "flagged"

    def leave_torch(self, original: cst.CSTNode, updated: cst.CSTNode) -> cst.CSTNode:
        """`original` stays on torch: keep its imports, rename a taken-over alias root. A call
        that stays on torch keeps its arguments as written (a torch function is given torch
        objects: `clip_grad_norm_(model.parameters(), 1)`, `generator=torch.Generator()`)."""
        if isinstance(original, cst.Call) and isinstance(updated, cst.Call) \
                and not self.in_kept and not _same_args(original, updated):
            updated = updated.with_changes(args=self._untouched(original.args))
        root = _chain_root(original.func if isinstance(original, cst.Call) else original)
        if root is None:
            return updated
        self._mark_used(root, self.still_used)
        new_name = self.namer.leftover_name(root.value)
        if new_name == root.value:
            return updated
        return self._rename_root(updated, new_name)

    def _untouched(self, args):
        """The original arguments of a call that stays on torch: what the pass recorded inside
        them is forgotten (their torch calls stay, flagged by the call's marker), the torch
        names in them keep their imports (under a taken-over alias's new name)."""
        conv = self
        gone: set[int] = set()

        class Restore(cst.CSTTransformer):
            def on_visit(self, n):
                gone.add(id(n))
                return True

            def leave_Name(self, o, u):
                if o.value in conv._torch_roots and conv._is_access(o) \
                        and conv._refers_to_torch_import(o):
                    conv._mark_used(o, conv.still_used)
                    return u.with_changes(value=conv.namer.leftover_name(o.value))
                return u

        new_args = [a.visit(Restore()) for a in args]
        self.state["args_restored"] = True
        if self._frames:
            self._frames[-1][:] = [(i, m) for i, m in self._frames[-1] if i not in gone]
        for i in gone:
            if i in self._sites:
                self._sites[i] = "flagged"
        return new_args

    def keep(self, original: cst.CSTNode) -> None:
        """`original` refers to a torch-ecosystem name that stays (a tokenizer, a config)."""
        root = _chain_root(original.func if isinstance(original, cst.Call) else original)
        if root is not None:
            self._mark_used(root, self.kept_quietly)

    def _mark_used(self, root: cst.Name, into: set) -> None:
        scope = self.names.scope(root)
        if scope is None:
            return
        # the assignments the name resolves to from here (annotations are accessed in an
        # enclosing scope, so the name is looked up rather than the access)
        for referent in scope[root.value]:
            if isinstance(referent, ImportAssignment):
                into.add((id(referent.node), referent.name))

    def _rename_root(self, node, new_name: str):
        if isinstance(node, cst.Call):
            return node.with_changes(func=self._rename_root(node.func, new_name))
        if isinstance(node, cst.Attribute):
            return node.with_changes(value=self._rename_root(node.value, new_name))
        if isinstance(node, cst.Name):
            return node.with_changes(value=new_name)
        return node

    def discard(self, original: cst.CSTNode) -> None:
        """`original` was removed by a rule: forget what was recorded about the code inside it."""
        gone: set[int] = set()

        class Collect(cst.CSTVisitor):
            def on_visit(self, n):
                gone.add(id(n))
                return True

        original.visit(Collect())
        if self._frames:
            self._frames[-1][:] = [(i, m) for i, m in self._frames[-1] if i not in gone]
        for i in gone:
            self._sites.pop(i, None)

    def is_inner(self, original: cst.CSTNode) -> bool:
        """Part of a larger expression the rules see whole: a call's callee, an inner link of an
        attribute chain (`a.b` in `a.b.c`)."""
        return id(original) in self._skip

    def is_tensor(self, original: cst.BaseExpression) -> bool:
        from .rules.tensor_methods import is_tensor
        return is_tensor(self, original)

    # ------------------------------------------------------------ statement frames
    def on_visit(self, node: cst.CSTNode) -> bool:
        t = type(node)
        if t in _STATEMENT_TYPES:
            self._frames.append([])
            self.statements.append(node)
        elif self._prune and t not in _CONTAINERS and id(node) not in self._hot:
            return False  # nothing in it for a rule: it stays the original node
        visit = _visitor_method(type(self), "visit_", t)
        return visit is None or visit(self, node) is not False

    # the pass has no visit_<Node>_<field> methods: skip libcst's lookup of them per field
    def on_visit_attribute(self, node, attribute) -> None:
        return None

    def on_leave_attribute(self, original_node, attribute) -> None:
        return None

    @property
    def in_kept(self) -> bool:
        """Inside a class left on a torch library: nothing is converted, only kept=True rules run."""
        return bool(self.kept) and self.kept[-1]

    def on_leave(self, original, updated):
        t = type(original)
        if original is updated and self._prune and t not in _CONTAINERS \
                and id(original) not in self._hot:
            return updated  # not entered (on_visit)
        if updated is not original and _same_children(t, original, updated):
            updated = original  # rebuilt unchanged: keep the original, so unchanged stays `is`
        leave = _visitor_method(type(self), "leave_", t)
        result = updated if leave is None else leave(self, original, updated)
        kept = self.in_kept
        for handler in rules.NODES.get(t, ()):
            if kept and not handler.kept:
                continue
            if type(result) is type(original):
                new = handler(self, original, result)
                if new is not None:
                    result = new
        if type(original) in _STATEMENT_TYPES:
            self.statements.pop()
            frame = self._frames.pop()
            if frame and isinstance(result, cst.FlattenSentinel) and result.nodes \
                    and isinstance(result.nodes[0], _STATEMENTS):
                first = markers.add(self.module, result.nodes[0], [m for _, m in frame])
                result = cst.FlattenSentinel([first, *result.nodes[1:]])
            elif frame and isinstance(result, _STATEMENTS):
                result = markers.add(self.module, result, [m for _, m in frame])
            elif frame and self._frames:
                # the statement was removed or replaced by several: mark the enclosing one
                self._frames[-1].extend(frame)
        return result

    # ------------------------------------------------------------ imports: handled at the end
    def visit_Import(self, node: cst.Import) -> bool:
        if any(is_torch_name(get_full_name_for_node(a.name) or "") for a in node.names):
            self.torch_imports[id(node)] = node
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        if not node.relative and node.module is not None and is_torch_name(
                get_full_name_for_node(node.module) or ""):
            self.torch_imports[id(node)] = node
        return False

    # ------------------------------------------------------------ scopes for tensor inference
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.tensor_names.append(set())
        self.module_names.append(set())
        from .rules.tensor_methods import note_parameters
        note_parameters(self, node)

    def leave_FunctionDef(self, original, updated):
        self.tensor_names.pop()
        self.module_names.pop()
        return updated

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.class_stack.append(node)
        self.kept.append(self.in_kept or bool(rules.kept_reason(self, node)))

    def leave_ClassDef(self, original, updated):
        self.class_stack.pop()
        self.kept.pop()
        return updated

    def visit_Assign(self, node: cst.Assign) -> None:
        from .rules.tensor_methods import note_assignment
        from .rules.training_loop import note_optimizer_binding
        note_assignment(self, node)
        note_optimizer_binding(self, node)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        from .rules.tensor_methods import note_assignment
        note_assignment(self, node)

    # ------------------------------------------------------------ calls and references
    def visit_Call(self, node: cst.Call) -> None:
        self._skip.add(id(node.func))
        qn = self.qualname(node.func)
        if qn:
            self._sites[id(node)] = "found"
            if qn.startswith("torch.optim."):
                from .rules.training_loop import note_optimizer_arguments
                note_optimizer_arguments(self, node, qn)
        elif node.args:
            from .rules.training_loop import note_other_optimizer
            note_other_optimizer(self, node)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self._skip.add(id(node.value))
        self._skip.add(id(node.attr))

    def _leave_kept_call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        """A call inside a class left on a torch library: torch calls stay (flagged by the
        class's marker), method calls get only the kept=True handlers."""
        root = _chain_root(original.func)
        if self.qualname(original.func) is not None or (
                root is not None and root.value in self._torch_roots
                and self._refers_to_torch_import(root)):
            self._sites[id(original)] = "flagged"
            return self.leave_torch(original, updated)
        if isinstance(original.func, cst.Attribute) and not self._is_module_function(original.func):
            for handler in rules.method_handlers(original.func.attr.value):
                if handler.kept:
                    new = handler(self, original, updated)
                    if new is not None:
                        return new
        return updated

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if self.in_kept:
            return self._leave_kept_call(original, updated)
        qn = self.qualname(original.func)
        if qn is not None:
            kept = dataset_numpy_call(self, original, qn)
            if kept is not None:
                return kept
            for handler in rules.call_handlers(qn):
                new = handler(self, original, updated, qn)
                if new is not None:
                    return new
            entry = self.table.get(qn)
            if entry is not None:
                return apply_call_mapping(self, entry, original, updated)
            self.flag(original, "mapping", f"{qn} has no MindSpore mapping yet")
            return self.leave_torch(original, updated)
        root = _chain_root(original.func)
        if root is not None and root.value in self._torch_roots and self._refers_to_torch_import(root):
            self._sites[id(original)] = "found"
            self.flag(original, "mapping", f"{self.code(original.func)} may refer to torch but "
                                           "does not resolve to one name")
            return self.leave_torch(original, updated)
        if isinstance(original.func, cst.Attribute) and not self._is_module_function(original.func):
            name = original.func.attr.value
            for handler in rules.method_handlers(name):
                new = handler(self, original, updated)
                if new is not None:
                    return new
            entry = self.table.get("Tensor." + name)
            if entry is not None:
                return apply_method_mapping(self, entry, original, updated)
        return updated

    def _reference(self, original, updated):
        if id(original) in self._skip:
            return updated
        root = _chain_root(original)
        if root is None or root.value not in self._torch_roots:
            return updated
        if isinstance(original, cst.Name) and not self._is_access(original):
            return updated
        if self.in_kept:
            if self.qualname(original) is None and not self._refers_to_torch_import(root):
                return updated
            return self.leave_torch(original, updated)
        qn = self.qualname(original)
        if qn is None:
            if not self._refers_to_torch_import(root):
                return updated
            self.flag(original, "mapping", f"{self.code(original)} may refer to torch but does not resolve to one name")
            return self.leave_torch(original, updated)
        for handler in rules.reference_handlers(qn):
            new = handler(self, original, updated, qn)
            if new is not None:
                return new
        entry = self.table.get(qn)
        if entry is not None and entry.to is not None:
            return self.edit(original, "mapping", self.render(entry.to))
        note = f": {entry.note}" if entry is not None and entry.note else ""
        self.flag(original, "mapping", f"{qn} has no MindSpore counterpart here{note}")
        return self.leave_torch(original, updated)

    def leave_Attribute(self, original, updated):
        field = original.attr.value
        if field in _NAMED_FIELDS and type(original.value) is cst.Call and type(updated.value) is cst.Call \
                and updated.value is not original.value and _returns_tuple(updated.value.func):
            # torch's topk/sort/max/... return named tuples; MindSpore's plain tuples
            index = cst.Index(cst.Integer(str(_NAMED_FIELDS[field])))
            return self.edit(original, "named-tuple",
                             cst.Subscript(value=updated.value, slice=[cst.SubscriptElement(index)]))
        return self._reference(original, updated)

    def leave_Name(self, original, updated):
        return self._reference(original, updated)

    # ------------------------------------------------------------ counts
    def counts(self) -> tuple[int, int, int]:
        states = list(self._sites.values())
        flagged = states.count("flagged")
        converted = states.count("converted")
        return len(states), converted, flagged


_VISITOR_METHODS: dict[tuple[type, str, type], object] = {}


@functools.lru_cache(maxsize=None)
def _field_names(node_type: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(node_type))


def _same_children(node_type: type, original: cst.CSTNode, updated: cst.CSTNode) -> bool:
    """Whether `updated` holds the very objects `original` holds, field by field (libcst
    rebuilds every node it enters, changed or not)."""
    for name in _field_names(node_type):
        a, b = getattr(original, name), getattr(updated, name)
        if a is b:
            continue
        if type(a) is not tuple and type(a) is not list or type(b) is not tuple \
                and type(b) is not list or len(a) != len(b):
            return False
        for x, y in zip(a, b):
            if x is not y:
                return False
    return True


def _same_args(original: cst.Call, updated: cst.Call) -> bool:
    if original.args is updated.args:
        return True
    return len(original.args) == len(updated.args) and all(
        a is b for a, b in zip(original.args, updated.args))


def _visitor_method(cls: type, kind: str, node_type: type):
    """`visit_<Node>` / `leave_<Node>` of the pass, looked up once per node type (libcst's
    CSTTransformer looks it up by name at every node)."""
    key = (cls, kind, node_type)
    try:
        return _VISITOR_METHODS[key]
    except KeyError:
        method = getattr(cls, kind + node_type.__name__, None)
        if getattr(method, "_is_no_op", False):
            method = None  # libcst's stub (returns None / the updated node)
        _VISITOR_METHODS[key] = method
        return method


def resolve_names(module: cst.Module, table: dict[str, Mapping], star: dict | None = None) -> scopes.Names:
    """Name resolution of `module`, and the nodes the pass must enter for the rules and `table`.

    `star`: the imports each star import stands for (`convert.star.star_imports`)."""
    torch_bound, typing_bound = set(), {"typing"}
    stand_ins = scopes.star_stand_ins(star or {})
    for node in scopes.imports_of(module) + [n for nodes in stand_ins.values() for n in nodes]:
        for bound, target in scopes.import_bindings(node):
            assignment = ImportAssignment(bound, None, node, 0, target)
            qualified = [q.name for q in assignment.get_qualified_names_for(bound)]
            if any(is_torch_name(q) for q in qualified):
                torch_bound.add(bound)
            if any(q.split(".", 1)[0] in ("typing", "typing_extensions") for q in qualified):
                typing_bound.add(bound)
    attrs, keywords = rules.handled_names(table)
    return scopes.resolve(module, frozenset(torch_bound), attrs, keywords, frozenset(typing_bound),
                          star=stand_ins)


def convert_module(module: cst.Module, table: dict[str, Mapping] | None = None,
                   star: dict | None = None, source: str | None = None) -> tuple[cst.Module, Converter]:
    """`source`: the code `module` was parsed from, when the caller has it (the line numbers of
    edits and the output's unchanged statements are then read from it: `lines.LazyLines`)."""
    rules.load_all()
    table = default_table() if table is None else table
    names = resolve_names(module, table, star)
    conv = Converter(module, names, table)
    conv.source = source
    new = module.visit(conv)
    needless = conv.namer.renamed_leftovers - conv.namer.used_short
    if needless:
        # a torch alias was renamed to make room for a MindSpore name that was never used
        conv = Converter(module, names, table, unclaimable=frozenset(needless))
        conv.source = source
        new = module.visit(conv)
    return fix_imports(module, new, conv), conv


def convert_source(code: str, path: str = "<string>", table: dict[str, Mapping] | None = None,
                   star: dict | None = None) -> FileResult:
    """Convert one file's source. A file that does not parse comes back unchanged with `error`.
    `star`: the torch imports its star imports bring (`convert.star.star_imports`).

    Python's cyclic garbage collector is paused meanwhile: the tree is large and holds no
    cycles, and each collection of the oldest generation walked all of it again (a fifth of
    the conversion's time); what the conversion leaves is collected once it is back on."""
    if not gc.isenabled():
        return _convert_source(code, path, table, star)
    gc.disable()
    try:
        return _convert_source(code, path, table, star)
    finally:
        gc.enable()


def _convert_source(code: str, path: str, table: dict[str, Mapping] | None, star: dict | None = None) -> FileResult:
    result = FileResult(path=path, original=code, code=code)
    if not code.strip():
        return result
    try:
        module = cst.parse_module(code)
    except cst.ParserSyntaxError as exc:
        result.error = f"does not parse: {str(exc).splitlines()[0]}"
        return result
    new, conv = convert_module(module, table, star, source=code)
    # nothing changed: the module is the parsed one, whose code is the source (libcst round-trips)
    result.code = code if new is module else lines.code_reusing(new, conv.module_lines)
    result.edits = sorted(conv.edits, key=lambda e: e.line)
    result.flags = conv.flags
    result.found, result.converted, result.flagged = conv.counts()
    return result
