import sys
from pathlib import Path

import pytest

here = Path(__file__).parent
sys.path.insert(0, str(here))
sys.path.insert(0, str(here.parent / "modeling"))


@pytest.fixture(scope="module", autouse=True)
def cpu_fallback():
    """mint kernels missing on CPU (embedding, arange, cross_entropy, ...) replaced for the module."""
    from torch2ms import cpu_fallback

    with cpu_fallback.enabled():
        yield
