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
