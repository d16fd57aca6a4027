"""nonzero on CPU (NonZeroExt has no CPU kernel): the fallback against torch."""

import numpy as np
import pytest


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 2)])
def test_nonzero_matches_torch(shape):
    import mindspore as ms
    import torch
    from mindspore import mint

    from torch2ms import cpu_fallback

    x = np.random.default_rng(0).integers(0, 2, shape).astype(np.float32)
    want = torch.nonzero(torch.from_numpy(x)).numpy()
    want_tuple = [t.numpy() for t in torch.from_numpy(x).nonzero(as_tuple=True)]
    with cpu_fallback.enabled():
        got = mint.nonzero(ms.Tensor(x)).asnumpy()
        got_tuple = [t.asnumpy() for t in ms.Tensor(x).nonzero(as_tuple=True)]
    np.testing.assert_array_equal(got, want)
    assert got.dtype == want.dtype
    assert len(got_tuple) == len(want_tuple)
    for g, w in zip(got_tuple, want_tuple):
        np.testing.assert_array_equal(g, w)

