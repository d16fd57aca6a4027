"""Method calls on objects a torch library built are findings; a receiver whose type the check
cannot follow is named as unknown for the libraries' distinctive methods; tokenizers asked for
torch tensors are findings. Marker texts name only MindSpore APIs that exist."""

import re

import pytest

HEADER = "import mindspore\nfrom mindspore import mint, nn, ops\n"

# (name, body, line of the finding within the body, words in its message)
CAUGHT = [
    ("accelerator.prepare", "def f(acc_cls, m):\n    from accelerate import Accelerator\n"
     "    accelerator = Accelerator()\n    return accelerator.prepare(m)\n", 4, "built by accelerate.Accelerator"),
    ("accelerator attribute", "from accelerate import Accelerator\naccelerator = Accelerator()\n"
     "d = accelerator.device\n", 3, "accelerator.device"),
    ("fabric.setup", "from lightning.fabric import Fabric\nfabric = Fabric()\nm = fabric.setup(1)\n", 3,
     "built by lightning.fabric.Fabric"),
    ("trainer.fit", "import pytorch_lightning as pl\ntrainer = pl.Trainer(max_epochs=1)\ntrainer.fit(1)\n", 3,
     "built by pytorch_lightning.Trainer"),
    ("llm.generate", "from vllm import LLM\nllm = LLM(model='m')\nout = llm.generate(['a'])\n", 3,
     "keep the model on mindone.transformers"),
    ("metric.compute", "from torchmetrics import Accuracy\nacc = Accuracy(task='binary').to('cpu')\n"
     "v = acc.compute()\n", 3, "mindspore.train metric"),
    ("self.log in a LightningModule", "import pytorch_lightning as pl\nclass M(pl.LightningModule):\n"
     "    def training_step(self, b, i):\n        self.log('x', 1)\n", 4, "self is a pytorch_lightning.LightningModule"),
    ("self.log, base not followed", "from mymodels import Base\nclass M(Base):\n"
     "    def step(self):\n        self.log('x', 1)\n", 4, "its base is not followed"),
    ("receiver type unknown", "def f(thing, x):\n    return thing.gather_for_metrics(x)\n", 2,
     "the type of thing is unknown"),
    ("return_tensors='pt'", "def f(tokenizer):\n    return tokenizer('hi', return_tensors='pt')\n", 2,
     "return_tensors='np'"),
    ("compute() on a mindspore.train metric", "class M(nn.Cell):\n    def __init__(self):\n"
     "        self.m = mindspore.train.Loss()\n    def f(self):\n        return self.m.compute()\n", 5,
     "compute() is eval()"),
    ("reset() on a mindspore.train metric", "m = mindspore.train.Loss()\nm.reset()\n", 2, "reset() is clear()"),
    ("a mindspore.train metric called", "m = mindspore.train.Accuracy('classification')\nm(1, 2)\n", 2,
     "clears it first"),
]

LEFT_ALONE = [
    ("a mindspore.train metric's own methods", "m = mindspore.train.Loss()\nm.update(1)\nv = m.eval()\n"
     "m.clear()\n"),
    ("mindone model generate", "from mindone.transformers import AutoModelForCausalLM\n"
     "m = AutoModelForCausalLM.from_pretrained('x')\nout = m.generate(mindspore.Tensor([1]))\n"),
    ("annotated receiver", "def f(box: mindspore.Tensor):\n    return box.prepare()\n"),
    ("receiver from a local class", "class Helper:\n    def prepare(self):\n        return 1\n"
     "h = Helper()\nh.prepare()\n"),
    ("class defines log", "class M(nn.Cell):\n    def log(self, x):\n        return x\n"
     "    def construct(self, x):\n        return self.log(x)\n"),
    ("logging is not Lightning", "import logging\nlogger = logging.getLogger(__name__)\nlogger.log(10, 'x')\n"),
    ("return_tensors='np'", "def f(tokenizer):\n    return tokenizer('hi', return_tensors='np')\n"),
    ("mindspore metric", "acc = mindspore.train.Accuracy('classification')\nacc.update(1, 2)\nv = acc.eval()\n"),
]


@pytest.mark.parametrize("name,body,line,words", CAUGHT, ids=[c[0] for c in CAUGHT])
def test_catches(check, name, body, line, words):
    result = check(HEADER + body)
    hits = [f for f in result.findings if f.code == "torch-idiom" and f.line == line + 2]
    assert hits, f"{name}: expected [torch-idiom] on line {line + 2}, got {result.findings}"
    assert any(words in f.message for f in hits), hits


@pytest.mark.parametrize("name,body", LEFT_ALONE, ids=[c[0] for c in LEFT_ALONE])
def test_leaves_alone(check, name, body):
    result = check(HEADER + body)
    assert [f for f in result.findings if f.code == "torch-idiom"] == [], result.findings


def test_a_chain_on_one_object_is_one_finding(check):
    result = check(HEADER + "from accelerate import Accelerator\naccelerator = Accelerator()\n"
                            "n = accelerator.state.num_processes\n")
    assert len([f for f in result.findings if f.line == 5 and f.code == "torch-idiom"]) == 1


# ------------------------------------------------------------------ marker texts name real APIs
SHORT = {"mint": "mindspore.mint", "ops": "mindspore.ops", "ms": "mindspore"}
NAME = re.compile(r"\b((?:mindspore|mindone|mint|ops|ms)(?:\.[A-Za-z_][A-Za-z0-9_]*)+)")


def api_names(text: str) -> set[str]:
    """The MindSpore/mindone dotted names a marker text mentions, with short roots expanded."""
    out = set()
    for match in NAME.finditer(text):
        name = match.group(1)
        root, _, rest = name.partition(".")
        out.add(f"{SHORT.get(root, root)}.{rest}")
    return out


def _texts(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for value in obj.values():
            yield from _texts(value)
    elif isinstance(obj, list):
        for value in obj:
            yield from _texts(value)


FAMILIES = ("accelerate", "lightning", "torchmetrics", "serving")


def test_api_names_are_extracted():
    assert api_names("use mint.optim.Adam(model.trainable_params()) and ms.set_seed(s); "
                     "mindspore.amp.auto_mixed_precision(net, 'O1')") == {
        "mindspore.mint.optim.Adam", "mindspore.set_seed", "mindspore.amp.auto_mixed_precision"}


@pytest.mark.parametrize("family", FAMILIES)
def test_every_marker_names_an_api_that_exists(index, family):
    from torch2ms.convert.rules._data import load

    names = {n for text in _texts(load(family)) for n in api_names(text)}
    assert names, f"{family}: no MindSpore name found in its marker texts"
    missing = sorted(n for n in names if index.resolve(n)[1] is not None)
    assert not missing, f"{family}.yaml names APIs that do not exist here: {missing}"


def test_the_name_check_fails_on_an_invented_api(index):
    assert index.resolve("mindspore.mint.distributed.all_gather_everything")[1] is not None
