"""Imports: torch imports nothing uses any more are removed, the ones still used are kept with
a TODO marker, and the MindSpore imports the converted code needs are written.

The new imports take the place of the first torch import removed at module level (keeping its
blank lines and comments); when there is none, libcst's AddImportsVisitor adds them after the
module's leading imports. Comments of removed import lines move to the next statement.
"""

from __future__ import annotations

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor
from libcst.helpers import get_full_name_for_node

from .. import markers


class _ImportFixer(cst.CSTTransformer):
    """Remove torch import names nothing uses any more; keep (and mark) the ones still used.

    Only statements are walked, never expressions, so this costs little next to the main pass.
    """

    def __init__(self, conv):
        super().__init__()
        self.conv = conv
        # removed statements by id; holding them keeps their ids from being reused
        self.removed: dict[int, cst.CSTNode] = {}
        self.placed = False
        # the names a removed import inside a function bound, by statement id
        self.local_names: dict[int, set[str]] = {}
        self.top_level = {_bound(i[0], i[1], i[2]) for i in _top_level_imports(conv.module)}

    def on_visit(self, node):
        return isinstance(node, (cst.Module, cst.BaseCompoundStatement, cst.BaseSuite,
                                 cst.SimpleStatementLine, cst.Else, cst.ExceptHandler,
                                 cst.ExceptStarHandler, cst.Finally, cst.If))

    def _fix(self, original, updated):
        conv = self.conv
        keep, flagged_names = [], []
        for alias in updated.names:
            bound = alias.evaluated_alias or (get_full_name_for_node(alias.name) or "").split(".")[0]
            used = (id(original), bound) in conv.still_used
            quiet = (id(original), bound) in conv.kept_quietly
            if used:
                new_name = conv.namer.leftover_name(bound)
                if new_name != bound:
                    alias = alias.with_changes(asname=cst.AsName(name=cst.Name(new_name)))
                flagged_names.append(new_name)
                keep.append(alias)
            elif quiet:
                keep.append(alias)
        return keep, flagged_names

    def leave_SimpleStatementLine(self, original, updated):
        conv = self.conv
        body, messages = [], []
        for small in updated.body:
            if isinstance(small, (cst.Import, cst.ImportFrom)) and id(small) in conv.torch_imports \
                    and not isinstance(small.names, cst.ImportStar):
                keep, flagged = self._fix(small, small)
                if keep:
                    keep[-1] = keep[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
                    body.append(small.with_changes(names=keep))
                if flagged:
                    messages.append(f"{_library(small)} import kept for the flagged code that still uses "
                                    f"{', '.join(flagged)}")
            else:
                body.append(small)
        if not body:
            # removed by the enclosing block, which moves its comments to the next statement
            self.removed[id(updated)] = updated
            self.local_names[id(updated)] = {
                alias.evaluated_alias or (get_full_name_for_node(alias.name) or "").split(".")[0]
                for small in updated.body if isinstance(small, (cst.Import, cst.ImportFrom))
                and not isinstance(small.names, cst.ImportStar) for alias in small.names}
            return updated
        new = updated.with_changes(body=body) if body != list(updated.body) else updated
        if messages:
            new = markers.add(conv.module, new, messages)
        return new

    def _rebuild(self, body, top_level: bool):
        """The block's statements without the removed ones; their comments move down."""
        out, pending = [], []
        for stmt in body:
            if id(stmt) not in self.removed:
                if pending:
                    stmt = stmt.with_changes(leading_lines=[*pending, *stmt.leading_lines])
                    pending = []
                out.append(stmt)
                continue
            lines = list(stmt.leading_lines)
            if stmt.trailing_whitespace.comment is not None:
                lines.append(cst.EmptyLine(indent=True, comment=stmt.trailing_whitespace.comment))
            if top_level and not self.placed and self.conv.namer.needed:
                # the MindSpore imports take the place of the first torch import
                self.placed = True
                new = _import_statements(self.conv.namer.needed)
                new[0] = new[0].with_changes(leading_lines=[*pending, *lines])
                pending = []
                out += new
            elif not top_level and self._local(stmt):
                # an import inside a function stays there (a lazy or optional import: at module
                # level it would run, or fail, when the module is imported)
                new = _import_statements(self._local(stmt))
                needed = self.conv.namer.needed
                needed[:] = [i for i in needed if i not in self._local(stmt)]
                new[0] = new[0].with_changes(leading_lines=[*pending, *lines])
                pending = []
                out += new
            else:
                pending += [line for line in lines if line.comment is not None]
        return out, pending

    def _local(self, stmt) -> list:
        """The new imports that bind the names a removed import inside a function bound (and
        that no import at module level binds)."""
        names = self.local_names.get(id(stmt), set()) - self.top_level
        return [i for i in self.conv.namer.needed if _bound(i.module, i.obj_name, i.alias) in names]

    def leave_IndentedBlock(self, original, updated):
        body, pending = self._rebuild(updated.body, top_level=False)
        if not body:
            body = [cst.SimpleStatementLine([cst.Pass()])]
        return updated.with_changes(body=body, footer=[*pending, *updated.footer])

    def leave_Module(self, original, updated):
        body, pending = self._rebuild(updated.body, top_level=True)
        return updated.with_changes(body=body, footer=[*pending, *updated.footer])


def _bound(module: str, obj: str | None, alias: str | None) -> str:
    """The name an import binds."""
    return alias or obj or module.split(".")[0]


def _import_statements(items) -> list[cst.SimpleStatementLine]:
    """`import a as b` lines, then one `from m import x, y` line per module."""
    plain = [i for i in items if i.obj_name is None]
    froms: dict[str, list[str]] = {}
    for i in items:
        if i.obj_name is not None:
            froms.setdefault(i.module, []).append(i.obj_name)
    code = [f"import {i.module}" + (f" as {i.alias}" if i.alias else "") for i in plain]
    code += [f"from {m} import {', '.join(sorted(set(names)))}" for m, names in froms.items()]
    return [cst.parse_statement(c + "\n") for c in code]


def import_block_end(body) -> int:
    """How many statements at the top of a module body are its docstring and import lines."""
    k = 0
    while k < len(body) and isinstance(body[k], cst.SimpleStatementLine) and all(
            isinstance(s, (cst.Import, cst.ImportFrom)) or
            (k == 0 and isinstance(s, cst.Expr) and isinstance(s.value, cst.SimpleString))
            for s in body[k].body):
        k += 1
    return k


def _add_imports(module: cst.Module, items) -> cst.Module:
    """AddImportsVisitor applied to the module's leading import block only.

    AddImportsVisitor reads and edits just the imports at the top of a module, but walks the
    whole tree to find them; giving it the top block alone does the same work for a fraction
    of the cost, and the rest of the module is put back after it unchanged.
    """
    body = list(module.body)
    k = import_block_end(body)
    context = CodemodContext()
    for item in items:
        AddImportsVisitor.add_needed_import(context, item.module, item.obj_name, item.alias)
    head = module.with_changes(body=body[:k]).visit(AddImportsVisitor(context))
    return module.with_changes(body=[*head.body, *body[k:]], header=head.header)


def _starts_blank(module: cst.Module) -> bool:
    return (not module.header and bool(module.body) and bool(module.body[0].leading_lines)
            and module.body[0].leading_lines[0].comment is None)


def _top_level_imports(module: cst.Module) -> set[tuple[str, str | None, str | None]]:
    """(module, name, alias) of each import at the module's top level, in ImportItem's terms."""
    found = set()
    for stmt in module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, cst.Import):
                for alias in small.names:
                    name = get_full_name_for_node(alias.name)
                    found.add((name, None, alias.evaluated_alias))
                    if alias.asname is None:  # `import os.path` binds os too
                        found.add((name.split(".")[0], None, None))
            elif isinstance(small, cst.ImportFrom) and not small.relative and small.module is not None \
                    and not isinstance(small.names, cst.ImportStar):
                source = get_full_name_for_node(small.module)
                for alias in small.names:
                    found.add((source, get_full_name_for_node(alias.name), alias.evaluated_alias))
    return found


def _names_in(module: cst.Module) -> set[str]:
    found: set[str] = set()

    class Names(cst.CSTVisitor):
        def visit_Name(self, node):
            found.add(node.value)

    module.visit(Names())
    return found


def fix_imports(original: cst.Module, new: cst.Module, conv) -> cst.Module:
    """Apply the import edits the main pass (`conv`) calls for to its output `new`."""
    if conv.namer.needed:
        # never a second copy of an import the module has at top level (`import os` for a rule's
        # os.path.join); torch imports do not count: they are removed or rewritten
        have = {i for i in _top_level_imports(original) if not (i[0] or "").split(".")[0] == "torch"}
        conv.namer.needed[:] = [i for i in conv.namer.needed
                                if (i.module, i.obj_name, i.alias) not in have]
    if conv.state.get("args_restored") and conv.namer.needed:
        # a call left on torch got its original arguments back: an import only the rewritten
        # arguments needed (`ms` of `ms.Generator()`) is not added
        used = _names_in(new)
        conv.namer.needed[:] = [i for i in conv.namer.needed
                                if (i.alias or i.obj_name or i.module.split(".")[0]) in used]
    placed = False
    if conv.torch_imports:
        # the import nodes were not visited by the main pass, so they are the original objects
        fixer = _ImportFixer(conv)
        new = new.visit(fixer)
        placed = fixer.placed
    if conv.namer.needed and not placed:
        new = _add_imports(new, conv.namer.needed)
    if _starts_blank(new) and not _starts_blank(original):
        # the removed imports at the top must not leave the file starting with blank lines
        first = new.body[0]
        lines = list(first.leading_lines)
        while lines and lines[0].comment is None:
            lines.pop(0)
        new = new.with_changes(body=[first.with_changes(leading_lines=lines), *new.body[1:]])
    return new


def _library(node) -> str:
    """The top-level package an import statement imports from (`torch`, `transformers`, ...)."""
    if isinstance(node, cst.ImportFrom) and node.module is not None and not node.relative:
        return (get_full_name_for_node(node.module) or "torch").split(".")[0]
    if isinstance(node, cst.Import) and node.names:
        return (get_full_name_for_node(node.names[0].name) or "torch").split(".")[0]
    return "torch"
