"""Random tensors. Values come from numpy, seeded from mint's generator (seed, offset), so
`mindspore.manual_seed` makes them reproducible and each call draws new numbers. The streams
differ from mint's own kernels: compare distributions, never values."""

from __future__ import annotations

import numpy as np
import mindspore as ms
from mindspore import Tensor

from torch2ms.cpu_fallback._common import size_tuple

_FLOAT = ms.float32


def _rng(generator=None) -> np.random.Generator:
    from mindspore.common.generator import default_generator

    seed, offset = (generator or default_generator)._step(Tensor(1, ms.int64))  # pylint: disable=protected-access
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, int(offset)])


def _tensor(array: np.ndarray, dtype) -> Tensor:
    # converted on the host: a Cast kernel costs more than making the tensor
    return Tensor(array, dtype=dtype)


def rand(*size, generator=None, dtype=None, device=None):
    return _tensor(_rng(generator).random(size_tuple(size), dtype=np.float32), dtype or _FLOAT)


def randn(*size, generator=None, dtype=None, device=None):
    return _tensor(_rng(generator).standard_normal(size_tuple(size), dtype=np.float32), dtype or _FLOAT)


def rand_like(input, *, generator=None, dtype=None, device=None):
    return rand(input.shape, generator=generator, dtype=dtype or input.dtype)


def randn_like(input, *, generator=None, dtype=None, device=None):
    return randn(input.shape, generator=generator, dtype=dtype or input.dtype)


def _split_randint_args(args):
    # randint(high, size) or randint(low, high, size)
    if len(args) == 2:
        return 0, args[0], args[1]
    if len(args) == 3:
        return args
    raise TypeError(f"randint() takes (high, size) or (low, high, size), got {len(args)} arguments")


def randint(*args, generator=None, dtype=None, device=None):
    low, high, size = _split_randint_args(args)
    values = _rng(generator).integers(int(low), int(high), size_tuple((size,)), dtype=np.int64)
    return _tensor(values, dtype or ms.int64)


def randint_like(input, *args, dtype=None, device=None):
    low, high = (0, args[0]) if len(args) == 1 else args
    values = _rng().integers(int(low), int(high), input.shape, dtype=np.int64)
    return _tensor(values, dtype or input.dtype)


def normal(mean=0.0, std=1.0, size=None, generator=None):
    rng = _rng(generator)
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        m = mean.asnumpy() if isinstance(mean, Tensor) else mean
        s = std.asnumpy() if isinstance(std, Tensor) else std
        dtype = (mean if isinstance(mean, Tensor) else std).dtype
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
        values = np.asarray(m, np.float32) + np.asarray(s, np.float32) * rng.standard_normal(shape)
        return _tensor(values.astype(np.float32), dtype)
    shape = size_tuple((size,)) if size is not None else ()
    return _tensor((mean + std * rng.standard_normal(shape)).astype(np.float32), _FLOAT)


def bernoulli(input, *, generator=None, p=None):
    probs = input.astype(ms.float32).asnumpy() if p is None else np.full(input.shape, p, np.float32)
    draws = _rng(generator).random(input.shape) < probs
    return _tensor(draws.astype(np.float32), input.dtype)


def keep_mask(shape, keep: float, dtype, *, generator=None):
    """Dropout's mask: 1/keep with probability `keep`, else 0 (the draws of `bernoulli`)."""
    draws = _rng(generator).random(tuple(shape)) < keep
    return _tensor(draws.astype(np.float32) / np.float32(keep), dtype)


def multinomial(input, num_samples, replacement=False, *, generator=None):
    rng = _rng(generator)
    weights = np.atleast_2d(input.astype(ms.float32).asnumpy()).astype(np.float64)
    rows = []
    for w in weights:
        p = w / w.sum()
        if not replacement and num_samples > np.count_nonzero(p):
            raise RuntimeError("multinomial: cannot sample more categories than have non-zero weight without replacement")
        rows.append(rng.choice(len(p), size=num_samples, replace=replacement, p=p))
    out = np.stack(rows).astype(np.int64)
    return Tensor(out if input.ndim == 2 else out[0])


def randperm(n, *, generator=None, dtype=ms.int64):
    return _tensor(_rng(generator).permutation(int(n)).astype(np.int64), dtype)
