"""accelerate, lightning, vllm/sglang and torchmetrics: what converts, what is flagged, and that
nothing of a class left on lightning is half converted."""

import re
import textwrap

import libcst as cst
import pytest

from torch2ms.convert.engine import convert_source

MARKER = "# TODO(torch2ms): "


def convert(code: str):
    result = convert_source(textwrap.dedent(code))
    cst.parse_module(result.code)
    again = convert_source(result.code)
    assert again.code == result.code, "not idempotent"
    return result


def markers(code: str) -> list[str]:
    return [line.split(MARKER, 1)[1] for line in code.splitlines() if MARKER in line]


def line_of(code: str, text: str) -> str:
    found = [line for line in code.splitlines() if text in line]
    assert found, f"no line with {text!r} in\n{code}"
    return found[0]


def marker_for(code: str, text: str) -> str:
    """The marker on the line holding `text`, or on the comment lines right above it."""
    lines = code.splitlines()
    i = next(i for i, line in enumerate(lines) if text in line and not line.lstrip().startswith("#"))
    if MARKER in lines[i]:
        return lines[i].split(MARKER, 1)[1]
    above = []
    j = i - 1
    while j >= 0 and lines[j].lstrip().startswith(MARKER):
        above.append(lines[j].split(MARKER, 1)[1])
        j -= 1
    assert above, f"no marker for {text!r} in\n{code}"
    return " | ".join(above)


GOLDEN = [
    ("seed_helpers_map_to_set_seed", """\
        from accelerate.utils import set_seed
        import pytorch_lightning as pl
        from lightning.fabric import seed_everything

        set_seed(1)
        pl.seed_everything(2)
        seed_everything(3, workers=True)
        """, """\
        import mindspore as ms

        ms.set_seed(1)
        ms.set_seed(2)
        ms.set_seed(3)  # TODO(torch2ms): lightning.fabric.seed_everything: argument `workers` dropped, MindSpore has no counterpart; check the behaviour
        """),
    ("torchmetrics_accuracy_and_its_methods", """\
        from torchmetrics import Accuracy


        def evaluate(batches):
            acc = Accuracy(task="multiclass", num_classes=10)
            for out, y in batches:
                acc(out, y)
            value = acc.compute()
            acc.reset()
            return value
        """, """\
        import mindspore as ms


        def evaluate(batches):
            acc = ms.train.Accuracy("classification")
            for out, y in batches:
                acc.update(out, y)
            value = acc.eval()
            acc.clear()
            return value
        """),
    ("torchmetrics_traps_mse_flattens_perplexity_takes_probabilities", """\
        from torchmetrics import MeanSquaredError
        from torchmetrics.text import Perplexity

        mse = MeanSquaredError()
        ppl = Perplexity(ignore_index=-100)
        mse.update(preds=out, target=y)
        ppl.update(logits, labels)
        """, """\
        import mindspore as ms
        from mindspore import mint

        mse = ms.train.MSE()
        ppl = ms.train.Perplexity(ignore_label=-100)
        mse.update(out.reshape(-1), y.reshape(-1))
        ppl.update(mint.nn.functional.softmax(logits, dim=-1).reshape(-1, logits.shape[-1]), labels.reshape(-1))
        """),
]


@pytest.mark.parametrize("name,before,after", GOLDEN, ids=[c[0] for c in GOLDEN])
def test_converts(name, before, after):
    result = convert(before)
    assert result.code == textwrap.dedent(after), f"\n--- got ---\n{result.code}"


ACCELERATE = """\
    import torch
    from accelerate import Accelerator


    def train(model, loader):
        accelerator = Accelerator(mixed_precision="fp16")
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
        model, optimizer, loader = accelerator.prepare(model, optimizer, loader)
        for batch in loader:
            with accelerator.accumulate(model):
                loss = model(**batch).loss
                accelerator.backward(loss)
                optimizer.step()
            if accelerator.is_main_process:
                accelerator.print(loss.item())
        x = torch.ones(2).to(accelerator.device)
        return accelerator.gather_for_metrics(loss)


    def helper(accelerator, loss):
        accelerator.backward(loss)
    """


def test_accelerate_every_use_names_its_piece_of_the_loop():
    code = convert(ACCELERATE).code
    assert "mint.optim.AdamW(model.trainable_params(), lr=1e-3)" in code  # torch around it converts
    assert "accelerate.Accelerator: no MindSpore counterpart" in marker_for(code, "Accelerator(mixed")
    assert "mindspore.amp.auto_mixed_precision" in marker_for(code, "Accelerator(mixed")
    assert "nothing to prepare" in marker_for(code, "accelerator.prepare(")
    assert "gradient accumulation" in marker_for(code, "accelerator.accumulate(")
    backward = marker_for(code, "        accelerator.backward(loss)\n".strip())
    assert "mindspore.value_and_grad" in backward and "optimizer(grads)" in backward
    assert "get_rank() == 0" in marker_for(code, "accelerator.is_main_process")
    assert "print(...)" in marker_for(code, "accelerator.print(")
    assert "all_gather" in marker_for(code, "gather_for_metrics")
    # `.to(accelerator.device)` is dropped with its argument: no marker left for it
    assert line_of(code, "x = ") == "    x = mint.ones(2)"
    # a parameter named `accelerator` in a file that imports accelerate counts as one
    helper = code.split("def helper", 1)[1]
    assert "accelerator.backward(): the value_and_grad step" in helper
    # the generic `.backward()` marker is not added on top of accelerate's
    assert not any(m.startswith(".backward()") for m in markers(code))


LIGHTNING = """\
    import torch
    import torch.nn.functional as F
    from torch import nn
    import pytorch_lightning as pl


    class LitModel(pl.LightningModule):
        def __init__(self, lr=1e-3):
            super().__init__()
            self.save_hyperparameters()
            self.layer = nn.Linear(4, 1)

        def forward(self, x):
            return self.layer(x)

        def training_step(self, batch, batch_idx):
            x, y = batch
            loss = F.mse_loss(self(x), y)
            self.log("train_loss", loss)
            return loss

        def configure_optimizers(self):
            return torch.optim.Adam(self.parameters(), lr=self.hparams.lr)


    class Head(nn.Module):
        def forward(self, x):
            return torch.relu(x)


    def main(loader):
        model = LitModel()
        trainer = pl.Trainer(max_epochs=2)
        trainer.fit(model, loader)
        return trainer.callback_metrics["train_loss"]
    """


def test_lightning_module_is_kept_whole_and_marked():
    code = convert(LIGHTNING).code
    lit = code.split("class LitModel", 1)[1].split("class Head", 1)[0]
    # nothing inside is converted: torch layers, functions and methods stay torch
    assert "torch_nn.Linear(4, 1)" in lit and "F.mse_loss(self(x), y)" in lit
    assert "torch.optim.Adam(self.parameters(), lr=self.hparams.lr)" in lit
    assert "def forward(self, x)" in lit and "def construct" not in lit
    body = re.sub(r"#.*", "", lit)  # the code, without the markers' texts
    assert "mint." not in body and "trainable_params" not in body and "nn.Cell" not in body
    # ... and marked: the class, its hooks, self.log and save_hyperparameters
    assert "LightningModule has no MindSpore counterpart" in marker_for(code, "class LitModel")
    assert "torch2ms convert on this output again" in marker_for(code, "class LitModel")
    assert "forward_fn" in marker_for(code, "def training_step")
    assert "optimizer" in marker_for(code, "def configure_optimizers")
    assert "print" in marker_for(code, 'self.log("train_loss"')
    assert "plain attributes" in marker_for(code, "self.save_hyperparameters()")
    # the torch imports the kept class uses stay (nn renamed: the converted Head takes `nn`)
    assert "from torch import nn as torch_nn" in code and "import torch.nn.functional as F" in code
    # the rest of the file converts
    head = code.split("class Head", 1)[1].split("def main", 1)[0]
    assert "(nn.Cell)" in head and "def construct" in head and "mint.nn.functional.relu" in head
    assert "the plain loop replaces it" in marker_for(code, "pl.Trainer(")
    assert "the epoch loop replaces it" in marker_for(code, "trainer.fit(")
    assert "the values the loop computed" in marker_for(code, "trainer.callback_metrics")


def test_lightning_datamodule_and_callback_subclasses_are_kept():
    code = convert("""\
        import torch
        from torch.utils.data import DataLoader
        from lightning.pytorch import LightningDataModule, Callback


        class Data(LightningDataModule):
            def train_dataloader(self):
                return DataLoader(torch.arange(4), batch_size=2)


        class Printer(Callback):
            def on_train_epoch_end(self, trainer, pl_module):
                print(torch.zeros(1))
        """).code
    assert "DataLoader(torch.arange(4), batch_size=2)" in code
    assert "LightningDataModule has no MindSpore counterpart" in marker_for(code, "class Data(")
    assert "GeneratorDataset" in marker_for(code, "def train_dataloader")
    assert "callbacks have no MindSpore counterpart" in marker_for(code, "class Printer(")
    assert "print(torch.zeros(1))" in code and "end of each epoch" in marker_for(code, "def on_train_epoch_end")


def test_fabric_methods_and_attributes():
    code = convert("""\
        from lightning.fabric import Fabric


        def run(model, optimizer, loader):
            fabric = Fabric(accelerator="cpu")
            model, optimizer = fabric.setup(model, optimizer)
            loader = fabric.setup_dataloaders(loader)
            for x, y in loader:
                loss = model(x, y)
                fabric.backward(loss)
            if fabric.is_global_zero:
                fabric.save("m.ckpt", {"model": model})
        """).code
    assert "Fabric: no MindSpore counterpart" in marker_for(code, "Fabric(accelerator")
    assert "nothing to set up" in marker_for(code, "fabric.setup(")
    assert "GeneratorDataset" in marker_for(code, "fabric.setup_dataloaders(")
    assert "mindspore.value_and_grad" in marker_for(code, "fabric.backward(")
    assert "get_rank() == 0" in marker_for(code, "fabric.is_global_zero")
    assert "mindspore.save_checkpoint" in marker_for(code, "fabric.save(")


@pytest.mark.parametrize("code,where", [
    ("from vllm import LLM, SamplingParams\n"
     "llm = LLM(model='m')\nouts = llm.generate(['hi'], SamplingParams(max_tokens=4))\n", "llm.generate("),
    ("def f():\n    from vllm import LLM\n    llm = LLM(model='m')\n    return llm.chat([])\n", "llm.chat("),
    ("import sglang as sgl\nengine = sgl.Engine(model_path='m')\nout = engine.generate(['hi'], {})\n",
     "engine.generate("),
])
def test_serving_engines_are_flagged_with_the_mindone_recipe(code, where):
    result = convert(code)
    assert "keep the model on mindone.transformers and generate with it" in marker_for(result.code, where)
    assert result.flags and result.converted == 0


def test_serving_sampling_params_name_the_generate_arguments():
    code = convert("from vllm import SamplingParams\nsp = SamplingParams(max_tokens=4)\n").code
    assert "max_new_tokens" in marker_for(code, "SamplingParams(max_tokens")


@pytest.mark.parametrize("code,where,expected", [
    ("from torchmetrics import Accuracy\na = Accuracy(task='binary')\n", "Accuracy(task",
     "only task=\"multiclass\" converts"),
    ("from torchmetrics.classification import MulticlassAccuracy\na = MulticlassAccuracy(num_classes=3)\n",
     "MulticlassAccuracy(", "default average= differs"),
    ("from torchmetrics import MeanSquaredError\nm = MeanSquaredError(squared=False)\n", "MeanSquaredError(",
     "squared=False has no counterpart"),
    ("from torchmetrics.multimodal import CLIPScore\nc = CLIPScore(model_name_or_path='x')\n", "CLIPScore(",
     "mindone.transformers.CLIPModel"),
    ("import torchmetrics\nv = torchmetrics.functional.accuracy(p, t, task='multiclass', num_classes=3)\n",
     "functional.accuracy", "mint.argmax"),
    ("from torchmetrics import Accuracy\na = Accuracy(task='multiclass', num_classes=3)\nv = a(p, t)\n",
     "v = a(p, t)", "returns the batch's value"),
    ("from torchmetrics import Accuracy\na = Accuracy(task='binary')\nv = a.compute()\n", "a.compute()",
     "stays on torchmetrics"),
    ("from torchmetrics import Perplexity\nm = Perplexity()\nm.update(model(x), y)\n", "m.update(",
     "write update(preds, target)"),
])
def test_torchmetrics_flags(code, where, expected):
    assert expected in marker_for(convert(code).code, where)


def test_custom_torchmetrics_metric_is_kept_with_the_recipe():
    code = convert("""\
        import torch
        from torchmetrics import Metric


        class Mean(Metric):
            def __init__(self):
                super().__init__()
                self.add_state("total", default=torch.tensor(0.0))
        """).code
    assert "torch.tensor(0.0)" in code
    assert "mindspore.train.Metric" in marker_for(code, "class Mean(")


def test_a_torchmetrics_file_never_passes_as_fully_converted():
    """An untouched torchmetrics file used to come back unchanged with "100% converted"."""
    result = convert("from torchmetrics.image import StructuralSimilarityIndexMeasure\n"
                     "ssim = StructuralSimilarityIndexMeasure(data_range=1.0)\nv = ssim(a, b)\n")
    assert result.flags and result.flagged >= 1
    assert "mindspore.nn.SSIM" in marker_for(result.code, "StructuralSimilarityIndexMeasure(")


def test_look_alikes_are_left_alone():
    """Names that only look like the libraries' objects, in files that do not import them."""
    code = textwrap.dedent("""\
        def f(trainer, llm, accelerator, metric):
            trainer.fit(1)
            llm.generate(2)
            accelerator.prepare(3)
            return metric.compute()
        """)
    result = convert(code)
    assert result.code == code and not result.flags


@pytest.mark.parametrize("source", [
    "from torchmetrics.image import StructuralSimilarityIndexMeasure\n"
    "ssim = StructuralSimilarityIndexMeasure(data_range=1.0)\n",
    "from vllm import LLM\nllm = LLM(model='m')\nprint(llm.generate(['hi']))\n",
    "import sglang as sgl\nengine = sgl.Engine(model_path='m')\n",
])
def test_convert_exits_1_on_files_it_cannot_finish(tmp_path, source):
    import subprocess
    import sys

    src = tmp_path / "job.py"
    src.write_text(source, encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "torch2ms", "convert", str(src), "-o", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "100.0% converted" not in proc.stdout and "flagged 0" not in proc.stdout, proc.stdout
    assert "TODO(torch2ms)" in (tmp_path / "out" / "job.py").read_text(encoding="utf-8")


def test_proof_counts_a_kept_class_as_marked_and_nothing_else(tmp_path):
    from torch2ms.convert.proof import prove, unmarked_torch_references

    src = tmp_path / "lit.py"
    src.write_text(textwrap.dedent(LIGHTNING), encoding="utf-8")
    proof = prove(str(src))
    assert proof.ok, proof
    # a class marker of another kind does not cover the torch code inside the class
    code = "import torch\n\n\nclass A:  # TODO(torch2ms): something else\n    x = torch.ones(1)\n"
    assert unmarked_torch_references(code) == [1, 5]  # the import, and the call in the class
