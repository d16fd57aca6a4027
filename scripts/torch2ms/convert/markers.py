"""`# TODO(torch2ms): ...` markers: read the ones a statement carries, add the missing ones.

A marker goes at the end of the statement's line when that is free and the statement fits on
one line; otherwise it becomes a comment line above the statement. Markers already present
(from an earlier run) are never added twice, which keeps conversion idempotent.
"""

from __future__ import annotations

import libcst as cst

PREFIX = "# TODO(torch2ms): "


def _text(comment: cst.Comment | None) -> str | None:
    if comment is not None and comment.value.startswith(PREFIX):
        return comment.value[len(PREFIX):].strip()
    return None


def _header(node: cst.CSTNode) -> cst.TrailingWhitespace | None:
    """The trailing whitespace of a statement's (first) line, where a trailing comment can go."""
    if isinstance(node, cst.SimpleStatementLine):
        return node.trailing_whitespace
    body = getattr(node, "body", None)
    if isinstance(body, cst.IndentedBlock):
        return body.header
    return None


def present(node: cst.CSTNode) -> set[str]:
    """The marker texts a statement already carries (comment lines above, or on its line)."""
    found = {t for line in getattr(node, "leading_lines", ()) if (t := _text(line.comment))}
    header = _header(node)
    if header is not None and (t := _text(header.comment)):
        found.add(t)
    return found


def _one_line(module: cst.Module, node: cst.CSTNode) -> bool:
    if isinstance(node, cst.SimpleStatementLine):
        code = module.code_for_node(node.with_changes(leading_lines=()))
        return code.count("\n") <= 1
    # a compound statement: its header must fit on one line (checked on the header's parts)
    head = node.with_changes(body=cst.IndentedBlock(body=[cst.SimpleStatementLine([cst.Pass()])]),
                             leading_lines=())
    if hasattr(head, "decorators") and head.decorators:
        head = head.with_changes(decorators=())
    return module.code_for_node(head).count("\n") <= 2


def add(module: cst.Module, node: cst.CSTNode, messages: list[str]) -> cst.CSTNode:
    """`node` with a marker for each message it does not carry yet."""
    have = present(node)
    new = []
    for msg in messages:
        msg = " ".join(msg.split())
        if msg not in have and msg not in new:
            new.append(msg)
    if not new:
        return node
    header = _header(node)
    if (len(new) == 1 and header is not None and header.comment is None
            and _one_line(module, node)):
        comment = cst.Comment(PREFIX + new[0])
        ws = cst.SimpleWhitespace("  ")
        header = header.with_changes(comment=comment, whitespace=ws)
        if isinstance(node, cst.SimpleStatementLine):
            return node.with_changes(trailing_whitespace=header)
        return node.with_changes(body=node.body.with_changes(header=header))
    lines = [cst.EmptyLine(indent=True, comment=cst.Comment(PREFIX + m)) for m in new]
    return node.with_changes(leading_lines=[*node.leading_lines, *lines])
