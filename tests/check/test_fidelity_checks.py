"""Checks that passed code failing at run time: a project function called against its changed
signature, DataLoader attributes on a mindspore.dataset pipeline, a tensor in a format spec, and
`device=` given to the project's own function (which is no torch idiom)."""

import textwrap

import pytest

UTILS = """\
def build(cfg, device):
    return cfg


def evaluate(model, loader, device=None):
    return model
"""


@pytest.fixture
def project(tmp_path, index):
    """check(train_py_source) on outputs/pkg/train.py of a package beside outputs/pkg/utils.py."""
    from torch2ms.check import check_file

    pkg = tmp_path / "outputs" / "pkg"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("from .utils import build\n")  # the package re-exports it
    (pkg / "utils.py").write_text(UTILS)

    def run(source: str):
        path = pkg / "train.py"
        path.write_text(textwrap.dedent(source))
        return check_file(path, index=index)

    return run


CAUGHT = [
    ("required argument of a project function left out", """\
        from .utils import build


        def main(cfg):
            return build(cfg)
        """, 5, "missing required argument(s) device (build(cfg, device) in utils.py)"),
    ("required argument of a function the package re-exports", """\
        from pkg import build


        def main(cfg):
            return build(cfg)
        """, 5, "missing required argument(s) device (build(cfg, device) in utils.py)"),
    ("keyword the project function does not declare", """\
        from pkg.utils import evaluate


        def main(m, loader):
            return evaluate(m, loader, dev="cpu")
        """, 5, "evaluate() has no parameter 'dev'"),
    ("too many positionals to a function of the file", """\
        def local(a, b):
            return a + b


        x = local(1, 2, 3)
        """, 5, "local() takes at most 2 positional arguments, 3 given"),
    ("len(loader.dataset) on a mindspore.dataset pipeline", """\
        import mindspore as ms

        train_ds = ms.dataset.MnistDataset("d", usage="train", shuffle=False)
        train_loader = train_ds.shuffle(10).batch(64)
        n = len(train_loader.dataset)
        """, 5, "train_loader.dataset: a mindspore.dataset pipeline has no .dataset"),
    ("a tensor in a format spec", """\
        import mindspore as ms
        from mindspore import mint

        criterion = mint.nn.CrossEntropyLoss()


        def forward_fn(x, y):
            return criterion(x, y), x


        def train(x, y, optimizer):
            grad_fn = ms.value_and_grad(forward_fn, None, optimizer.parameters, has_aux=True)
            (loss, out), grads = grad_fn(x, y)
            print(f"loss {loss:.4f}")
        """, 14, "loss is a MindSpore tensor: a format spec (`:.4f`)"),
]

FINE = [
    ("calls that bind", """\
        from .utils import build, evaluate


        def main(cfg, m, loader):
            build(cfg, "cpu")
            return evaluate(m, loader, device="cpu")
        """),
    ("len of a pipeline and numbers in format specs", """\
        import mindspore as ms

        train_loader = ms.dataset.MnistDataset("d", usage="train", shuffle=False).batch(64)


        def report(loss, lr):
            value = float(loss.asnumpy())
            print(len(train_loader), f"{value:.4f} {lr:.2e}")
        """),
]


@pytest.mark.parametrize("name,source,line,words", CAUGHT, ids=[c[0] for c in CAUGHT])
def test_catches(project, name, source, line, words):
    result = project(source)
    assert any(f.line == line and words in f.message for f in result.findings), result.findings


def test_bare_torch_is_a_torch_name_not_an_undefined_name(project):
    result = project("t = torch\n")
    assert [f.code for f in result.findings] == ["torch-name"], result.findings


@pytest.mark.parametrize("name,source", FINE, ids=[c[0] for c in FINE])
def test_fine(project, name, source):
    result = project(source)
    assert result.findings == [], result.findings
