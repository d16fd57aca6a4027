"""Name resolution for the engine: libcst's ScopeProvider answers, from one cheap walk.

    names = resolve(module, hot_names, hot_attrs, hot_keywords)
    names.qualified_names(node)   # {"torch.nn.functional.relu"}; None when the node has no scope
    names.is_access(name_node)    # read (or deleted), not assigned
    names.referents(name_node)    # the assignments a read of that name can see
    names.scope(node), names.scopes, names.module_scope   # libcst Scope objects
    names.hot                     # ids of the nodes holding something the rules react to

libcst's ScopeProvider, with the ExpressionContextProvider it depends on, costs several times
the parse of a module: two passes of libcst's visitor machinery (which rebuilds every node)
and an access record resolved for every name. The converter asks about few names. This module
walks the tree once, reading only the fields that can hold a name, and builds libcst's own scope
objects (`GlobalScope`, `FunctionScope`, `ClassScope`, `ComprehensionScope`) with the same
assignments, `global`/`nonlocal` overrides and assignment order as libcst's ScopeVisitor: the
same nodes in the same order, each expression context as the ExpressionContextProvider gives it.
Each read of a name is noted with its scope, position and enclosing attribute chain, and
resolved only when asked, by the rules of libcst's `infer_accesses` / `Access.record_assignments`;
qualified names of other nodes come from libcst's `Scope.get_qualified_names_for` itself.

What the walk does not model makes `resolve` fall back to the ScopeProvider (`LibcstNames`):
PEP 695 type parameters and `type` aliases, and string annotations that could define names or
scopes when libcst parses them (`"lambda: x"`; plain ones such as `"torch.Tensor"` only add reads
whose node is the string, which no question about a Name or an Attribute can see).
tests/convert/test_scopes.py compares both on every Name and Attribute of real files.

The same walk marks the nodes the converter must visit (`hot`): those whose subtree holds a
name in `hot_names` (bound to a torch-ecosystem import), an attribute in `hot_attrs` (a method
or attribute some rule handles) or a call keyword in `hot_keywords`.
"""

from __future__ import annotations

import functools
import inspect
import re

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import MetadataWrapper, ScopeProvider
from libcst.metadata.scope_provider import (
    ClassScope,
    ComprehensionScope,
    FunctionScope,
    GlobalScope,
    ImportAssignment,
    _gen_dotted_names,
)

LOAD, STORE, DEL = 0, 1, 2


class Unsupported(Exception):
    """A construct the walk does not model: the ScopeProvider answers for this module."""


# fields that hold only formatting (whitespace, parentheses, commas, operators)
_FORMATTING = frozenset({
    "lpar", "rpar", "comma", "semicolon", "leading_lines", "lines_after_decorators", "header",
    "footer", "trailing_whitespace", "first_line", "empty_lines", "last_line", "equal", "dot",
    "colon", "operator", "lbracket", "rbracket", "lbrace", "rbrace", "first_colon", "second_colon",
    "asynchronous", "separator", "newline", "comment", "trailing_comma", "leading_whitespace",
    "relative", "posonly_ind", "whitespace"})
_VISIT_FIELD = re.compile(r'visit_\w+\(\s*self,\s*"(\w+)"')
# nodes whose leave counts as an assignment in libcst's ScopeVisitor (_ASSIGNMENT_LIKE_NODES;
# the PEP 695 ones are Unsupported here)
_COUNTED = frozenset({cst.AnnAssign, cst.AsName, cst.Assign, cst.AugAssign, cst.ClassDef,
                      cst.CompFor, cst.FunctionDef, cst.Global, cst.Import, cst.ImportFrom,
                      cst.NamedExpr, cst.Nonlocal, cst.Parameters, cst.WithItem})
_UNSUPPORTED = tuple(t for t in (getattr(cst, n, None) for n in (
    "TypeAlias", "TypeVar", "TypeVarTuple", "ParamSpec", "TypeParameters", "TypeParam"))
    if t is not None)
# a string annotation libcst would parse into something that assigns or opens a scope
_DEFINES = re.compile(r"[=:]|\b(?:lambda|for|import|def|class|with|as|global|nonlocal|type)\b")
_TYPING_CHECKED = ("typing.NewType", "typing.TypeVar", "typing.cast")


@functools.lru_cache(maxsize=None)
def _fields(node_type: type) -> tuple[str, ...]:
    """The fields libcst visits, in its order (`_visit_and_replace_children`), formatting left out."""
    try:
        source = inspect.getsource(node_type._visit_and_replace_children)
    except (OSError, TypeError):
        raise Unsupported(f"no source for {node_type.__name__}") from None
    return tuple(f for f in _VISIT_FIELD.findall(source)
                 if f not in _FORMATTING and not f.startswith("whitespace"))


def import_bindings(node: cst.Import | cst.ImportFrom) -> list[tuple[str, cst.CSTNode]]:
    """(bound name, as-name node) of each name an import statement assigns, as libcst's
    ScopeVisitor records them (`import a.b` binds `a.b` and `a`)."""
    if isinstance(node.names, cst.ImportStar):
        return []
    out = []
    for alias in node.names:
        target = alias.asname.name if alias.asname is not None else alias.name
        out += [(value, target) for value, _ in _gen_dotted_names(target)]
    return out


def star_key(node: cst.ImportFrom) -> tuple:
    """(level, module) of an ImportFrom, as `convert.star.star_imports` keys star imports."""
    module = get_full_name_for_node(node.module) if node.module is not None else ""
    return len(node.relative), module or ""


def star_stand_ins(star: dict) -> dict:
    """`star_imports`' lines as parsed import nodes, by the same keys."""
    return {key: [cst.parse_statement(line).body[0] for line in lines] for key, lines in star.items()}


def imports_of(module: cst.Module) -> list[cst.Import | cst.ImportFrom]:
    """Every import statement of the module, at any depth of statements."""
    found = []
    stack = [module]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.SimpleStatementLine) or isinstance(node, cst.SimpleStatementSuite):
            found += [s for s in node.body if isinstance(s, (cst.Import, cst.ImportFrom))]
            continue
        for name in ("body", "orelse", "handlers", "finalbody", "cases"):
            child = getattr(node, name, None)
            if child is None:
                continue
            if isinstance(child, (list, tuple)):
                stack.extend(child)
            elif isinstance(child, cst.CSTNode):
                stack.append(child)
    return found


class Names:
    """Answers about names, from a scope table and the reads noted by the walk."""

    def __init__(self, module_scope, scopes, scope_of: dict, accesses: dict, hot: set):
        self.module_scope = module_scope
        self.scopes = scopes
        self._scope_of = scope_of    # id(Name / Attribute node) -> scope
        self._accesses = accesses    # id(Name) -> (name, scope, index, enclosing attribute)
        self._resolved: dict[int, tuple] = {}
        self._qualified: dict[int, frozenset] = {}
        self.hot = hot

    def scope(self, node):
        return self._scope_of.get(id(node))

    def _access(self, name: cst.Name):
        """(node the read is recorded on, the name it is recorded under, its referents)."""
        key = id(name)
        done = self._resolved.get(key)
        if done is not None:
            return done
        record = self._accesses.get(key)
        if record is None:
            return None
        node, scope, index, enclosing = record
        label = node.value
        if enclosing is not None:
            # `import a.b` then `a.b.c`: the read is of `a.b` (ScopeVisitor.infer_accesses)
            for dotted, part in _gen_dotted_names(enclosing):
                if dotted in scope:
                    node, label = part, dotted
                    break
        # Access.record_assignments
        assignments = scope._resolve_scope_for_access(label, scope)
        previous = {a for a in assignments if a.scope != scope or a._index < index}
        if not previous and assignments and scope.parent != scope:
            previous = set(scope.parent._resolve_scope_for_access(label, scope))
        done = (node, label, previous)
        self._resolved[key] = done
        return done

    def _reads_of(self, node):
        """The referents of the read recorded on `node` (a Name, or the Attribute a dotted
        import's read moved to), or None when no read is recorded on it."""
        root = node
        while isinstance(root, cst.Attribute):
            root = root.value
        if not isinstance(root, cst.Name):
            return None
        found = self._access(root)
        if found is None or found[0] is not node:
            return None
        return found[2]

    def qualified_names(self, node) -> frozenset | None:
        """libcst's `scope.get_qualified_names_for(node)` names; None when the node has no scope."""
        key = id(node)
        done = self._qualified.get(key)
        if done is not None:
            return done
        scope = self._scope_of.get(key)
        if scope is None:
            return None
        referents = self._reads_of(node)
        if referents is not None:
            done = frozenset(q.name for r in referents for q in r.get_qualified_names_for(r.name))
        else:
            done = frozenset(q.name for q in scope.get_qualified_names_for(node))
        self._qualified[key] = done
        return done

    def is_access(self, name: cst.Name) -> bool:
        return self._reads_of(name) is not None

    def referents(self, name: cst.Name) -> set:
        found = self._reads_of(name)
        return found if found is not None else set()


class LibcstNames(Names):
    """The same answers from libcst's ScopeProvider (the reference, and the fallback)."""

    def __init__(self, module: cst.Module, hot: set):
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        self._metadata = wrapper.resolve(ScopeProvider)
        scopes = [s for s in dict.fromkeys(self._metadata.values()) if s is not None]
        super().__init__(self._metadata.get(module), scopes, {}, {}, hot)

    def scope(self, node):
        return self._metadata.get(node)

    def qualified_names(self, node):
        scope = self._metadata.get(node)
        if scope is None:
            return None
        return frozenset(q.name for q in scope.get_qualified_names_for(node))

    def _reads(self, name):
        scope = self._metadata.get(name)
        if scope is None:
            return []
        return [a for a in scope.accesses[name] if a.node is name]

    def is_access(self, name) -> bool:
        return bool(self._reads(name))

    def referents(self, name) -> set:
        return {r for a in self._reads(name) for r in a.referents}


class _Walk:
    """libcst's ScopeVisitor (with the ExpressionContextProvider's contexts), as one recursive
    walk over the fields that can hold names. Each `_<Type>` method mirrors ScopeVisitor's
    `visit_<Type>`; the walk returns whether the subtree is hot."""

    def __init__(self, hot_names, hot_attrs, hot_keywords, typing_names, strict=True, star=None):
        self.strict = strict  # False: only the hot nodes are wanted, nothing is Unsupported
        self.star = star or {}  # (level, module) of a star import -> the import nodes it stands for
        self.scope = GlobalScope()
        self.scopes = [self.scope]
        self.scope_of: dict[int, object] = {}
        self.accesses: dict[int, tuple] = {}
        self.hot: set[int] = set()
        self.attributes: list = [None]   # ScopeVisitor's top-level attribute stack
        self.annotation = 0              # depth of Annotation nodes
        self.type_hint: list[bool] = [False]
        self.hot_names, self.hot_attrs, self.hot_keywords = hot_names, hot_attrs, hot_keywords
        self.typing_names = typing_names
        self.methods = {t: getattr(self, name) for t, name in _METHODS.items()}

    # ------------------------------------------------------------------ the walk
    def walk(self, node, ctx=LOAD) -> bool:
        t = type(node)
        method = self.methods.get(t)
        if method is not None:
            hot = method(node, ctx)
        else:
            if t in _UNSUPPORTED and self.strict:
                raise Unsupported(t.__name__)
            hot = False
            for name in _fields(t):
                value = getattr(node, name)
                if type(value) is tuple or type(value) is list:
                    for child in value:
                        if self.walk(child, ctx):
                            hot = True
                elif isinstance(value, cst.CSTNode) and self.walk(value, ctx):
                    hot = True
        if t in _COUNTED:
            self.scope._assignment_count += 1
        if hot:
            self.hot.add(id(node))
        return hot

    def _walk_all(self, nodes, ctx=LOAD) -> bool:
        hot = False
        for child in nodes:
            if self.walk(child, ctx):
                hot = True
        return hot

    def _opt(self, node, ctx=LOAD) -> bool:
        return node is not None and isinstance(node, cst.CSTNode) and self.walk(node, ctx)

    def _new_scope(self, kind, node, name=None):
        scope = kind(self.scope, node, name)
        self.scopes.append(scope)
        return scope

    def heat_only(self, node) -> bool:
        """Hotness of a subtree the ScopeVisitor does not visit (with no effect on the scopes)."""
        probe = _Walk(self.hot_names, self.hot_attrs, self.hot_keywords, frozenset(), strict=False)
        probe.hot = self.hot
        return probe.walk(node)

    # ------------------------------------------------------------------ names and attributes
    def _Name(self, node: cst.Name, ctx) -> bool:
        scope = self.scope
        self.scope_of[id(node)] = scope
        if ctx == STORE:
            scope.record_assignment(node.value, node)
        else:
            self.accesses[id(node)] = (node, scope, scope._assignment_count, self.attributes[-1])
        return node.value in self.hot_names

    def _Attribute(self, node: cst.Attribute, ctx) -> bool:
        top = self.attributes
        if top[-1] is None:
            top[-1] = node
        hot = self.walk(node.value, LOAD)
        if top[-1] is node:
            top[-1] = None
        self.scope_of[id(node)] = self.scope
        return hot or node.attr.value in self.hot_attrs

    def _Subscript(self, node: cst.Subscript, ctx) -> bool:
        value = node.value
        # a subscript of a typing name makes the strings in it annotations (ScopeVisitor.
        # visit_Subscript); only whether a string may be parsed matters here, so a name
        # imported from typing is enough
        self.type_hint.append(isinstance(value, cst.Name) and value.value in self.typing_names)
        hot = self.walk(value, LOAD)
        if self._walk_all(node.slice, LOAD):
            hot = True
        self.type_hint.pop()
        return hot

    def _Arg(self, node: cst.Arg, ctx) -> bool:
        hot = self.walk(node.value, ctx)  # the keyword is neither an assignment nor a read
        keyword = node.keyword
        return hot or (keyword is not None and keyword.value in self.hot_keywords)

    def _Call(self, node: cst.Call, ctx) -> bool:
        self.attributes.append(None)
        self.type_hint.append(False)
        try:
            checked = self._typing_call(node)
            if checked in ("typing.NewType", "typing.TypeVar"):
                hot = self.walk(node.func)
                self.type_hint[-1] = True
                if node.args and self.heat_only(node.args[0]):
                    self.hot.add(id(node.args[0]))
                    hot = True
                if self._walk_all(node.args[1:]):
                    hot = True
                return hot
            if checked == "typing.cast":
                hot = self.walk(node.func)
                if node.args:
                    self.type_hint.append(True)
                    hot = self.walk(node.args[0]) or hot
                    self.type_hint.pop()
                    hot = self._walk_all(node.args[1:]) or hot
                return hot
            hot = self.walk(node.func)
            return self._walk_all(node.args) or hot
        finally:
            self.attributes.pop()
            self.type_hint.pop()

    def _typing_call(self, node: cst.Call) -> str | None:
        """"typing.NewType" / "typing.TypeVar" / "typing.cast" when the ScopeVisitor takes the
        call for one (its qualified names from the assignments recorded so far), else None."""
        full = get_full_name_for_node(node)
        if full is None or full.split(".", 1)[0] not in self.typing_names:
            return None
        names = {q.name for q in self.scope.get_qualified_names_for(node)}
        return next((n for n in _TYPING_CHECKED if n in names), None)

    # ------------------------------------------------------------------ strings
    def _annotation_context(self) -> bool:
        return bool(self.annotation) or self.type_hint[-1]

    def _string(self, value) -> None:
        if self.strict and value and (not isinstance(value, str) or _DEFINES.search(value)):
            raise Unsupported("a string annotation libcst parses into assignments or scopes")

    def _SimpleString(self, node, ctx) -> bool:
        if self._annotation_context():
            self._string(node.evaluated_value)
        return False

    def _ConcatenatedString(self, node, ctx) -> bool:
        if self._annotation_context():
            value = node.evaluated_value
            if value:
                self._string(value)
                return False
        hot = self.walk(node.left)
        return self.walk(node.right) or hot

    def _Annotation(self, node: cst.Annotation, ctx) -> bool:
        self.annotation += 1
        try:
            return self.walk(node.annotation)
        finally:
            self.annotation -= 1

    # ------------------------------------------------------------------ assignments
    def _Assign(self, node: cst.Assign, ctx) -> bool:
        hot = False
        for target in node.targets:
            if self.walk(target.target, STORE):
                self.hot.add(id(target))
                hot = True
        return self.walk(node.value) or hot

    def _AnnAssign(self, node: cst.AnnAssign, ctx) -> bool:
        hot = self.walk(node.target, STORE)
        hot = self.walk(node.annotation) or hot
        return self._opt(node.value) or hot

    def _AugAssign(self, node: cst.AugAssign, ctx) -> bool:
        hot = self.walk(node.target, STORE)
        return self.walk(node.value) or hot

    def _NamedExpr(self, node: cst.NamedExpr, ctx) -> bool:
        hot = self.walk(node.target, STORE)
        return self.walk(node.value) or hot

    def _AsName(self, node: cst.AsName, ctx) -> bool:
        return self.walk(node.name, STORE)

    def _Del(self, node: cst.Del, ctx) -> bool:
        return self.walk(node.target, DEL)

    def _Import(self, node, ctx) -> bool:
        for name, target in import_bindings(node):
            self.scope.record_import_assignment(name, node, target)
        if self.star and isinstance(node, cst.ImportFrom) and isinstance(node.names, cst.ImportStar):
            # the names the star import binds, as the imports of the module it reaches bind them
            for stand_in in self.star.get(star_key(node), ()):
                for name, target in import_bindings(stand_in):
                    self.scope.record_import_assignment(name, stand_in, target)
        return False

    _ImportFrom = _Import

    def _Global(self, node: cst.Global, ctx) -> bool:
        for item in node.names:
            self.scope.record_global_overwrite(item.name.value)
        return False

    def _Nonlocal(self, node: cst.Nonlocal, ctx) -> bool:
        for item in node.names:
            self.scope.record_nonlocal_overwrite(item.name.value)
        return False

    # ------------------------------------------------------------------ scopes
    def _FunctionDef(self, node: cst.FunctionDef, ctx) -> bool:
        self._check_definition(node)
        outer = self.scope
        outer.record_assignment(node.name.value, node)
        self.scope_of[id(node.name)] = outer
        self.scope = self._new_scope(FunctionScope, node, get_full_name_for_node(node.name))
        try:
            hot = self.walk(node.params)
            hot = self.walk(node.body) or hot
        finally:
            self.scope = outer
        hot = self._walk_all(node.decorators) or hot
        return self._opt(node.returns) or hot

    def _Lambda(self, node: cst.Lambda, ctx) -> bool:
        outer = self.scope
        self.scope = self._new_scope(FunctionScope, node)
        try:
            hot = self.walk(node.params)
            return self.walk(node.body) or hot
        finally:
            self.scope = outer

    def _Param(self, node: cst.Param, ctx) -> bool:
        scope = self.scope
        scope.record_assignment(node.name.value, node)
        self.scope_of[id(node.name)] = scope
        self.scope = scope.parent
        try:
            hot = self._opt(node.default)
            return self._opt(node.annotation) or hot
        finally:
            self.scope = scope

    def _check_definition(self, node) -> None:
        if not self.strict:
            return
        if getattr(node, "type_parameters", None) is not None:
            raise Unsupported("type parameters")
        if node.name.value in ("typing", "typing_extensions"):
            # its names would be `typing.<...>`: subscripts of them hold string annotations
            raise Unsupported("a definition named like the typing module")

    def _ClassDef(self, node: cst.ClassDef, ctx) -> bool:
        self._check_definition(node)
        outer = self.scope
        outer.record_assignment(node.name.value, node)
        self.scope_of[id(node.name)] = outer
        hot = self._walk_all(node.decorators)
        hot = self._walk_all(node.bases) or hot
        hot = self._walk_all(node.keywords) or hot
        self.scope = self._new_scope(ClassScope, node, get_full_name_for_node(node.name))
        try:
            body_hot = self._walk_all(node.body.body)
        finally:
            self.scope = outer
        if body_hot:
            self.hot.add(id(node.body))
        return hot or body_hot

    def _comprehension(self, node, ctx) -> bool:
        for_in = node.for_in
        for_hot = self.walk(for_in.iter)
        hot = False
        outer = self.scope
        self.scope = self._new_scope(ComprehensionScope, node)
        try:
            for_hot = self.walk(for_in.target, STORE) or for_hot
            self.scope._assignment_count += 1
            for_hot = self._walk_all(for_in.ifs) or for_hot
            for_hot = self._opt(for_in.inner_for_in) or for_hot
            if isinstance(node, cst.DictComp):
                hot = self.walk(node.key) or hot
                hot = self.walk(node.value) or hot
            else:
                hot = self.walk(node.elt) or hot
        finally:
            self.scope = outer
        if for_hot:
            self.hot.add(id(for_in))
        return hot or for_hot

    _ListComp = _SetComp = _DictComp = _GeneratorExp = _comprehension

    def _CompFor(self, node: cst.CompFor, ctx) -> bool:
        # an inner `for` of a comprehension: the ScopeVisitor's default visit, in libcst's
        # field order, with the target stored (ExpressionContextVisitor.visit_CompFor)
        hot = self.walk(node.target, STORE)
        hot = self.walk(node.iter) or hot
        hot = self._walk_all(node.ifs) or hot
        return self._opt(node.inner_for_in) or hot

    def _For(self, node: cst.For, ctx) -> bool:
        hot = self.walk(node.target, STORE)
        self.scope._assignment_count += 1
        hot = self.walk(node.iter) or hot
        hot = self.walk(node.body) or hot
        return self._opt(node.orelse) or hot


_METHODS = {getattr(cst, name[1:]): name for name in dir(_Walk)
            if name[:1] == "_" and name[1:2].isupper() and hasattr(cst, name[1:])}


def resolve(module: cst.Module, hot_names=frozenset(), hot_attrs=frozenset(),
            hot_keywords=frozenset(), typing_names=frozenset({"typing"}), star=None) -> Names:
    """Name resolution for `module` (ScopeProvider semantics), and its hot nodes.

    `typing_names`: the names imports bind to typing or typing_extensions names (and "typing"),
    for the ScopeVisitor's handling of `cast`, `NewType`, `TypeVar` and typing subscripts."""
    walk = _Walk(hot_names, hot_attrs, hot_keywords, typing_names, star=star)
    try:
        walk.walk(module)
    except Unsupported:
        probe = _Walk(hot_names, hot_attrs, hot_keywords, frozenset(), strict=False)
        probe.walk(module)
        return LibcstNames(module, probe.hot)
    return Names(walk.scopes[0], walk.scopes, walk.scope_of, walk.accesses, walk.hot)


def differences(module: cst.Module, names: Names | None = None, limit: int = 20) -> list[str]:
    """Where `names` (default: `resolve(module)`) answers otherwise than the ScopeProvider, for
    every Name and Attribute of the module: scope, qualified names, read or not, referents,
    the assignments `scope[name]` sees; and for every scope its assignments, in order. Used by
    the tests and benchmarks/check_scopes.py."""
    names = resolve(module) if names is None else names
    reference = LibcstNames(module, set())
    found: list[str] = []

    def scope_key(scope):
        return None if scope is None else (type(scope).__name__, id(getattr(scope, "node", module)))

    def assignment_key(a):
        return (type(a).__name__, a.name, id(getattr(a, "node", None)), scope_key(a.scope),
                getattr(a, "_index", None))

    def report(node, what, ours, theirs):
        if len(found) < limit:
            shown = module.code_for_node(node)
            found.append(f"{what} of {type(node).__name__} {shown!r}: {ours} != {theirs}")

    class Collect(cst.CSTVisitor):
        def __init__(self):
            super().__init__()
            self.nodes = []

        def visit_Name(self, node):
            self.nodes.append(node)

        def visit_Attribute(self, node):
            self.nodes.append(node)

    collect = Collect()
    module.visit(collect)
    if type(names) is LibcstNames:
        return ["resolve() fell back to the ScopeProvider"]
    for node in collect.nodes:
        ours, theirs = names.scope(node), reference.scope(node)
        if scope_key(ours) != scope_key(theirs):
            report(node, "scope", scope_key(ours), scope_key(theirs))
            continue
        if theirs is None:
            continue
        if names.qualified_names(node) != reference.qualified_names(node):
            report(node, "qualified names", sorted(names.qualified_names(node)),
                   sorted(reference.qualified_names(node)))
        if isinstance(node, cst.Name):
            if names.is_access(node) != reference.is_access(node):
                report(node, "read", names.is_access(node), reference.is_access(node))
            a = sorted(map(assignment_key, names.referents(node)), key=repr)
            b = sorted(map(assignment_key, reference.referents(node)), key=repr)
            if a != b:
                report(node, "referents", a, b)
            a = sorted(map(assignment_key, ours[node.value]), key=repr)
            b = sorted(map(assignment_key, theirs[node.value]), key=repr)
            if a != b:
                report(node, "scope[name]", a, b)
    ours = {scope_key(s): s for s in names.scopes}
    theirs = {scope_key(s): s for s in reference.scopes}
    if set(ours) != set(theirs):
        found.append(f"scopes: {sorted(map(str, set(ours) ^ set(theirs)))[:5]}")
    for key in set(ours) & set(theirs):
        a = sorted(map(assignment_key, ours[key].assignments), key=repr)
        b = sorted(map(assignment_key, theirs[key].assignments), key=repr)
        if a != b:
            found.append(f"assignments of {key[0]}: {sorted(set(a) ^ set(b), key=repr)[:4]}")
        if set(ours[key]._scope_overwrites if hasattr(ours[key], "_scope_overwrites") else ()) != \
                set(theirs[key]._scope_overwrites if hasattr(theirs[key], "_scope_overwrites") else ()):
            found.append(f"global/nonlocal of {key[0]}")
    return found[:limit]
