"""Entry points (programs a user runs) are Training or Inference, never Utility, so a run spec
is asked for them."""

from __future__ import annotations

import textwrap

import pytest

from torch2ms.scan.config import ScanConfig
from torch2ms.scan.detect import Facts, analyse_source


def category(src: str) -> tuple:
    f = analyse_source(textwrap.dedent(src), Facts(path="x.py"), ScanConfig.default())
    return f.category, f.evidence[0]


HYDRA_TRAIN = """\
import hydra
import lightning as L
from omegaconf import DictConfig


def train(cfg: DictConfig):
    datamodule: L.LightningDataModule = hydra.utils.instantiate(cfg.data)
    model: L.LightningModule = hydra.utils.instantiate(cfg.model)
    trainer: L.Trainer = hydra.utils.instantiate(cfg.trainer)
    trainer.fit(model=model, datamodule=datamodule)
    return trainer.callback_metrics


@hydra.main(version_base="1.3", config_path="../configs", config_name="train.yaml")
def main(cfg: DictConfig):
    return train(cfg)
"""

HYDRA_EVAL = """\
import hydra
import lightning as L


@hydra.main(version_base="1.3", config_path="../configs", config_name="eval.yaml")
def evaluate(cfg):
    model: L.LightningModule = hydra.utils.instantiate(cfg.model)
    trainer: L.Trainer = hydra.utils.instantiate(cfg.trainer)
    trainer.test(model=model, ckpt_path=cfg.ckpt_path)
"""

SUPER_RESOLVE = """\
import argparse
import torch
from PIL import Image
from torchvision.transforms import ToTensor

parser = argparse.ArgumentParser()
parser.add_argument("--model", type=str)
opt = parser.parse_args()
img = Image.open("in.png").convert("YCbCr")
model = torch.load(opt.model)
out = model(ToTensor()(img).unsqueeze(0))
out.save("out.png")
"""

MAIN_TRAIN = """\
import torch
from mypkg.loop import train


if __name__ == "__main__":
    train(torch.device("cpu"))
"""

LIGHTNING_CLI = """\
from lightning.pytorch.cli import LightningCLI
from mypkg.model import LitModel


def cli_main():
    LightningCLI(LitModel)


if __name__ == "__main__":
    cli_main()
"""


@pytest.mark.parametrize("src, expected, evidence", [
    (HYDRA_TRAIN, "Training", "an entry point (@hydra.main) that calls trainer.fit() and train()"),
    (HYDRA_EVAL, "Inference", "an entry point (@hydra.main) that calls trainer.test()"),
    (SUPER_RESOLVE, "Inference", "a script (it loads a model at module level) that loads a model or its "
                                 "weights (torch.load()) and runs it"),
    (MAIN_TRAIN, "Training", 'an entry point (if __name__ == "__main__") that calls train()'),
    (LIGHTNING_CLI, "Training", 'an entry point (if __name__ == "__main__" and LightningCLI(...)) that '
                                "calls LightningCLI(...)"),
])
def test_entry_points_are_training_or_inference(src, expected, evidence):
    assert category(src) == (expected, evidence)


@pytest.mark.parametrize("src", [
    # helpers, not programs: a function that loads weights, a module calling model.train()
    "import torch\n\ndef restore(path):\n    return torch.load(path)\n",
    "import torch\n\ndef prepare(model):\n    model.train()\n    return model\n",
    # a __main__ block that only prints
    "import torch\n\nif __name__ == '__main__':\n    print(torch.ones(2))\n",
])
def test_helpers_stay_utility(src):
    assert category(src)[0] == "Utility"
