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

    def pop_trailing_newline(self) -> None:
        if self.tokens and self.tokens[-1] == self.default_newline:
            self.tokens.pop()
            self.line -= 1


def first_lines(module: cst.Module, types: tuple[type, ...]) -> dict[int, int]:
    """id(node) -> 1-based first line, for every node of one of `types` in `module`."""
    state = _LineRecorder(module, types)
    module._codegen(state)
    return state.lines
