"""A scan of a package folder (`/scan mymodel`, files with `from .configuration_x import ...`):
its outputs are that package, so `check --import` and parity import each file as a module of it,
on both sides, and the relative imports resolve."""

import json

from torch2ms.cli import main

CONF = "class TinyConfig:\n    width = 4\n"
MODEL = ("import torch\nfrom torch import nn\nfrom .configuration_tiny import TinyConfig\n\n\n"
         "class Tiny(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
         "        self.proj = nn.Linear(TinyConfig.width, 3)\n\n"
         "    def forward(self, x):\n        return torch.relu(self.proj(x))\n")


def test_the_files_of_a_scanned_package_import_and_compare_as_modules_of_it(tmp_path, monkeypatch):
    package = tmp_path / "project" / "mymodel"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "configuration_tiny.py").write_text(CONF)
    (package / "modeling_tiny.py").write_text(MODEL)
    ws = tmp_path / "ws"
    w = ["--workspace", str(ws)]
    assert main(["scan", str(package), *w]) == 0
    assert main(["convert", str(package), *w]) == 0
    (ws / "outputs" / "modeling_tiny.parity.yaml").write_text(
        "torch: {build: Tiny}\ninputs:\n  - {shape: [2, 4]}\n")
    main(["check", "--import", "--parity", *w])
    files = json.loads((ws / ".torch2ms" / "check.json").read_text())["files"]
    assert files["modeling_tiny.py"]["summary"] == "pass, import ok, parity ok", files["modeling_tiny.py"]
    assert files["__init__.py"]["verdict"] == "pass" and files["configuration_tiny.py"]["verdict"] == "pass"


def test_a_package_folder_named_like_an_installed_library_does_not_shadow_it(tmp_path):
    """A scanned folder called `json` (or `transformers`): its outputs import as `json_port`, so the
    port's own imports of the library still get the library."""
    package = tmp_path / "project" / "json"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "configuration_tiny.py").write_text(CONF)
    (package / "modeling_tiny.py").write_text(
        MODEL.replace("import torch\n", "import json as stdlib_json\nimport torch\n")
        .replace("class Tiny(nn.Module):\n", "class Tiny(nn.Module):\n    SPEC = stdlib_json.dumps({'width': 4})\n"))
    ws = tmp_path / "ws"
    w = ["--workspace", str(ws)]
    assert main(["scan", str(package), *w]) == 0
    assert main(["convert", str(package), *w]) == 0
    main(["check", "--import", *w])
    files = json.loads((ws / ".torch2ms" / "check.json").read_text())["files"]
    assert files["modeling_tiny.py"]["summary"] == "pass, import ok", files["modeling_tiny.py"]
