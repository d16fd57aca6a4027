import sys
from pathlib import Path

import pytest

# The example files import each other by module name, as they would in a user's project.
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="module", autouse=True)
def cpu_fallback():
    """mint kernels missing on CPU (embedding, arange, stack, ...) replaced for the duration of the module."""
    from torch2ms import cpu_fallback

    with cpu_fallback.enabled():
        yield
