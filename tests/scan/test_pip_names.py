"""Install hints name the distribution to install, not the import name."""

import pytest

from torch2ms.scan.detect import pip_name

CASES = [
    ("hydra", "hydra-core"),           # the `hydra` distribution is another project
    ("pkg_resources", "setuptools"),
]


@pytest.mark.parametrize("module,distribution", CASES)
def test_known_import_names(module, distribution):
    assert pip_name(module) == distribution


def test_an_installed_module_is_named_by_its_distribution():
    from importlib.metadata import packages_distributions

    # absl is installed here by absl-py (a dependency of the environment's libraries)
    assert packages_distributions().get("absl") == ["absl-py"]
    assert pip_name("absl") == "absl-py"


def test_the_installed_distributions_are_read_once(monkeypatch):
    """Reading every installed package's metadata takes a fifth of a second: a scan naming fifty
    missing libraries read it fifty times."""
    import importlib.metadata

    from torch2ms.scan import detect

    reads = []
    monkeypatch.setattr(importlib.metadata, "packages_distributions", lambda: reads.append(1) or {"absl": ["absl-py"]})
    detect._distributions.cache_clear()
    try:
        assert [pip_name(m) for m in ("absl", "not_here_a", "not_here_b", "absl")] == \
            ["absl-py", "not-here-a", "not-here-b", "absl-py"]
        assert len(reads) == 1
    finally:
        detect._distributions.cache_clear()
