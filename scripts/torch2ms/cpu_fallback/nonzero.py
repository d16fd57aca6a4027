"""nonzero (NonZeroExt has no CPU kernel) from the older NonZero primitive, which has one.

`mint.nonzero(x)` / `x.nonzero()` give the (N, ndim) int64 indices of the non-zero elements;
`as_tuple=True` gives one 1-D index tensor per dimension (diffusers' schedulers use that form).
"""

from __future__ import annotations

from mindspore import ops


def nonzero(input, *, as_tuple=False):
    indices = ops.NonZero()(input.reshape(1) if input.ndim == 0 else input)
    if not as_tuple:
        return indices
    return tuple(indices[:, d] for d in range(max(input.ndim, 1)))


def tensor_nonzero(self, *, as_tuple=False):
    return nonzero(self, as_tuple=as_tuple)
