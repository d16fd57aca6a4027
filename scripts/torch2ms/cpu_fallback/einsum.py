"""einsum (Ascend-only in mint) as broadcast-multiply-and-sum over one axis per letter.

Plain ops, so gradients flow; memory grows with the product of all index sizes, fine for the
small shapes of a verification run. Supports '...', implicit output, repeated letters within
an operand (diagonals) and the sublist form."""

from __future__ import annotations

import string

from mindspore import Tensor, ops

from torch2ms.cpu_fallback._common import bf16_via_fp32

_LETTERS = string.ascii_letters


def _from_sublists(args):
    # einsum(op1, [0, 1], op2, [1, 2], [0, 2]) -> "ab,bc->ac"
    def letters(sub):
        return "".join("..." if s is Ellipsis else _LETTERS[s] for s in sub)

    pairs = len(args) // 2
    operands = [args[2 * i] for i in range(pairs)]
    inputs = ",".join(letters(args[2 * i + 1]) for i in range(pairs))
    out = letters(args[-1]) if len(args) % 2 == 1 else None
    return (inputs + ("->" + out if out is not None else "")), operands


def _diagonal(x, labels):
    # a letter repeated within one operand selects the diagonal over those axes
    while len(set(labels)) < len(labels):
        for i, ch in enumerate(labels):
            j = labels.find(ch, i + 1)
            if j >= 0:
                x = ops.diagonal(x, 0, i, j)  # the diagonal axis goes last
                labels = labels[:i] + labels[i + 1:j] + labels[j + 1:] + ch
                break
    return x, labels


@bf16_via_fp32
def einsum(equation, *operands):
    if not isinstance(equation, str):
        equation, operands = _from_sublists((equation, *operands))
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    equation = equation.replace(" ", "")
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(operands):
        raise ValueError(f"einsum: {len(terms)} operand terms for {len(operands)} operands")
    used = set(equation) & set(_LETTERS)
    spare = [c for c in _LETTERS if c not in used]
    ell_rank = max((op.ndim - len(t.replace("...", "")) for t, op in zip(terms, operands) if "..." in t),
                   default=0)
    ell = "".join(spare[:ell_rank])
    expanded, counts = [], {}
    for term, op in zip(terms, operands):
        if "..." in term:
            here = op.ndim - len(term.replace("...", ""))
            term = term.replace("...", ell[ell_rank - here:])
        if len(term) != op.ndim:
            raise ValueError(f"einsum: term {term!r} does not match an operand of rank {op.ndim}")
        for ch in term:
            counts[ch] = counts.get(ch, 0) + 1
        expanded.append(_diagonal(op, term))
    if arrow:
        out = rhs.replace("...", ell)
    else:  # implicit output: the ellipsis, then letters seen once, in alphabetical order
        out = ell + "".join(sorted(ch for ch, n in counts.items() if n == 1 and ch not in ell))
    # one axis per letter: output letters first, then the summed ones
    order = list(out) + sorted({ch for _, labels in expanded for ch in labels} - set(out))
    product = None
    for x, labels in expanded:
        perm = [labels.index(ch) for ch in order if ch in labels]
        x = ops.transpose(x, tuple(perm)) if perm != list(range(len(perm))) else x
        shape = []
        it = iter(x.shape)
        for ch in order:
            shape.append(next(it) if ch in labels else 1)
        x = x.reshape(tuple(shape))
        product = x if product is None else product * x
    summed = tuple(range(len(out), len(order)))
    return product.sum(summed) if summed else product
