"""Line numbers of selected nodes, and the code generation itself without the position
bookkeeping.

libcst's PositionProvider records a position for every node, which costs more than parsing;
edits and flags only need the first line of a few node types. `Lines` records just those, from
one code generation pass over the module. `LazyLines` (the converter's, when it has the source)
does without that pass: `ast` locates every statement of the source, and a node's line comes
from generating the code of the innermost statement holding it (a compound statement by its
header alone); the output reuses the source's text of the statements left unchanged.
libcst's CodegenState enters a generator context manager per statement and per name-like
node (`record_syntactic_position`) that only the PositionProvider uses; `code` skips it.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst
from libcst._nodes.internal import CodegenState


class _NoPosition:
    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc) -> bool:
        return False


_NO_POSITION = _NoPosition()


class _State(CodegenState):
    def record_syntactic_position(self, node, *, start_node=None, end_node=None):
        return _NO_POSITION


def _dotted(node: cst.CSTNode) -> str | None:
    """The code of a bare `a.b.c` (no parentheses, no space around the dots), else None."""
    t = type(node)
    if t is cst.Name:
        return None if node.lpar else node.value
    if t is cst.Attribute and not node.lpar:
        dot = node.dot
        if type(dot) is cst.Dot and _no_space(dot.whitespace_before) and _no_space(dot.whitespace_after):
            head = _dotted(node.value)
            if head is not None and not node.attr.lpar:
                return f"{head}.{node.attr.value}"
    return None


def _no_space(ws) -> bool:
    return type(ws) is cst.SimpleWhitespace and ws.value == ""


def code(module: cst.Module, node: cst.CSTNode) -> str:
    """`module.code_for_node(node)`, the same text."""
    if type(node) is cst.Name or type(node) is cst.Attribute:
        found = _dotted(node)
        if found is not None:
            return found
    state = _State(default_indent=module.default_indent, default_newline=module.default_newline)
    node._codegen(state)
    return "".join(state.tokens)


class _LineRecorder(_State):
    def __init__(self, module: cst.Module, types: tuple[type, ...]):
        super().__init__(default_indent=module.default_indent, default_newline=module.default_newline)
        self.types = frozenset(types)
        self.line = 1
        self.lines: dict[int, int] = {}
        self.top = {id(stmt) for stmt in module.body}
        self.starts: dict[int, int] = {}
        self.spans: dict[int, tuple[int, int]] = {}
        self.popped: list[str] = []

    def add_token(self, value: str) -> None:
        self.tokens.append(value)
        self.line += value.count("\n")

    def add_indent_tokens(self) -> None:
        self.tokens.extend(self.indent_tokens)

    def before_codegen(self, node: cst.CSTNode) -> None:
        if type(node) in self.types:
            # leading blank lines and comments belong to the node but are not its line
            leading = getattr(node, "leading_lines", ())
            self.lines[id(node)] = self.line + len(leading)
        if id(node) in self.top:
            self.starts[id(node)] = len(self.tokens)

    def after_codegen(self, node: cst.CSTNode) -> None:
        start = self.starts.pop(id(node), None)
        if start is not None:
            self.spans[id(node)] = (start, len(self.tokens))

    def pop_trailing_newline(self) -> None:
        if self.tokens and self.tokens[-1] == self.default_newline:
            self.popped.append(self.tokens.pop())
            self.line -= 1


class Lines:
    """The first lines of selected nodes of a module, and the code of its top-level statements
    (for `code_reusing`), from one code generation pass."""

    def __init__(self, module: cst.Module, types: tuple[type, ...]):
        state = _LineRecorder(module, types)
        module._codegen(state)
        self.module = module
        self.first: dict[int, int] = state.lines
        tokens = state.tokens + state.popped  # each statement's tokens as generated
        # id(statement) -> (its code but the last token, its last token): the module's code
        # generation may pop that last token (a trailing newline)
        self.texts = {key: ("".join(tokens[a:b - 1]), tokens[b - 1])
                      for key, (a, b) in state.spans.items() if b > a}
        self.verbatim: dict[int, tuple[str, str]] = {}

    def line_of(self, node: cst.CSTNode, statements=()) -> int:
        return self.first.get(id(node), 0)


def _starts(statements: list) -> list[int]:
    """The first line of each libcst statement, from `ast`'s statements: those that share a
    line are one libcst statement line (`a = 1; b = 2`); a decorated definition starts at its
    first decorator."""
    out: list[int] = []
    for stmt in statements:
        line = stmt.lineno
        for d in getattr(stmt, "decorator_list", ()):
            line = min(line, d.lineno)
        if not out or line != out[-1]:
            out.append(line)
    return out


def _locate(nodes: list, statements: list) -> list[int] | None:
    """The line each of the libcst statements `nodes` starts on (its leading blank and comment
    lines included), or None when `ast`'s `statements` do not match them one to one."""
    found = _starts(statements)
    if len(found) != len(nodes):
        return None
    out: list[int] = []
    for node, first in zip(nodes, found):
        start = first - len(node.leading_lines)
        if start < 1 or out and start <= out[-1]:
            return None
        out.append(start)
    return out


def _groups(statements: list) -> list[list]:
    """`ast`'s statements by libcst statement (those that share a line are one)."""
    out: list[list] = []
    line = None
    for stmt, first in zip(statements, [_starts([s])[0] for s in statements]):
        if out and first == line:
            out[-1].append(stmt)
        else:
            out.append([stmt])
        line = first
    return out


def _layout(nodes: list, statements: list, starts: dict) -> list[int] | None:
    """Record in `starts` (id -> (statement, first line)) the libcst statements `nodes` and the
    statements of their blocks, at any depth, matched with `ast`'s `statements`."""
    import ast
    found = _locate(nodes, statements)
    if found is None:
        return None
    for node, group, start in zip(nodes, _groups(statements), found):
        starts[id(node)] = (node, start)
        if len(group) != 1:
            continue
        a, t = group[0], type(node)

        def block(body, stmts):
            if type(body) is cst.IndentedBlock:
                _layout(list(body.body), stmts, starts)

        if t in (cst.FunctionDef, cst.ClassDef, cst.For, cst.While, cst.With):
            block(node.body, a.body)
            if t in (cst.For, cst.While) and node.orelse is not None:
                block(node.orelse.body, a.orelse)
        elif t is cst.If:
            while True:
                block(node.body, a.body)
                orelse = node.orelse
                if type(orelse) is cst.Else:
                    block(orelse.body, a.orelse)
                elif type(orelse) is cst.If and len(a.orelse) == 1 and isinstance(a.orelse[0], ast.If):
                    # an elif: a statement of its own for the converter
                    node, a = orelse, a.orelse[0]
                    starts[id(node)] = (node, a.lineno - len(node.leading_lines))
                    continue
                break
        elif t in (cst.Try, cst.TryStar):
            block(node.body, a.body)
            for h, ah in zip(node.handlers, a.handlers):
                block(h.body, ah.body)
            if node.orelse is not None:
                block(node.orelse.body, a.orelse)
            if node.finalbody is not None:
                block(node.finalbody.body, a.finalbody)
        elif t is cst.Match:
            for c, ac in zip(node.cases, a.cases):
                block(c.body, ac.body)
    return found


class LazyLines(Lines):
    """What `Lines` gives, without generating the whole module's code. The source's own layout
    (the line on which `ast` finds each statement, at any depth) locates the libcst statements;
    a node's line comes from generating the code of the innermost statement holding it alone,
    from that statement's first line, when it is asked for. The code of each top-level statement
    and each statement of a top-level class body, but the last of its block, is the source's
    text between its first line and the next statement's. A node none of them holds falls back
    to `Lines`.

    `build` returns a plain `Lines` when the source's layout is not read this way (other line
    ends than `\\n`, a source `ast` does not parse, statements that do not match)."""

    def __init__(self, module: cst.Module, types: tuple[type, ...], starts: dict[int, tuple],
                 texts: dict[int, tuple[str, str]], verbatim: dict[int, tuple[str, str]]):
        self.module = module
        self.types = frozenset(types)
        self._types = types
        self.starts = starts      # id(statement) -> (the statement, its first line)
        self.texts = texts        # id(top-level statement) -> (its code, "")
        self.verbatim = verbatim  # id(statement of a class body) -> (its code, the body's indent)
        self._found: dict[int, int] = {}
        self._generated: set[int] = set()  # ids of the statements whose code was generated
        self._whole: Lines | None = None

    @staticmethod
    def build(module: cst.Module, source: str, types: tuple[type, ...]) -> Lines:
        import ast
        import warnings
        if "\r" in source or "\ufeff" in source:
            return Lines(module, types)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # invalid escapes: the converter says nothing of them
                tree = ast.parse(source)
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            return Lines(module, types)
        offsets = [0]  # offsets[n - 1]: where line n starts
        for line in source.split("\n"):
            offsets.append(offsets[-1] + len(line) + 1)
        starts: dict[int, tuple] = {}

        def place(nodes: list, found: list[int]) -> dict[int, str]:
            texts = {}
            for i, node in enumerate(nodes):
                if i + 1 < len(nodes):
                    texts[id(node)] = source[offsets[found[i] - 1]:offsets[found[i + 1] - 1]]
            return texts

        body = list(module.body)
        found = _layout(body, tree.body, starts)
        if found is None:
            return Lines(module, types)
        texts = {key: (text, "") for key, text in place(body, found).items()}
        verbatim: dict[int, tuple[str, str]] = {}
        for node in body:
            if type(node) is not cst.ClassDef or type(node.body) is not cst.IndentedBlock:
                continue
            members = list(node.body.body)
            if not all(id(m) in starts for m in members):
                continue
            inner = [starts[id(m)][1] for m in members]
            if inner[0] <= starts[id(node)][1]:
                continue
            indent = module.default_indent if node.body.indent is None else node.body.indent
            verbatim.update((key, (text, indent)) for key, text in place(members, inner).items())
        return LazyLines(module, types, starts, texts, verbatim)

    @property
    def first(self) -> dict[int, int]:
        return self._all().first

    def _all(self) -> Lines:
        if self._whole is None:
            self._whole = Lines(self.module, self._types)
        return self._whole

    def line_of(self, node: cst.CSTNode, statements=()) -> int:
        """The first line of `node`; `statements`: the statements that hold it, outermost first
        (the converter's stack of the statements it is in)."""
        key = id(node)
        if type(node) not in self.types:
            return 0  # only nodes of these types have a line recorded
        if self._whole is not None:
            return self._whole.first.get(key, 0)
        found = self._found.get(key)
        if found is not None:
            return found
        for stmt in reversed(statements):
            located = self.starts.get(id(stmt))
            if located is None:
                continue
            stmt, start = located
            if type(stmt) in self.types:
                self._found.setdefault(id(stmt), start + len(stmt.leading_lines))
            if id(stmt) in self._generated:
                continue
            self._generated.add(id(stmt))
            part = _header(stmt)
            state = _LineRecorder(self.module, self.types)
            state.line = start
            part._codegen(state)
            if part is not stmt:
                # the header's copy (its body's statements are located apart): gone after this
                state.lines.pop(id(part), None)
            self._found.update(state.lines)
            found = self._found.get(key)
            if found is not None:
                return found
        return self._all().first.get(key, 0)


_HEADED = frozenset({cst.FunctionDef, cst.ClassDef, cst.For, cst.While, cst.With, cst.If})


def _header(stmt: cst.CSTNode) -> cst.CSTNode:
    """A compound statement whose nodes but those of its first line(s) are in the statements of
    its blocks: a copy without them (its lines are the statement's own); else the statement."""
    t = type(stmt)
    if t not in _HEADED or type(stmt.body) is not cst.IndentedBlock or not stmt.body.body:
        return stmt
    changes = {"body": stmt.body.with_changes(body=(), footer=())}
    if t is not cst.FunctionDef and t is not cst.ClassDef and t is not cst.With:
        orelse = stmt.orelse
        if type(orelse) is cst.Else and type(orelse.body) is not cst.IndentedBlock:
            return stmt  # `else: x` holds its nodes (an elif is a statement of its own)
        changes["orelse"] = None
    return stmt.with_changes(**changes)


@dataclass(frozen=True)
class _Verbatim(cst.CSTNode):
    """A statement of the original module, as its source text."""

    text: str

    def _visit_and_replace_children(self, visitor):
        return self

    def _codegen_impl(self, state) -> None:
        state.tokens.append(self.text)


def _with_verbatim(stmt: cst.CSTNode, old: Lines) -> cst.CSTNode:
    """A top-level class whose body still holds statements of the original module at the
    original indentation: those statements as their source text."""
    if type(stmt) is not cst.ClassDef or type(stmt.body) is not cst.IndentedBlock or not old.verbatim:
        return stmt
    block = stmt.body
    indent = old.module.default_indent if block.indent is None else block.indent
    members = []
    for member in block.body:
        # (not the block's last: the module's code may pop its trailing newline)
        text = old.verbatim.get(id(member)) if member is not block.body[-1] else None
        members.append(_Verbatim(text[0]) if text is not None and text[1] == indent else member)
    if all(a is b for a, b in zip(members, block.body)):
        return stmt
    return stmt.with_changes(body=block.with_changes(body=members))


def first_lines(module: cst.Module, types: tuple[type, ...]) -> dict[int, int]:
    """id(node) -> 1-based first line, for every node of one of `types` in `module`."""
    return Lines(module, types).first


def code_reusing(new: cst.Module, old: Lines | None) -> str:
    """`new.code`, with the code of each top-level statement that is still `old`'s own node
    taken from `old` rather than generated again (as `Module._codegen_impl` lays them out)."""
    if old is None or new.default_indent != old.module.default_indent \
            or new.default_newline != old.module.default_newline:
        return code(new, new)
    state = _State(default_indent=new.default_indent, default_newline=new.default_newline)
    texts = old.texts  # keyed by the ids of old's statements, which old.module keeps alive
    tokens = state.tokens
    for h in new.header:
        h._codegen(state)
    for stmt in new.body:
        text = texts.get(id(stmt))
        if text is None or not text[1] and stmt is new.body[-1]:
            # (the last statement's trailing newline is popped when the module has none)
            _with_verbatim(stmt, old)._codegen(state)
        else:
            tokens.append(text[0])
            tokens.append(text[1])
    for f in new.footer:
        f._codegen(state)
    if new.has_trailing_newline:
        if len(tokens) == 0:
            state.add_token(state.default_newline)
    else:
        state.pop_trailing_newline()
    return "".join(tokens)
