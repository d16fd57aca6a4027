"""Which optional packages are installed (no torch here)."""
import importlib.util


def _package_available(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


_SH_AVAILABLE = _package_available("sh")
_NUMPY_AVAILABLE = _package_available("numpy")
