"""torchvision -> mindspore.dataset / mindcv / numpy + PIL: the converted code against torchvision.

Each transform case is converted by the engine and applied, with torchvision's original, to the
same PIL images (or ToTensor outputs): uint8 results must be equal, float results within 1e-6.
The dataset cases read the same files with the converted reader and with torchvision's; the
utils cases write images with both; the model cases compare parameter counts and, where a
weight-name table exists, logits with torchvision's weights loaded.
"""

from __future__ import annotations

import os
import struct
import textwrap

import numpy as np
import pytest

from torch2ms.convert.engine import convert_source
from torch2ms.convert.rules import torchvision as tv_rules

MARKER = "TODO(torch2ms)"

# (api verified, torch expression building the op, input: "rgb" | "gray" | "tensor")
TRANSFORM_CASES = [
    ("torchvision.transforms.ToTensor", "T.ToTensor()", "rgb"),
    ("torchvision.transforms.ToTensor", "T.ToTensor()", "gray"),
    ("torchvision.transforms.Normalize", "T.Normalize((0.5, 0.4, 0.3), (0.2, 0.3, 0.4))", "tensor"),
    ("torchvision.transforms.Normalize", "T.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225], inplace=True)", "tensor"),
    ("torchvision.transforms.Resize", "T.Resize(20)", "rgb"),
    ("torchvision.transforms.Resize", "T.Resize((20, 30))", "gray"),
    ("torchvision.transforms.Resize", "T.Resize(64)", "rgb"),
    ("torchvision.transforms.Resize", "T.Resize(20, interpolation=T.InterpolationMode.BICUBIC)", "rgb"),
    ("torchvision.transforms.Resize", "T.Resize(20, antialias=True)", "rgb"),
    ("torchvision.transforms.InterpolationMode.BICUBIC", "T.Resize(20, T.InterpolationMode.BICUBIC)", "rgb"),
    ("torchvision.transforms.InterpolationMode.NEAREST", "T.Resize(20, interpolation=T.InterpolationMode.NEAREST)", "rgb"),
    ("torchvision.transforms.InterpolationMode.BILINEAR", "T.Resize(20, interpolation=T.InterpolationMode.BILINEAR)", "rgb"),
    ("torchvision.transforms.InterpolationMode.LANCZOS", "T.Resize(20, interpolation=T.InterpolationMode.LANCZOS)", "rgb"),
    ("torchvision.transforms.CenterCrop", "T.CenterCrop(20)", "rgb"),
    ("torchvision.transforms.CenterCrop", "T.CenterCrop((20, 31))", "gray"),
    ("torchvision.transforms.RandomCrop", "T.RandomCrop((37, 53))", "rgb"),
    ("torchvision.transforms.RandomCrop", "T.RandomCrop((45, 61), padding=4)", "rgb"),
    ("torchvision.transforms.RandomCrop", "T.RandomCrop((41, 57), padding=2, fill=7)", "rgb"),
    ("torchvision.transforms.RandomResizedCrop", "T.RandomResizedCrop(20, scale=(1, 1), ratio=(53 / 37, 53 / 37))", "rgb"),
    ("torchvision.transforms.RandomHorizontalFlip", "T.RandomHorizontalFlip(1.0)", "rgb"),
    ("torchvision.transforms.RandomHorizontalFlip", "T.RandomHorizontalFlip(p=0.0)", "gray"),
    ("torchvision.transforms.RandomVerticalFlip", "T.RandomVerticalFlip(p=1.0)", "rgb"),
    ("torchvision.transforms.Pad", "T.Pad(4)", "rgb"),
    ("torchvision.transforms.Pad", "T.Pad((1, 2, 3, 4), fill=9)", "gray"),
    ("torchvision.transforms.Grayscale", "T.Grayscale()", "rgb"),
    ("torchvision.transforms.Grayscale", "T.Grayscale(num_output_channels=3)", "rgb"),
    ("torchvision.transforms.RandomGrayscale", "T.RandomGrayscale(p=1.0)", "rgb"),
    ("torchvision.transforms.RandomRotation", "T.RandomRotation((90, 90))", "rgb"),
    ("torchvision.transforms.RandomRotation", "T.RandomRotation((30, 30), expand=True)", "rgb"),
    ("torchvision.transforms.RandomInvert", "T.RandomInvert(p=1.0)", "rgb"),
    ("torchvision.transforms.RandomAutocontrast", "T.RandomAutocontrast(p=1.0)", "rgb"),
    ("torchvision.transforms.RandomAdjustSharpness", "T.RandomAdjustSharpness(2.0, p=1.0)", "rgb"),
    ("torchvision.transforms.RandomApply", "T.RandomApply([T.RandomHorizontalFlip(1.0)], p=1.0)", "rgb"),
    ("torchvision.transforms.FiveCrop", "T.FiveCrop(10)", "rgb"),
    ("torchvision.transforms.TenCrop", "T.TenCrop(10, vertical_flip=True)", "rgb"),
    ("torchvision.transforms.Compose", "T.Compose([T.Resize(24), T.CenterCrop(20)])", "rgb"),
    ("torchvision.transforms.Compose",
     "T.Compose([T.Resize(24), T.CenterCrop(20), T.ToTensor(), T.Normalize((0.5,) * 3, (0.5,) * 3)])", "rgb"),
]


@pytest.fixture(scope="module")
def torchvision():
    from torch2ms import torch_env

    torch_env.prepare()
    import torchvision

    return torchvision


def _images():
    from PIL import Image

    rng = np.random.default_rng(0)
    return {"rgb": Image.fromarray(rng.integers(0, 256, (37, 53, 3), dtype=np.uint8)),
            "gray": Image.fromarray(rng.integers(0, 256, (29, 31), dtype=np.uint8))}


def _as_arrays(value) -> list[np.ndarray]:
    """A transform's result as numpy arrays (a PIL image, a tensor, a tuple of either)."""
    if isinstance(value, (tuple, list)):
        return [a for v in value for a in _as_arrays(v)]
    if hasattr(value, "detach"):
        return [value.detach().numpy()]
    return [np.asarray(value)]


def _converted(exprs: list[str]) -> tuple[str, str]:
    source = "import torchvision.transforms as T\n\n" + "".join(
        f"def op_{i}():\n    return {e}\n\n\n" for i, e in enumerate(exprs))
    return source, convert_source(source).code


@pytest.fixture(scope="module")
def transform_ops(torchvision):
    source, code = _converted([c[1] for c in TRANSFORM_CASES])
    torch_ns, ms_ns = {}, {}
    exec(compile(source, "<torch>", "exec"), torch_ns)
    exec(compile(code, "<converted>", "exec"), ms_ns)
    return code, torch_ns, ms_ns


@pytest.mark.parametrize("i", range(len(TRANSFORM_CASES)), ids=[c[1][:60] for c in TRANSFORM_CASES])
def test_transform_gives_torchvisions_numbers(transform_ops, i):
    import mindspore.dataset.vision as vision
    import torchvision.transforms as T

    code, torch_ns, ms_ns = transform_ops
    api, expr, kind = TRANSFORM_CASES[i]
    body = code.split(f"def op_{i}():", 1)[1].split("\n\n\n", 1)[0]
    assert MARKER not in body and "torchvision" not in body and " T." not in body, body
    image = _images()["rgb" if kind == "tensor" else kind]
    torch_in, ms_in = (T.ToTensor()(image), vision.ToTensor()(image)) if kind == "tensor" else (image, image)
    want = _as_arrays(torch_ns[f"op_{i}"]()(torch_in))
    got = _as_arrays(ms_ns[f"op_{i}"]()(ms_in))
    assert len(want) == len(got)
    for w, g in zip(want, got):
        assert w.shape == g.shape and w.dtype == g.dtype, (w.shape, g.shape, w.dtype, g.dtype)
        if w.dtype == np.uint8:
            np.testing.assert_array_equal(g, w)
        else:
            np.testing.assert_allclose(g, w, rtol=0, atol=1e-6)


def test_verified_transforms_are_exactly_the_tested_ones():
    tested = {c[0] for c in TRANSFORM_CASES}
    verified = {name for name, e in tv_rules.TRANSFORMS.items() if e.status == "verified"}
    assert verified == tested, (sorted(verified - tested), sorted(tested - verified))


def test_every_transform_target_exists():
    import importlib

    for name, entry in tv_rules.TRANSFORMS.items():
        if entry.to is None:
            continue
        module, _, attr = entry.to.rpartition(".")
        owner = importlib.import_module(module) if module.count(".") <= 2 else None
        if owner is None:  # an enum member (vision.Inter.BICUBIC)
            mod, _, cls = module.rpartition(".")
            owner = getattr(importlib.import_module(mod), cls)
        assert hasattr(owner, attr), entry.to


def test_unverified_transform_is_converted_and_flagged():
    code = convert_source("import torchvision.transforms as T\nj = T.ColorJitter(0.4, 0.4)\n").code
    assert "j = vision.RandomColorAdjust(0.4, 0.4)  # TODO(torch2ms): torchvision.transforms.ColorJitter" in code
    assert "is not verified" in code


def test_transform_without_counterpart_is_flagged_with_the_recipe():
    code = convert_source("import torchvision.transforms as T\nt = T.ToPILImage()\n").code
    assert "mindspore.dataset.vision.ToPIL() takes an HWC numpy array" in code
    assert "import torchvision.transforms as T" in code  # kept for the flagged line


def test_compose_called_on_one_image_is_flagged():
    code = convert_source(textwrap.dedent("""\
        from torchvision import transforms
        class D:
            def __init__(self):
                self.t = transforms.Compose([transforms.ToTensor()])
            def __getitem__(self, i):
                return self.t(self.images[i])
        """)).code
    assert "return self.t(self.images[i])  # TODO(torch2ms): self.t is a mindspore.dataset.transforms.Compose" in code


def test_lambda_becomes_its_function_flagged():
    code = convert_source("from torchvision import transforms\nt = transforms.Lambda(lambda x: x * 255)\n").code
    assert code.startswith("t = lambda x: x * 255  # TODO(torch2ms): torchvision.transforms.Lambda(f) -> f")


# ------------------------------------------------------------------ datasets
def _write_mnist(root, rng):
    raw = os.path.join(root, "MNIST", "raw")
    os.makedirs(raw)
    for split, n in (("train", 4), ("t10k", 3)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, n, dtype=np.uint8)
        with open(os.path.join(raw, f"{split}-images-idx3-ubyte"), "wb") as f:
            f.write(struct.pack(">IIII", 2051, n, 28, 28) + images.tobytes())
        with open(os.path.join(raw, f"{split}-labels-idx1-ubyte"), "wb") as f:
            f.write(struct.pack(">II", 2049, n) + labels.tobytes())


def _write_folder(root, rng):
    from PIL import Image

    for cls in ("dog", "cat"):
        os.makedirs(os.path.join(root, cls))
        for j in range(2):
            Image.fromarray(rng.integers(0, 256, (30 + j, 41, 3), dtype=np.uint8)).save(
                os.path.join(root, cls, f"{j}.png"))
    Image.fromarray(rng.integers(0, 256, (30, 41), dtype=np.uint8)).save(os.path.join(root, "cat", "gray.png"))


DATASET_SOURCE = """\
import torchvision
from torchvision import datasets, transforms

def mnist(root, train):
    t = transforms.Compose([transforms.Resize(20), transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    return datasets.MNIST(root, train=train, download=False, transform=t)

def mnist_raw(root):
    return datasets.MNIST(root=root, train=False)

def folder(root):
    return torchvision.datasets.ImageFolder(root, transforms.Compose([transforms.Resize(16), transforms.CenterCrop(14), transforms.ToTensor()]))
"""


def _rows(dataset):
    return [tuple(row) for row in dataset.create_tuple_iterator(output_numpy=True)]


def test_datasets_read_torchvisions_files_with_its_numbers(torchvision, tmp_path):
    rng = np.random.default_rng(1)
    _write_mnist(tmp_path / "m", rng)
    _write_folder(tmp_path / "f", rng)
    code = convert_source(DATASET_SOURCE).code
    assert MARKER not in code and "torchvision" not in code, code
    torch_ns, ms_ns = {}, {}
    exec(DATASET_SOURCE, torch_ns)
    exec(code, ms_ns)
    pairs = [(torch_ns["mnist"](str(tmp_path / "m"), flag), ms_ns["mnist"](str(tmp_path / "m"), flag))
             for flag in (True, False)]
    pairs.append((torch_ns["folder"](str(tmp_path / "f")), ms_ns["folder"](str(tmp_path / "f"))))
    for torch_ds, ms_ds in pairs:
        rows = _rows(ms_ds)
        assert len(rows) == len(torch_ds) == len(ms_ds)
        for (image, label), (ms_image, ms_label) in zip(torch_ds, rows):
            assert ms_image.shape == tuple(image.shape) and ms_image.dtype == np.float32
            np.testing.assert_allclose(ms_image, image.numpy(), rtol=0, atol=1e-6)
            assert int(ms_label) == label and ms_label.dtype == np.int64
    # what the marker on a DataLoader over it says to write: shuffle, batch, iterate
    import mindspore as ms

    mnist = ms_ns["mnist"](str(tmp_path / "m"), True)
    batches = [(x, y) for x, y in mnist.shuffle(mnist.get_dataset_size()).batch(3, drop_remainder=True)]
    assert len(batches) == 1 and isinstance(batches[0][0], ms.Tensor)
    assert batches[0][0].shape == (3, 1, 20, 20) and batches[0][1].dtype == ms.int64
    raw = _rows(ms_ns["mnist_raw"](str(tmp_path / "m")))
    for (image, label), (ms_image, ms_label) in zip(torch_ns["mnist_raw"](str(tmp_path / "m")), raw):
        np.testing.assert_array_equal(ms_image[..., 0], np.asarray(image))


def test_dataset_download_and_cifar_files_are_flagged():
    code = convert_source(textwrap.dedent("""\
        from torch.utils.data import DataLoader
        from torchvision import datasets
        loader = DataLoader(datasets.MNIST("d"), batch_size=4)
        a = datasets.MNIST("d", train=True, download=True)
        b = datasets.CIFAR10("d", train=False, download=False)
        c = datasets.SVHN("d", split="train")
        """)).code
    lines = code.splitlines()
    assert "download= dropped" in next(l for l in lines if l.startswith("a = ms.dataset.MnistDataset("))
    assert "cifar-10-batches-py" in next(l for l in lines if l.startswith("b = ms.dataset.Cifar10Dataset("))
    assert "mindspore.dataset.SVHNDataset" in next(l for l in lines if l.startswith("c = datasets.SVHN("))
    loader = convert_source(textwrap.dedent("""\
        from torch.utils.data import DataLoader
        from torchvision import datasets
        train = datasets.MNIST("d")
        loader = DataLoader(train, batch_size=4, shuffle=True, collate_fn=pad)
        """)).code
    assert "train is a mindspore.dataset.MnistDataset already" in loader
    assert "GeneratorDataset(source" not in loader


def test_cifar_download_marker_does_not_contradict_the_files_note():
    code = convert_source(textwrap.dedent("""\
        from torchvision import datasets
        b = datasets.CIFAR10("d", train=True, download=True)
        """)).code
    download = next(l for l in code.splitlines() if "download= dropped" in l)
    assert "Cifar10Dataset does not read" in download and "Cifar10Download(root)" in download
    assert "writes the files" not in download


def test_loader_of_a_converted_dataset_gives_the_batches_of_the_dataloader(torchvision):
    """The .shuffle/.batch chain that replaces DataLoader(ds, ...) batches as the DataLoader does."""
    import mindspore.dataset as msds
    import torch
    from torch.utils.data import DataLoader, TensorDataset
    code = convert_source(textwrap.dedent("""\
        from torch.utils.data import DataLoader
        from torchvision import datasets
        train = datasets.MNIST("d")
        loader = DataLoader(dataset=train, batch_size=4, shuffle=True, drop_last=last)
        """)).code
    chain = next(l for l in code.splitlines() if l.startswith("loader = ")).split(" = ", 1)[1]
    assert chain == "train.shuffle(train.get_dataset_size()).batch(4, drop_remainder=last)"
    images = np.arange(10 * 3, dtype=np.float32).reshape(10, 1, 3)
    labels = np.arange(10, dtype=np.int64)
    for last in (False, True):
        train = msds.NumpySlicesDataset({"image": images, "label": labels}, shuffle=False)
        loader = eval(chain, {"train": train, "last": last})
        torch_loader = DataLoader(TensorDataset(torch.from_numpy(images), torch.from_numpy(labels)),
                                  batch_size=4, shuffle=True, drop_last=last)
        assert len(loader) == len(torch_loader)
        for _ in range(2):  # epochs
            ms_batches = [(x.shape, sorted(y.asnumpy().tolist())) for x, y in loader]
            torch_batches = [(tuple(x.shape), y) for x, y in torch_loader]
            assert [s for s, _ in ms_batches] == [s for s, _ in torch_batches]
            seen = [v for _, y in ms_batches for v in y]
            assert len(set(seen)) == len(seen) == (8 if last else 10)  # each item once per epoch


# ------------------------------------------------------------------ utils
UTILS_SOURCE = """\
import torch
import torchvision.utils as vutils
from torchvision.utils import make_grid

def grid(x, **kw):
    return make_grid(x, **kw)

def save(x, path, **kw):
    vutils.save_image(x.detach(), path, **kw)
"""

UTILS_CASES = [
    ((5, 3, 8, 6), {}), ((5, 3, 8, 6), {"nrow": 2, "padding": 1, "pad_value": 0.5}),
    ((4, 1, 7, 7), {"normalize": True}), ((4, 3, 7, 7), {"normalize": True, "scale_each": True}),
    ((3, 3, 5, 5), {"normalize": True, "value_range": (-1, 1)}), ((1, 3, 6, 6), {}), ((2, 9, 9), {}),
]


@pytest.mark.parametrize("shape,kwargs", UTILS_CASES, ids=[str(c) for c in UTILS_CASES])
def test_make_grid_and_save_image_match_torchvision(torchvision, tmp_path, shape, kwargs):
    import mindspore as ms
    import torch
    from PIL import Image

    code = convert_source(UTILS_SOURCE).code
    assert MARKER not in code and "torchvision" not in code and "torch." not in code, code
    torch_ns, ms_ns = {}, {}
    exec(UTILS_SOURCE, torch_ns)
    exec(code, ms_ns)
    x = np.random.default_rng(2).uniform(-1.5, 1.5, shape).astype(np.float32)
    want = torch_ns["grid"](torch.from_numpy(x), **kwargs).numpy()
    got = ms_ns["grid"](ms.Tensor(x), **kwargs)
    assert isinstance(got, ms.Tensor)
    np.testing.assert_allclose(got.asnumpy(), want, rtol=0, atol=1e-6)
    torch_ns["save"](torch.from_numpy(x), tmp_path / "torch.png", **kwargs)
    ms_ns["save"](ms.Tensor(x), tmp_path / "ms.png", **kwargs)
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "ms.png")),
                                  np.asarray(Image.open(tmp_path / "torch.png")))


def test_helpers_are_written_once_and_the_conversion_is_idempotent():
    code = convert_source(UTILS_SOURCE).code
    assert code.count("def make_grid(") == 1 and code.count("def save_image(") == 1
    assert convert_source(code).code == code


# ------------------------------------------------------------------ models
def _param_count_torch(torchvision, name):
    import torch

    try:
        with torch.device("meta"):
            model = getattr(torchvision.models, name)()
    except NotImplementedError:  # builders that compute on tensors (regnet)
        model = getattr(torchvision.models, name)()
    return sum(p.numel() for p in model.parameters())


def _param_count_mindcv(name):
    import mindcv
    from mindspore.nn.utils import no_init_parameters

    try:
        with no_init_parameters():
            model = mindcv.create_model(name)
    except RuntimeError:  # builders that compute on their parameters (convnext)
        model = mindcv.create_model(name)
    return sum(int(np.prod(p.shape)) for p in model.trainable_params())


@pytest.mark.parametrize("name", sorted(tv_rules.MODELS), ids=sorted(tv_rules.MODELS))
def test_model_table_names_the_same_architecture(torchvision, name):
    spec = tv_rules.MODELS[name]
    same = _param_count_torch(torchvision, name) == _param_count_mindcv(spec["to"])
    assert same == (spec["status"] == "verified"), (name, spec)


def test_torchvision_weights_load_into_mindcv_by_the_weight_table(torchvision):
    import mindcv
    import mindspore as ms
    import torch

    from torch2ms.parity import transfer_weights

    torch.manual_seed(0)
    torch_model = torchvision.models.resnet18(num_classes=10).eval()
    for module in torch_model.modules():  # non-trivial batch-norm statistics
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.1, 0.1)
            module.running_var.uniform_(0.5, 1.5)
    ms_model = mindcv.create_model("resnet18", num_classes=10)
    ms_model.set_train(False)
    # the fix the marker of a converted resnet names
    ms_model.max_pool = ms.nn.MaxPool2d(kernel_size=3, stride=2, pad_mode="pad", padding=1)
    assert "model.max_pool = mindspore.nn.MaxPool2d(kernel_size=3, stride=2, pad_mode='pad', padding=1)" \
        in tv_rules.MODELS["resnet18"]["note"]
    report = transfer_weights(torch_model, ms_model, rename=tv_rules.weight_rename("resnet18"), strict=False)
    assert not report.ms_only and not report.shape_mismatch
    assert all(n.endswith("num_batches_tracked") for n in report.torch_only), report.torch_only
    x = np.random.default_rng(3).standard_normal((2, 3, 64, 64)).astype(np.float32)
    with torch.no_grad():
        want = torch_model(torch.from_numpy(x)).numpy()
    got = ms_model(ms.Tensor(x)).asnumpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_model_builder_becomes_create_model():
    code = convert_source(textwrap.dedent("""\
        import torchvision
        from torchvision import models
        a = models.resnet50(weights=None, num_classes=10)
        b = torchvision.models.mobilenet_v2(weights=models.MobileNet_V2_Weights.DEFAULT)
        c = models.alexnet()
        """)).code
    assert 'a = mindcv.create_model("resnet50", num_classes=10)  # TODO(torch2ms): ' in code
    assert "set model.max_pool" in next(l for l in code.splitlines() if l.startswith("a = "))
    assert 'b = mindcv.create_model("mobilenet_v2_100", pretrained=True)\n' in code
    assert "# TODO(torch2ms): torchvision.models.mobilenet_v2: pretrained=True loads mindcv's own" in code
    assert "mindcv.list_models()" in next(l for l in code.splitlines() if l.startswith("c = "))


def test_a_file_of_untouched_library_calls_is_not_counted_as_converted():
    for source in ("import torchvision\nboxes = torchvision.ops.nms(b, s, 0.5)\n",
                   "import timm\nm = timm.layers.DropPath(0.1)\n",
                   "from diffusers import NoSuchPipeline\np = NoSuchPipeline()\n"):
        result = convert_source(source)
        assert result.found == result.flagged == 1 and result.converted == 0, (source, result.to_dict())
        assert "TODO(torch2ms)" in result.code
