"""Projects laid out as packages, scanned from their root (`/torch2ms:scan .`): outputs/ sits inside
the scanned tree, the check's children run from the project root, and every port still imports
from outputs/ only, as `python -c "import pkg.mod"` would there.

data/seg: a segmentation repository (a `unet` package whose `__init__.py` re-exports the model, a
`utils/` folder holding `utils.py` beside `data_loading.py`); data/tmpl: a Lightning-template-like
`src/` package (a constant computed by a call, a helper module setting `_SH_AVAILABLE =
_package_available("sh")`, a wrapper module around a net of another module). `<name>_port` holds
the finished ports the user's outputs/ would hold."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from torch2ms.cli import main

DATA = Path(__file__).parent / "data"


def project(tmp_path: Path, monkeypatch, name: str, port: str | None = None) -> Path:
    """The project copied to tmp_path, scanned from its root, with the ports in outputs/."""
    root = tmp_path / name
    shutil.copytree(DATA / name, root)
    monkeypatch.chdir(root)
    monkeypatch.delenv("TORCH2MS_WORKSPACE", raising=False)
    assert main(["scan", "."]) == 0
    if port is not None:
        shutil.copytree(DATA / port, root / "outputs", dirs_exist_ok=True)
    return root


def checked(*files: str, parity: bool = False) -> dict:
    main(["check", "--import", *(["--parity"] if parity else []), *files])
    return json.loads(Path(".torch2ms/check.json").read_text())["files"]


def test_a_module_named_like_its_package_does_not_shadow_it(tmp_path, monkeypatch):
    """`utils/utils.py` importing `utils.data_loading`: with the file's own folder first on
    sys.path, `utils` was the module itself ("'utils' is not a package"), on the port's side and on
    the torch original's, and the hint said the copied data_loading.py was not in outputs/."""
    root = project(tmp_path, monkeypatch, "seg", "seg_port")
    assert main(["scan", "."]) == 0  # again, with outputs/ now full: it is not part of the scanned tree
    scanned = json.loads((root / ".torch2ms" / "scan.json").read_text())
    paths = [f["path"] for f in scanned["files"]] + scanned["other_files"]
    assert "utils/utils.py" in paths and not [p for p in paths if p.startswith(("outputs/", ".torch2ms/"))], paths
    # its model too: the torch original is `utils.utils` of the input folder, the same way round
    Path("outputs/utils/utils.parity.yaml").write_text("torch: {build: ScaledHead}\ninputs:\n  - {shape: [2, 4]}\n")
    files = checked("outputs/utils/utils.py", parity=True)
    assert files["utils/utils.py"]["summary"] == "pass, import ok, parity ok", files["utils/utils.py"]


def test_a_port_in_a_package_without_init_is_compared_with_the_torch_package(tmp_path, monkeypatch):
    """The input's `unet/` is a regular package, outputs/unet/ has no `__init__.py` yet: the check's
    parity child runs from the project root, where the torch package used to win the import."""
    project(tmp_path, monkeypatch, "seg", "seg_port")
    Path("outputs/unet/unet_model.parity.yaml").write_text(
        "torch: {build: UNet}\ninit: {kwargs: {width: 8, classes: 3}}\ninputs:\n  - {shape: [2, 8]}\n")
    assert not Path("outputs/unet/__init__.py").exists()
    result = checked("outputs/unet/unet_model.py", parity=True)["unet/unet_model.py"]
    assert result["summary"] == "pass, import ok, parity ok", result
    assert "parity: unet_model.parity.yaml models: torch UNet from unet/unet_model.py; " \
           "port UNet from outputs/unet/unet_model.py" in result["notes"], result["notes"]


def test_a_torch_model_in_outputs_is_refused_never_compared(tmp_path, monkeypatch):
    """An unconverted copy of the torch files in outputs/: the built "port" is a torch Module, so
    there is nothing to compare (it used to match itself)."""
    project(tmp_path, monkeypatch, "seg")
    shutil.copytree("unet", "outputs/unet")
    Path("outputs/unet/unet_model.parity.yaml").write_text(
        "torch: {build: UNet}\ninputs:\n  - {shape: [2, 8]}\n")
    result = checked("outputs/unet/unet_model.py", parity=True)["unet/unet_model.py"]
    assert result["parity"] == "failed", result
    [finding] = [f for f in result["findings"] if f["code"] == "parity"]
    assert "is not a MindSpore Cell" in finding["message"] and "UNet" in finding["message"], finding


def test_module_constants_computed_by_calls_are_kept(tmp_path, monkeypatch):
    """`RELU_GAIN = math.sqrt(2.0)` and `_SH_AVAILABLE = _package_available("sh")`: values a module
    computes from what it imports or defines are definitions, so both modules import for real."""
    project(tmp_path, monkeypatch, "tmpl", "tmpl_port")
    Path("outputs/src/models/components/net.parity.yaml").write_text(
        "torch: {build: Net}\ninit: {kwargs: {width: 8, classes: 4}}\ninputs:\n  - {shape: [3, 8]}\n")
    files = checked("outputs/src/utils/available.py", "outputs/src/models/components/net.py", parity=True)
    assert files["src/models/components/net.py"]["summary"] == "pass, import ok, parity ok", \
        files["src/models/components/net.py"]


@pytest.mark.parametrize("spec", [
    # a Lightning-module-like wrapper around a net of another module, built on each side's tree
    "torch: {build: LitModule}\n"
    "init: {kwargs: {net: {build: src.models.components.net.Net, kwargs: {width: 8, classes: 4}},"
    " temperature: 0.5}}\n"
    "inputs:\n  - {shape: [3, 8]}\n",
    # a wrapper around two models, and a dotted top-level build, as cases of one spec
    "inputs:\n  - {shape: [3, 8]}\n"
    "cases:\n"
    "  - torch: {build: Ensemble}\n"
    "    init: {kwargs: {first: {build: src.models.components.net.Net},"
    " second: {build: src.models.components.net.Net}}}\n"
    "  - torch: {build: src.models.components.net.Net}\n",
], ids=["wrapper-around-a-net", "ensemble-and-dotted-build"])
def test_composite_models_across_modules(tmp_path, monkeypatch, spec):
    project(tmp_path, monkeypatch, "tmpl", "tmpl_port")
    Path("outputs/src/models/lit_module.parity.yaml").write_text(spec)
    result = checked("outputs/src/models/lit_module.py", parity=True)["src/models/lit_module.py"]
    assert result["summary"] == "pass, import ok, parity ok", result
    models = [n for n in result["notes"] if " models: " in n]
    assert models and all("port " in n and "from outputs/src/" in n.partition("port ")[2] for n in models), models


def test_an_installed_package_named_like_a_project_folder_does_not_win(tmp_path, monkeypatch):
    """A project's `tests/` folder has no `__init__.py`, and an installed library ships a regular
    package `tests` (some do): Python's search would take the library's, so the port's
    `tests.test_model` and its torch original were not found. Both come from the project's trees."""
    stray = tmp_path / "site" / "tests"
    stray.mkdir(parents=True)
    (stray / "__init__.py").write_text("WHO = 'an installed library'\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "site"))
    root = project(tmp_path, monkeypatch, "seg", "seg_port")
    (root / "tests").mkdir()
    (root / "tests" / "test_head.py").write_text(
        "import torch\nimport torch.nn as nn\n\nclass Head(nn.Module):\n    def __init__(self):\n"
        "        super().__init__()\n        self.fc = nn.Linear(4, 2)\n\n    def forward(self, x):\n"
        "        return self.fc(x)\n")
    (root / "outputs" / "tests").mkdir()
    (root / "outputs" / "tests" / "test_head.py").write_text(
        "from mindspore import mint, nn\n\nclass Head(nn.Cell):\n    def __init__(self):\n"
        "        super().__init__()\n        self.fc = mint.nn.Linear(4, 2)\n\n    def construct(self, x):\n"
        "        return self.fc(x)\n")
    (root / "outputs" / "tests" / "test_head.parity.yaml").write_text(
        "torch: {build: Head}\ninputs:\n  - {shape: [2, 4]}\n")
    assert main(["scan", "."]) == 0
    result = checked("outputs/tests/test_head.py", parity=True)["tests/test_head.py"]
    assert result["summary"] == "pass, import ok, parity ok", result
    assert "port Head from outputs/tests/test_head.py" in " ".join(result["notes"]), result["notes"]


NET_TORCH = ("import torch.nn as nn\n\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
             "        self.fc = nn.Linear(4, 2)\n\n    def forward(self, x):\n        return self.fc(x)\n")
NET_PORT = ("from mindspore import mint, nn\n\nclass Net(nn.Cell):\n    def __init__(self):\n        super().__init__()\n"
            "        self.fc = mint.nn.Linear(4, 2)\n\n    def construct(self, x):\n        return self.fc(x)\n")


def test_namespace_packages_nested_in_namespace_packages(tmp_path, monkeypatch):
    """A Lightning-template layout: `src/` and `src/nets/` have no `__init__.py`, `src/nets/diffusion/`
    is a regular package. Parity crashed (KeyError 'src' while forgetting the torch modules: a
    namespace package's path is recomputed from its parent), and while outputs/src/nets/ held only
    the `diffusion/` folder, `src.nets` was said not to be in outputs/."""
    root = tmp_path / "tmplns"
    for rel, text in {"src/nets/net.py": NET_TORCH, "src/nets/diffusion/__init__.py": "from src.nets.diffusion.sched import T\n",
                      "src/nets/diffusion/sched.py": "import torch\nT = 4\n",
                      "src/models/wrap.py": "import torch.nn as nn\nfrom src.nets.net import Net\n\n"
                      "class Wrap(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
                      "        self.net = Net()\n\n    def forward(self, x):\n        return self.net(x) * 2\n"}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    monkeypatch.chdir(root)
    monkeypatch.delenv("TORCH2MS_WORKSPACE", raising=False)
    assert main(["scan", "."]) == 0
    out = root / "outputs"
    (out / "src/nets/diffusion").mkdir(parents=True)
    (out / "src/nets/diffusion/__init__.py").write_text("from src.nets.diffusion.sched import T\n")
    (out / "src/nets/diffusion/sched.py").write_text("import mindspore\nT = 4\n")
    files = checked("outputs/src/nets/diffusion/__init__.py")  # nets/ holds only the diffusion/ folder yet
    assert files["src/nets/diffusion/__init__.py"]["summary"].startswith("pass, import ok"), files
    (out / "src/nets/net.py").write_text(NET_PORT)
    (out / "src/models").mkdir()
    (out / "src/models/wrap.py").write_text(NET_PORT.replace("class Net", "class _N").split("class _N")[0]
                                            + "from src.nets.net import Net\n\nclass Wrap(nn.Cell):\n"
                                            "    def __init__(self):\n        super().__init__()\n        self.net = Net()\n\n"
                                            "    def construct(self, x):\n        return self.net(x) * 2\n")
    (out / "src/models/wrap.parity.yaml").write_text("torch: {build: Wrap}\ninputs:\n  - {shape: [2, 4]}\n")
    result = checked("outputs/src/models/wrap.py", parity=True)["src/models/wrap.py"]
    assert result["summary"] == "pass, import ok, parity ok", result


def test_a_model_without_forward_is_compared_through_the_method_the_spec_calls(tmp_path, monkeypatch):
    """A VAE or a diffusion engine exposes methods (`encode`, `sample`), not a forward: `call:`
    compares that method of both models; a method the port lacks is a mismatch, never a match."""
    root = tmp_path / "vaeproj"
    (root / "nets").mkdir(parents=True)
    (root / "nets" / "vae.py").write_text(
        "import torch\nimport torch.nn as nn\n\nclass VAE(nn.Module):\n    def __init__(self):\n"
        "        super().__init__()\n        self.enc = nn.Linear(4, 2)\n        self.dec = nn.Linear(2, 4)\n\n"
        "    def encode(self, x):\n        return torch.tanh(self.enc(x))\n\n"
        "    def decode(self, z):\n        return self.dec(z)\n")
    monkeypatch.chdir(root)
    monkeypatch.delenv("TORCH2MS_WORKSPACE", raising=False)
    assert main(["scan", "."]) == 0
    (root / "outputs" / "nets").mkdir(parents=True)
    (root / "outputs" / "nets" / "vae.py").write_text(
        "from mindspore import mint, nn\n\nclass VAE(nn.Cell):\n    def __init__(self):\n"
        "        super().__init__()\n        self.enc = mint.nn.Linear(4, 2)\n        self.dec = mint.nn.Linear(2, 4)\n\n"
        "    def encode(self, x):\n        return mint.tanh(self.enc(x))\n")
    spec = root / "outputs" / "nets" / "vae.parity.yaml"
    spec.write_text("torch: {build: VAE}\ncall: encode\ninputs:\n  - {shape: [3, 4]}\n")
    result = checked("outputs/nets/vae.py", parity=True)["nets/vae.py"]
    assert result["summary"] == "pass, import ok, parity ok", result
    spec.write_text("torch: {build: VAE}\ncall: decode\ninputs:\n  - {shape: [3, 2]}\n")
    result = checked("outputs/nets/vae.py", parity=True)["nets/vae.py"]
    assert result["parity"] == "failed" and "has no method decode()" in json.dumps(result["findings"]), result
