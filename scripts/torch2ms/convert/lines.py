"""Line numbers of selected nodes, from one code generation pass over the module; and the
code generation itself, without the position bookkeeping.

libcst's PositionProvider records a position for every node, which costs more than parsing;
edits and flags only need the first line of a few node types, so this records just those.
libcst's CodegenState enters a generator context manager per statement and per name-like
node (`record_syntactic_position`) that only the PositionProvider uses; `code` skips it.
"""

from __future__ import annotations

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
        if text is None:
            stmt._codegen(state)
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
