"""torchmetrics metrics converted to mindspore.train give torchmetrics' values.

Each case is a small torchmetrics function (a metric updated over three batches, then computed);
the converter turns it into MindSpore code, both run on the same data, and the values must agree.
The trap tests show why the converted updates look the way they do: fed as torchmetrics is,
mindspore.train.Perplexity and MSE give other numbers.
"""

import numpy as np
import pytest

from torch2ms.convert.engine import convert_source

TEMPLATE = """\
{imports}


def run(batches):
    metric = {constructor}
    for preds, target in batches:
        {update}
    value = metric.compute()
    metric.reset()
    return value
"""

CASES = {
    "accuracy_multiclass": ("from torchmetrics import Accuracy",
                            'Accuracy(task="multiclass", num_classes=5)', "metric(preds, target)",
                            ("f32 8x5", "i64 8 0..4")),
    "multiclass_accuracy_micro": ("from torchmetrics.classification import MulticlassAccuracy",
                                  'MulticlassAccuracy(num_classes=5, average="micro")',
                                  "metric.update(preds, target)", ("f32 8x5", "i64 8 0..4")),
    "mse_2d": ("from torchmetrics import MeanSquaredError", "MeanSquaredError()",
               "metric.update(preds, target)", ("f32 8x3", "f32 8x3")),
    "mae_2d": ("from torchmetrics.regression import MeanAbsoluteError", "MeanAbsoluteError()",
               "metric(preds=preds, target=target)", ("f32 8x3", "f32 8x3")),
    "perplexity": ("from torchmetrics.text import Perplexity", "Perplexity()",
                   "metric.update(preds, target)", ("f32 2x6x11", "i64 2x6 0..10")),
    "perplexity_ignore_index": ("from torchmetrics.text import Perplexity", "Perplexity(ignore_index=3)",
                                "metric.update(preds, target)", ("f32 2x6x11", "i64 2x6 0..10")),
}


def make(spec: str, rng) -> np.ndarray:
    dtype, dims, *rest = spec.split()
    shape = tuple(int(d) for d in dims.split("x"))
    if dtype == "i64":
        low, high = (int(v) for v in rest[0].split(".."))
        return rng.integers(low, high + 1, size=shape).astype(np.int64)
    return rng.standard_normal(shape).astype(np.float32)


def batches_of(specs, seed=0):
    rng = np.random.default_rng(seed)
    return [tuple(make(s, rng) for s in specs) for _ in range(3)]


def source(name: str) -> str:
    imports, constructor, update, _ = CASES[name]
    return TEMPLATE.format(imports=imports, constructor=constructor, update=update)


def run_torch(code: str, batches) -> float:
    import torch

    ns: dict = {}
    exec(compile(code, "<torchmetrics case>", "exec"), ns)
    return float(ns["run"]([tuple(torch.from_numpy(a.copy()) for a in b) for b in batches]))


def run_ms(code: str, batches) -> float:
    import mindspore as ms

    ns: dict = {}
    exec(compile(code, "<converted case>", "exec"), ns)
    return float(ns["run"]([tuple(ms.Tensor(a.copy()) for a in b) for b in batches]))


@pytest.fixture(scope="module", autouse=True)
def cpu_fallback():
    from torch2ms import cpu_fallback

    with cpu_fallback.enabled():
        yield


@pytest.mark.parametrize("name", sorted(CASES))
def test_converted_metric_gives_torchmetrics_value(name):
    code = source(name)
    result = convert_source(code)
    assert "TODO(torch2ms)" not in result.code, result.code
    assert "torchmetrics" not in result.code and "mindspore" in result.code, result.code
    batches = batches_of(CASES[name][3])
    want, got = run_torch(code, batches), run_ms(result.code, batches)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_perplexity_trap_mindspore_takes_probabilities():
    """Fed logits as torchmetrics is, mindspore.train.Perplexity gives another number (measured
    here: it takes log of the raw scores, floored at 1e-10)."""
    import mindspore as ms
    import torch
    from torchmetrics.text import Perplexity

    logits, target = batches_of(CASES["perplexity"][3])[0]
    want = float(Perplexity()(torch.from_numpy(logits), torch.from_numpy(target)))
    raw = ms.train.Perplexity()
    raw.update(ms.Tensor(logits.reshape(-1, 11)), ms.Tensor(target.reshape(-1)))
    assert abs(raw.eval() - want) > 1.0
    exp = np.exp(logits - logits.max(-1, keepdims=True))
    probs = ms.train.Perplexity()
    probs.update(ms.Tensor((exp / exp.sum(-1, keepdims=True)).reshape(-1, 11)), ms.Tensor(target.reshape(-1)))
    assert probs.eval() == pytest.approx(want, rel=1e-5)


def test_mse_trap_mindspore_divides_by_rows():
    import mindspore as ms
    import torch
    from torchmetrics import MeanSquaredError

    preds, target = batches_of(CASES["mse_2d"][3])[0]
    want = float(MeanSquaredError()(torch.from_numpy(preds), torch.from_numpy(target)))
    rows = ms.train.MSE()
    rows.update(ms.Tensor(preds), ms.Tensor(target))
    assert rows.eval() == pytest.approx(3 * want, rel=1e-5)  # (8, 3): divided by 8, not 24


def test_eval_returns_numpy_not_a_tensor():
    code = convert_source(source("accuracy_multiclass")).code
    import mindspore as ms

    ns: dict = {}
    exec(compile(code, "<converted>", "exec"), ns)
    value = ns["run"]([tuple(ms.Tensor(a) for a in b) for b in batches_of(CASES["accuracy_multiclass"][3])])
    assert isinstance(value, (float, np.floating)) and not isinstance(value, ms.Tensor)

