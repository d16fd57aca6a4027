"""Methods called on the project's own objects (trials on guided-diffusion): `.to(device)` on a
model built by a project factory is a finding; a project class's own `backward`/`zero_grad`, and
`device=` given to a project method or a function of a project module, are not; a training file
that never calls set_train(True) is a finding."""

import textwrap

import pytest

UNET = """\
from mindspore import mint, nn


class UNetModel(nn.Cell):
    def __init__(self, channels):
        super().__init__()
        self.out = mint.nn.Linear(channels, channels)

    def construct(self, x):
        return self.out(x)
"""

SCRIPT_UTIL = """\
from .unet import UNetModel


class GaussianDiffusion:
    def loss(self, model, x):
        return model(x).mean()


def create_model(channels):
    return UNetModel(channels)


def create_model_and_diffusion(channels=4):
    model = create_model(channels)
    diffusion = GaussianDiffusion()
    return model, diffusion
"""

DIST_UTIL = """\
def dev():
    return "cuda"


def load_state_dict(path, device=None):
    return {}
"""

TRAIN_UTIL = """\
import mindspore


class MixedPrecisionTrainer:
    def __init__(self, model):
        self.model = model
        self.params = model.trainable_params()

    def zero_grad(self):
        return None

    def backward(self, loss):
        return loss

    def sample(self, x, device=None):
        return x


class TrainLoop:
    def __init__(self, model):
        self.mp_trainer = MixedPrecisionTrainer(model)

    def step(self, loss, x, dev):
        self.mp_trainer.zero_grad()
        self.mp_trainer.backward(loss)
        self.log(x, device=dev)
        return self.mp_trainer.sample(x, device=dev)

    def log(self, x, device=None):
        return x
"""


@pytest.fixture
def project(tmp_path, index):
    """check(source) on outputs/pkg/scripts/train.py of a package holding the modules above."""
    from torch2ms.check import check_file

    pkg = tmp_path / "outputs" / "pkg"
    (pkg / "scripts").mkdir(parents=True)
    for name, text in {"__init__": "", "unet": UNET, "script_util": SCRIPT_UTIL,
                       "dist_util": DIST_UTIL, "train_util": TRAIN_UTIL}.items():
        (pkg / f"{name}.py").write_text(text)
    (pkg / "scripts" / "__init__.py").write_text("")

    def run(source: str, name: str = "train.py"):
        path = pkg / "scripts" / name
        path.write_text(textwrap.dedent(source))
        return check_file(path, index=index)

    return run


CAUGHT = [
    ("model from a factory of a project module, moved to its device", """\
        from pkg import dist_util
        from pkg.script_util import create_model_and_diffusion


        def main():
            model, diffusion = create_model_and_diffusion(channels=4)
            model.to(dist_util.dev())
            return model, diffusion
        """, 7, "model is a Cell (class UNetModel)"),
    ("model through the module's name", """\
        from pkg import script_util


        def main(device):
            model = script_util.create_model(4)
            model.to(device)
            return model
        """, 6, "model.to(device): model is a Cell"),
    ("a Cell of the file", """\
        from mindspore import mint, nn


        class Net(nn.Cell):
            def __init__(self):
                super().__init__()
                self.fc = mint.nn.Linear(2, 2)

            def construct(self, x):
                return self.fc(x)


        def main(device):
            net = Net()
            net.to(device)
            return net
        """, 15, "a torch device ('cuda', torch.device) raises"),
    ("optimizer and value_and_grad, no set_train(True)", """\
        import mindspore
        from mindspore import mint

        from pkg.script_util import create_model


        def main(x):
            model = create_model(4)
            optimizer = mint.optim.AdamW(model.trainable_params(), lr=1e-3)

            def forward_fn(inputs):
                return model(inputs).mean()

            grad_fn = mindspore.value_and_grad(forward_fn, None, optimizer.parameters)
            loss, grads = grad_fn(x)
            optimizer(grads)
            return loss
        """, 14, "training mode missing"),
]

FINE = [
    ("the project's trainer: its backward, zero_grad and device= parameters", TRAIN_UTIL),
    ("a trainer imported from a project module", """\
        from pkg.train_util import MixedPrecisionTrainer


        def step(model, loss, x):
            trainer = MixedPrecisionTrainer(model)
            trainer.zero_grad()
            trainer.backward(loss)
            return trainer.sample(x, device="cpu")
        """),
    ("device= to a function of a project module", """\
        from pkg import dist_util


        def load(path):
            return dist_util.load_state_dict(path, device=dist_util.dev())
        """),
    ("a dtype cast of a project Cell, a tensor's half()", """\
        import mindspore

        from pkg.script_util import create_model


        def main():
            model = create_model(4)
            model.to(mindspore.float16)
            return model.out.weight.data.half()
        """),
]


@pytest.mark.parametrize("name,source,line,words", CAUGHT, ids=[c[0] for c in CAUGHT])
def test_catches(project, name, source, line, words):
    result = project(source)
    assert any(f.line == line and f.code == "torch-idiom" and words in f.message
               for f in result.findings), result.findings
    assert result.verdict == "fail"


@pytest.mark.parametrize("name,source", FINE, ids=[c[0] for c in FINE])
def test_fine(project, name, source):
    result = project(source)
    assert result.findings == [], result.findings


def test_set_train_true_answers_training_mode(project):
    """The same training file with model.set_train(True) has no finding at all."""
    source = CAUGHT[3][1].replace("model = create_model(4)\n",
                                  "model = create_model(4)\n            model.set_train(True)\n")
    assert "set_train(True)" in source
    assert project(CAUGHT[3][1]).findings
    assert project(source).findings == []


def test_only_the_project_class_is_exempt(project):
    """A receiver the project does not build keeps the torch idiom finding, beside one it does."""
    result = project("""\
        from pkg.train_util import MixedPrecisionTrainer


        def step(model, loss, opt):
            trainer = MixedPrecisionTrainer(model)
            trainer.backward(loss)
            opt.zero_grad()
            loss.backward()
        """)
    assert sorted(f.line for f in result.findings) == [7, 8], result.findings
