"""Random ops: shape, dtype, range and moments (streams differ from torch's and mint's), and
reproducibility under mindspore.manual_seed."""

from __future__ import annotations

import numpy as np
import pytest

N = 20000


@pytest.mark.parametrize("api,args,kwargs,mean,std,bounds", [
    ("rand", (N,), {}, 0.5, (1 / 12) ** 0.5, (0.0, 1.0)),
    ("randn", (N,), {}, 0.0, 1.0, None),
    ("randint", (3, 9, (N,)), {}, 5.5, ((6 ** 2 - 1) / 12) ** 0.5, (3, 8)),
    ("randint", (4, (N,)), {}, 1.5, ((4 ** 2 - 1) / 12) ** 0.5, (0, 3)),
])
def test_distribution(api, args, kwargs, mean, std, bounds, fallback):
    from mindspore import mint

    out = getattr(mint, api)(*args, **kwargs)
    values = out.asnumpy().astype(np.float64)
    assert values.shape == (N,)
    assert abs(values.mean() - mean) < 0.03 * max(std, 1), values.mean()
    assert abs(values.std() - std) < 0.03 * std, values.std()
    if bounds:
        assert values.min() >= bounds[0] and values.max() <= bounds[1]


def test_dtypes_and_shapes(fallback, helpers):
    import mindspore as ms
    from mindspore import mint

    assert mint.rand(2, 3).dtype == ms.float32 and mint.rand(2, 3).shape == (2, 3)
    assert mint.randn((4, 1)).shape == (4, 1)
    assert mint.rand(5, dtype=ms.float16).dtype == ms.float16
    assert mint.randn(5, dtype=ms.bfloat16).dtype == ms.bfloat16
    assert mint.randint(0, 4, (2, 2)).dtype == ms.int64
    like = ms.Tensor(np.zeros((3, 2), np.float16))
    assert mint.rand_like(like).dtype == ms.float16 and mint.rand_like(like).shape == (3, 2)
    assert mint.randn_like(like, dtype=ms.float32).dtype == ms.float32


def test_manual_seed_reproduces_and_calls_differ(fallback):
    import mindspore as ms
    from mindspore import mint

    ms.manual_seed(123)
    a, b = mint.randn(8).asnumpy(), mint.randn(8).asnumpy()
    ms.manual_seed(123)
    c = mint.randn(8).asnumpy()
    np.testing.assert_array_equal(a, c)
    assert not np.array_equal(a, b)


def test_other_random_creators(fallback):
    import mindspore as ms
    from mindspore import mint

    like = ms.Tensor(np.zeros((N,), np.float32))
    r = mint.randint_like(like, 2, 5).asnumpy()
    assert r.min() >= 2 and r.max() <= 4 and mint.randint_like(like, 3).dtype == ms.float32
    n = mint.normal(2.0, 3.0, size=(N,)).asnumpy()
    assert abs(n.mean() - 2.0) < 0.1 and abs(n.std() - 3.0) < 0.1
    mean = ms.Tensor(np.full((N,), -1.0, np.float32))
    assert abs(mint.normal(mean, 0.5).asnumpy().mean() + 1.0) < 0.02
    b = mint.bernoulli(ms.Tensor(np.full((N,), 0.25, np.float32))).asnumpy()
    assert set(np.unique(b)) <= {0.0, 1.0} and abs(b.mean() - 0.25) < 0.02
    p = mint.randperm(50).asnumpy()
    assert sorted(p.tolist()) == list(range(50)) and mint.randperm(5).dtype == ms.int64


def test_multinomial(fallback):
    import mindspore as ms
    from mindspore import mint

    weights = ms.Tensor(np.array([[0.0, 1.0, 3.0], [5.0, 0.0, 0.0]], np.float32))
    draws = mint.multinomial(weights, 2000, replacement=True).asnumpy()
    assert draws.shape == (2, 2000) and draws.dtype == np.int64
    assert abs((draws[0] == 2).mean() - 0.75) < 0.04 and (draws[0] != 0).all() and (draws[1] == 0).all()
    no_repeat = mint.multinomial(ms.Tensor(np.ones(6, np.float32)), 6).asnumpy()
    assert sorted(no_repeat.tolist()) == list(range(6))

