"""Line numbers of selected nodes, from one code generation pass over the module.

libcst's PositionProvider records a position for every node, which costs more than parsing;
edits and flags only need the first line of a few node types, so this records just those.
"""

from __future__ import annotations

import libcst as cst
from libcst._nodes.internal import CodegenState


class _LineRecorder(CodegenState):
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
