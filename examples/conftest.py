import pytest


@pytest.fixture(scope="module", autouse=True)
def cpu_fallback():
    """mint kernels missing on CPU (embedding, arange, topk, cross_entropy, ...) replaced for the
    duration of each example's test module: the examples target mint, as converted code does."""
    from torch2ms import cpu_fallback

    with cpu_fallback.enabled():
        yield
