"""Speed of the CPU verification runtime: torch models against their MindSpore ports on CPU.

For each model pair (the torch model and its port, torch's weights copied into the port with
`torch2ms.parity`), first the parity of a forward pass and of one training step is checked (so
the figures are of ports that compute what torch computes), then the forward pass and one
training step (forward, backward, AdamW update) are timed on both sides, alternately in rounds,
and the port's time is printed as a ratio to torch's: the median over the rounds of the ratio
within a round. A per-op table times each op the models use at the models' shapes, as the ports
call it (`fallback`: an implementation of torch2ms.cpu_fallback; `native`: MindSpore's own kernel),
against the torch op, forward and forward + backward.

    .venv/bin/python benchmarks/bench_runtime.py [--models gpt,cnn,lstm,llama] [--rounds 7]
    .venv/bin/python benchmarks/bench_runtime.py --ops-only
    .venv/bin/python benchmarks/bench_runtime.py --baseline main   # before/after, one run

--baseline REV measures the fallback of commit REV (its `scripts/`, extracted to a temporary
folder) and the working tree's in alternating child processes of one run and prints both.

Both frameworks run their kernels on `--threads` threads (default 1): on a shared machine a
multi-threaded kernel mostly measures the scheduler. Target (issue 20): forward and training step
within 2x of torch on each model. Nothing here is a test: figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MODELS_DIR = HERE / "runtime_models"
UNSEEN = ROOT / "tests" / "e2e" / "unseen"
MODEL_NAMES = ("gpt", "cnn", "lstm", "llama", "cohere2")
DEFAULT_MODELS = ("gpt", "cnn", "lstm", "llama")


# ---------------------------------------------------------------- set-up

def configure(threads: int) -> None:
    import mindspore
    import torch

    torch.set_num_threads(threads)
    from mindspore._c_expression import RuntimeConf  # pylint: disable=no-name-in-module

    if not RuntimeConf.get_instance().is_op_threads_num_configured():
        mindspore.device_context.cpu.op_tuning.threads_num(threads)
    import torch2ms.cpu_fallback as fallback

    fallback.enable()


def load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------- the model pairs

class Pair:
    """A torch model, its port (torch's weights copied in), inputs as numpy arrays, and how to
    get a scalar loss out of each side's output."""

    def __init__(self, name, what, torch_model, port, args, kwargs=None, loss_output="1"):
        self.name, self.what = name, what
        self.torch_model, self.port = torch_model, port
        self.args, self.kwargs = tuple(args), dict(kwargs or {})
        self.loss_output = loss_output  # dotted path of the loss in the output (parity's notation)


def _lm_ids(batch, seq, vocab, seed=0):
    import numpy as np

    rng = np.random.default_rng(seed)
    return rng.integers(0, vocab, (batch, seq)).astype(np.int64), rng.integers(0, vocab, (batch, seq)).astype(np.int64)


def pair_gpt():
    import torch

    sys.path.insert(0, str(MODELS_DIR))
    torch_file, port_file = load(UNSEEN / "gpt.py", "bench_gpt_torch"), load(MODELS_DIR / "gpt_ms.py", "bench_gpt_ms")
    cfg = dict(vocab_size=64, block_size=64, n_layer=4, n_head=4, n_embd=128, dropout=0.0)
    torch.manual_seed(0)
    ids, targets = _lm_ids(4, 64, 64)
    return Pair("gpt", "small GPT, 4 layers x 128, batch 4 x 64 tokens (tests/e2e/unseen/gpt.py)",
                torch_file.build_model(**cfg), port_file.build_model(**cfg), (ids, targets))


def pair_cnn():
    import numpy as np
    import torch

    torch_file = load(UNSEEN / "train_classifier.py", "bench_cnn_torch")
    port_file = load(MODELS_DIR / "cnn_ms.py", "bench_cnn_ms")
    torch.manual_seed(0)
    images = np.random.default_rng(0).standard_normal((16, 3, 32, 32)).astype(np.float32)
    return Pair("cnn", "CNN: 2 x (conv, batch norm, relu, max pool), linear; batch 16 x 3 x 32 x 32 "
                "(tests/e2e/unseen/train_classifier.py)",
                torch_file.build_model(width=16), port_file.build_model(width=16), (images,), loss_output=None)


def pair_lstm():
    import torch

    torch_file = load(MODELS_DIR / "lstm_torch.py", "bench_lstm_torch")
    port_file = load(MODELS_DIR / "lstm_ms.py", "bench_lstm_ms")
    torch.manual_seed(0)
    ids, targets = _lm_ids(8, 32, 64)
    return Pair("lstm", "character LSTM: embedding, 2-layer LSTM x 128, linear; batch 8 x 32 steps",
                torch_file.build_model(), port_file.build_model(), (ids, targets))


def pair_llama():
    import numpy as np
    import torch
    import transformers

    import mindone.transformers as mindone_transformers

    config = transformers.LlamaConfig(vocab_size=256, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128)
    config._attn_implementation = "eager"  # mindone's ports have no SDPA
    torch.manual_seed(0)
    torch_model = transformers.LlamaForCausalLM(config)
    port = mindone_transformers.LlamaForCausalLM(config)
    ids = np.random.default_rng(0).integers(0, 256, (2, 32)).astype(np.int64)
    kwargs = {"input_ids": ids, "labels": ids, "use_cache": False, "return_dict": True}
    return Pair("llama", "transformers 4.57.1 LlamaForCausalLM vs mindone 0.5.0's port: 2 layers x 64, "
                "batch 2 x 32", torch_model, port, (), kwargs, loss_output="loss")


def pair_cohere2():
    import numpy as np
    import torch

    folder = ROOT / "examples" / "modeling"
    sys.path.insert(0, str(folder))
    config = load(folder / "configuration_cohere2.py", "configuration_cohere2").Cohere2Config()
    torch_file = load(folder / "modeling_cohere2_torch.py", "bench_cohere2_torch")
    port_file = load(folder / "modeling_cohere2.py", "bench_cohere2_ms")
    torch.manual_seed(0)
    ids = np.random.default_rng(0).integers(1, config.vocab_size, (2, 20)).astype(np.int64)
    return Pair("cohere2", "examples/modeling Cohere2 (hand-written port), batch 2 x 20",
                torch_file.Cohere2ForCausalLM(config), port_file.Cohere2ForCausalLM(config), (ids,), loss_output="0")


PAIRS = {"gpt": pair_gpt, "cnn": pair_cnn, "lstm": pair_lstm, "llama": pair_llama, "cohere2": pair_cohere2}


# ---------------------------------------------------------------- steps

def _pick(output, path):
    if path is None:
        return output
    for part in path.split("."):
        output = output[int(part)] if part.isdigit() else (
            output[part] if isinstance(output, dict) else getattr(output, part))
    return output


def _scalar_loss(value):
    """The loss at `loss_output`; an output that is not a scalar (the CNN's logits) gets the sum
    of squares as its loss, on both sides."""
    if value.ndim == 0:
        return value
    return (value * value).mean()


def steps(pair: Pair):
    """(torch forward, port forward, torch train step, port train step): each runs to completion."""
    import mindspore
    import torch

    t_args = [torch.from_numpy(a) for a in pair.args]
    t_kwargs = {k: torch.from_numpy(v) if hasattr(v, "dtype") else v for k, v in pair.kwargs.items()}
    m_args = [mindspore.Tensor(a) for a in pair.args]
    m_kwargs = {k: mindspore.Tensor(v) if hasattr(v, "dtype") else v for k, v in pair.kwargs.items()}
    tm, pm = pair.torch_model, pair.port
    t_opt = torch.optim.AdamW(tm.parameters(), lr=1e-4)
    m_opt = mindspore.mint.optim.AdamW(pm.trainable_params(), lr=1e-4)
    last_param = m_opt.parameters[-1]

    def torch_forward():
        tm.eval()
        with torch.no_grad():
            return _scalar_loss(_pick(tm(*t_args, **t_kwargs), pair.loss_output))

    def port_forward():
        pm.set_train(False)
        return _scalar_loss(_pick(pm(*m_args, **m_kwargs), pair.loss_output))

    def torch_train():
        tm.train()
        t_opt.zero_grad()
        loss = _scalar_loss(_pick(tm(*t_args, **t_kwargs), pair.loss_output))
        loss.backward()
        t_opt.step()
        return loss

    def loss_fn(*args):
        return _scalar_loss(_pick(pm(*args, **m_kwargs), pair.loss_output))

    grad_fn = mindspore.value_and_grad(loss_fn, None, m_opt.parameters)

    def port_train():
        pm.set_train(True)
        loss, grads = grad_fn(*m_args)
        m_opt(grads)
        return last_param, loss  # settled on a parameter: the update has run

    return torch_forward, port_forward, torch_train, port_train


def parity(pair: Pair) -> dict:
    """Forward and training-step parity of the pair (weights copied in by name)."""
    from torch2ms.parity import compare, compare_training_step

    inputs = (pair.args, pair.kwargs)
    fwd = compare(pair.torch_model, pair.port, inputs, localise=False)
    loss = (lambda out: _scalar_loss(_pick(out, pair.loss_output)),
            lambda out: _scalar_loss(_pick(out, pair.loss_output)))
    train = compare_training_step(pair.torch_model, pair.port, inputs, loss=loss, optimizer="adamw",
                                  optimizer_kwargs={"lr": 1e-4})

    def worst(report):
        return max((r.max_abs for r in report.results if r.max_abs is not None), default=float("nan"))

    return {"forward_ok": fwd.ok, "forward_max_abs": worst(fwd), "train_ok": train.ok, "train_max_abs": worst(train),
            "weights": len(fwd.weights.copied) if fwd.weights else 0}


# ---------------------------------------------------------------- timing

def settle(value):
    """Wait until a result (a MindSpore tensor, or a tuple of them) is computed: MindSpore runs
    ops asynchronously. torch results are ready when returned."""
    while isinstance(value, (tuple, list)) and value:
        value = value[0]
    if hasattr(value, "asnumpy"):
        value.asnumpy()
    return value


def _batch(fn, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        result = fn()
    settle(result)
    return (time.perf_counter() - start) / n


def alternate(torch_fn, port_fn, rounds: int, target: float) -> dict:
    """Time both alternately, `rounds` times, each as a batch of calls of about `target` seconds
    (settled once at the end of the batch, as ops run inside a model); medians of each side and
    of the per-round ratio."""
    for _ in range(2):
        settle(torch_fn())
        settle(port_fn())
    n_torch = max(1, min(1000, round(target / max(_batch(torch_fn, 1), 1e-6))))
    n_port = max(1, min(1000, round(target / max(_batch(port_fn, 1), 1e-6))))
    t_times, p_times, ratios = [], [], []
    for r in range(rounds):
        order = ((torch_fn, n_torch, t_times), (port_fn, n_port, p_times))
        for fn, n, out in (order if r % 2 == 0 else order[::-1]):
            out.append(_batch(fn, n))
        ratios.append(p_times[-1] / t_times[-1])
    return {"torch_ms": 1e3 * statistics.median(t_times), "port_ms": 1e3 * statistics.median(p_times),
            "ratio": statistics.median(ratios), "ratio_min": min(ratios), "ratio_max": max(ratios)}


def measure_model(name: str, rounds: int, target: float) -> dict:
    pair = PAIRS[name]()
    checked = parity(pair)
    torch_fwd, port_fwd, torch_train, port_train = steps(pair)
    result = {"model": name, "what": pair.what, **checked}
    result["forward"] = alternate(torch_fwd, port_fwd, rounds, target)
    result["train"] = alternate(torch_train, port_train, rounds, target)
    return result


# ---------------------------------------------------------------- per-op table

def _scores(qkv, width, heads):
    """GPT attention scores from a fused projection, written the same for torch and MindSpore."""
    q, k, _ = qkv.split(width, dim=2)
    q, k = q.view(*heads).transpose(1, 2), k.view(*heads).transpose(1, 2)
    return q @ k.transpose(-2, -1)


def op_cases():
    """(name, shape note, torch callable, port callable, inputs) at the models' shapes; each
    callable takes the inputs (float ones get gradients) and returns a tensor."""
    import numpy as np
    import torch
    import torch.nn.functional as tF

    import mindspore
    from mindspore import mint, nn, ops

    mF = mint.nn.functional
    rng = np.random.default_rng(0)

    def f(*shape, positive=False):
        a = rng.standard_normal(shape).astype(np.float32)
        return np.abs(a) + 0.1 if positive else a

    def ints(high, *shape):
        return rng.integers(0, high, shape).astype(np.int64)

    B, T, C, H, V = 4, 64, 128, 4, 64
    x, w, b = f(B, T, C), f(C), f(C)
    mask = np.tril(np.ones((T, T), np.float32)).reshape(1, 1, T, T)
    t_mask, m_mask = torch.from_numpy(mask) == 0, mindspore.Tensor(mask) == 0  # as the GPT's buffer
    layer_t = torch.nn.LSTM(64, 128, num_layers=2, batch_first=True)
    layer_m = nn.LSTM(64, 128, num_layers=2, batch_first=True)
    # torch's weights in the MindSpore LSTM, so both compute the same
    m_params = dict(layer_m.parameters_and_names())
    for name, p in layer_t.named_parameters():
        m_params[name].set_data(mindspore.Tensor(p.detach().numpy()))
    bn_t = torch.nn.BatchNorm2d(16).train()
    bn_m = mint.nn.BatchNorm2d(16)
    bn_m.set_train(True)
    drop_m = mint.nn.Dropout(0.1)
    drop_m.set_train(True)

    return [
        ("embedding", f"ids {B}x{T}, table {V}x{C}",
         lambda i, e: tF.embedding(i, e), lambda i, e: mF.embedding(i, e), (ints(V, B, T), f(V, C))),
        ("embedding (positions)", f"arange({T}), table {T}x{C}",
         lambda e: tF.embedding(torch.arange(T), e), lambda e: mF.embedding(mint.arange(T), e), (f(T, C),)),
        ("layer_norm", f"{B}x{T}x{C}",
         lambda a, g, c: tF.layer_norm(a, (C,), g, c), lambda a, g, c: mF.layer_norm(a, (C,), g, c), (x, w, b)),
        ("linear", f"{B}x{T}x{C} -> {3 * C}",
         lambda a, m, c: tF.linear(a, m, c), lambda a, m, c: mF.linear(a, m, c), (x, f(3 * C, C), f(3 * C))),
        ("linear (no bias)", f"{B}x{T}x{C} -> {V}",
         lambda a, m: tF.linear(a, m), lambda a, m: mF.linear(a, m), (x, f(V, C))),
        ("gelu", f"{B}x{T}x{4 * C}", lambda a: tF.gelu(a), lambda a: mF.gelu(a), (f(B, T, 4 * C),)),
        ("gelu (tanh)", f"{B}x{T}x{4 * C}", lambda a: tF.gelu(a, approximate="tanh"),
         lambda a: mF.gelu(a, approximate="tanh"), (f(B, T, 4 * C),)),
        ("softmax", f"{B}x{H}x{T}x{T}", lambda a: tF.softmax(a, -1), lambda a: mF.softmax(a, dim=-1),
         (f(B, H, T, T),)),
        ("masked_fill (causal)", f"{B}x{H}x{T}x{T}",
         lambda a: a.masked_fill(t_mask, float("-inf")), lambda a: a.masked_fill(m_mask, float("-inf")),
         (f(B, H, T, T),)),
        ("matmul (attention)", f"{B}x{H}x{T}x{C // H} @ ..x{C // H}x{T}",
         lambda q, k: q @ k, lambda q, k: q @ k, (f(B, H, T, C // H), f(B, H, C // H, T))),
        ("qkv split, heads, q @ k^T", f"{B}x{T}x{3 * C} -> {B}x{H}x{T}x{T}",
         lambda a: _scores(a, C, (B, T, H, C // H)), lambda a: _scores(a, C, (B, T, H, C // H)), (f(B, T, 3 * C),)),
        ("transpose + contiguous", f"{B}x{H}x{T}x{C // H}",
         lambda a: a.transpose(1, 2).contiguous(), lambda a: a.transpose(1, 2).contiguous(), (f(B, H, T, C // H),)),
        ("add", f"{B}x{T}x{C}", lambda a, c: a + c, lambda a, c: a + c, (x, f(B, T, C))),
        ("dropout (train, p=0.1)", f"{B}x{T}x{C}", lambda a: tF.dropout(a, 0.1, True),
         lambda a: drop_m(a), (x,)),
        ("cross_entropy", f"{B * T}x{V}, ignore_index=-1",
         lambda a, t: tF.cross_entropy(a, t, ignore_index=-1),
         lambda a, t: mF.cross_entropy(a, t, ignore_index=-1), (f(B * T, V), ints(V, B * T))),
        ("arange", f"{T}", lambda: torch.arange(0, T), lambda: mint.arange(0, T, dtype=mindspore.int64), ()),
        ("conv2d", "16x3x32x32, 16x3x3x3, padding 1",
         lambda a, k, c: tF.conv2d(a, k, c, padding=1), lambda a, k, c: mF.conv2d(a, k, c, padding=1),
         (f(16, 3, 32, 32), f(16, 3, 3, 3), f(16))),
        ("batch_norm (train)", "16x16x32x32", lambda a: bn_t(a), lambda a: bn_m(a), (f(16, 16, 32, 32),)),
        ("relu", "16x16x32x32", lambda a: tF.relu(a), lambda a: mF.relu(a), (f(16, 16, 32, 32),)),
        ("max_pool2d", "16x16x32x32, 2", lambda a: tF.max_pool2d(a, 2), lambda a: mF.max_pool2d(a, 2),
         (f(16, 16, 32, 32),)),
        ("LSTM (nn.LSTM)", "8x32x64 -> 2 layers x 128", lambda a: layer_t(a)[0], lambda a: layer_m(a)[0],
         (f(8, 32, 64),)),
        ("rms_norm (ops.rms_norm)", "2x32x64",
         lambda a, g: (a * torch.rsqrt(a.pow(2).mean(-1, keepdim=True) + 1e-6)) * g,
         lambda a, g: ops.rms_norm(a, g, 1e-6)[0], (f(2, 32, 64), f(64))),
        ("silu", "2x32x128", lambda a: tF.silu(a), lambda a: mF.silu(a), (f(2, 32, 128),)),
    ]


def reaches_fallback(fn, inputs) -> bool:
    """Whether calling `fn` runs code of torch2ms.cpu_fallback (a replacement or a patched
    method), traced on one call."""
    prefix = "torch2ms.cpu_fallback"
    hit = []

    def tracer(frame, event, arg):
        if event == "call" and frame.f_globals.get("__name__", "").startswith(prefix):
            hit.append(frame.f_code.co_name)

    sys.setprofile(tracer)
    try:
        fn(*inputs)
    finally:
        sys.setprofile(None)
    return bool(hit)


def measure_ops(rounds: int, target: float) -> list[dict]:
    import mindspore
    import torch

    rows = []
    for name, shape, torch_fn, port_fn, inputs in op_cases():
        t_in = [torch.from_numpy(a).requires_grad_(a.dtype.kind == "f") for a in inputs]
        m_in = [mindspore.Tensor(a) for a in inputs]
        floats = [i for i, a in enumerate(inputs) if a.dtype.kind == "f"]

        def t_fwd():
            with torch.no_grad():
                return torch_fn(*t_in)

        def p_fwd():
            return port_fn(*m_in)

        cotangent = {}

        def t_bwd():
            for t in t_in:
                t.grad = None
            out = torch_fn(*t_in)
            if "ones" not in cotangent:
                cotangent["ones"] = torch.ones_like(out)
            out.backward(cotangent["ones"])
            return t_in[floats[0]].grad

        grad = mindspore.grad(port_fn, grad_position=tuple(floats)) if floats else None  # cotangent: ones

        def p_bwd():
            return grad(*m_in)

        source = "fallback" if reaches_fallback(port_fn, m_in) else "native"
        row = {"op": name, "shape": shape, "source": source}
        row["forward"] = alternate(t_fwd, p_fwd, rounds, target)
        if floats:
            row["backward"] = alternate(t_bwd, p_bwd, rounds, target)
        rows.append(row)
    return rows


# ---------------------------------------------------------------- output

def _fmt_pair(m: dict) -> str:
    spread = f"({m['ratio_min']:.1f}-{m['ratio_max']:.1f})"
    return f"{m['torch_ms']:8.2f} {m['port_ms']:9.2f} {m['ratio']:6.1f}x {spread:>11}"


def print_models(results: list[dict], label: str = "") -> None:
    print(f"\nModels{label} (ms per call, medians; ratio = port / torch within a round: median, "
          f"and the rounds' range)")
    print(f"{'model':8} {'parity fwd/train (max abs err)':32} | {'forward: torch':>14} {'port':>9} {'ratio':>7} "
          f"{'range':>11} | {'train step: torch':>17} {'port':>9} {'ratio':>7} {'range':>11}")
    for r in results:
        ok = f"{'ok' if r['forward_ok'] else 'MISMATCH'} {r['forward_max_abs']:.1e} / " \
             f"{'ok' if r['train_ok'] else 'MISMATCH'} {r['train_max_abs']:.1e}"
        print(f"{r['model']:8} {ok:32} | {'':6}{_fmt_pair(r['forward'])} | {'':9}{_fmt_pair(r['train'])}")
    for r in results:
        print(f"  {r['model']}: {r['what']}")


def print_ops(rows: list[dict], label: str = "") -> None:
    print(f"\nOps{label} (us per call, medians; the port's call as the ports make it)")
    print(f"{'op':28} {'shape':38} {'source':8} | {'fwd: torch':>10} {'port':>9} {'ratio':>7} | "
          f"{'fwd+bwd: torch':>14} {'port':>9} {'ratio':>7}")
    for r in rows:
        f = r["forward"]
        line = f"{r['op']:28} {r['shape'][:38]:38} {r['source']:8} | {1e3 * f['torch_ms']:10.1f} " \
               f"{1e3 * f['port_ms']:9.1f} {f['ratio']:6.1f}x |"
        if "backward" in r:
            b = r["backward"]
            line += f" {1e3 * b['torch_ms']:14.1f} {1e3 * b['port_ms']:9.1f} {b['ratio']:6.1f}x"
        print(line)


# ---------------------------------------------------------------- before/after

def extract_scripts(rev: str, into: Path) -> Path:
    """`scripts/` of commit `rev` into a folder (git archive: no worktree, nothing checked out)."""
    archive = into / "scripts.tar"
    subprocess.run(["git", "-C", str(ROOT), "archive", "-o", str(archive), rev, "scripts"], check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return into / "scripts"


def child(argv: list[str], scripts: Path | None) -> list[dict]:
    env = dict(os.environ)
    if scripts is not None:
        env["PYTHONPATH"] = str(scripts) + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run([sys.executable, __file__, *argv, "--json"], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"bench_runtime: a measuring process failed:\n{out.stderr[-3000:]}")
    return [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]


def before_after(args) -> None:
    common = ["--rounds", str(args.rounds), "--threads", str(args.threads), "--target", str(args.target)]
    with tempfile.TemporaryDirectory(prefix="bench_runtime_") as tmp:
        base = extract_scripts(args.baseline, Path(tmp))
        rev = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", args.baseline], capture_output=True,
                             text=True).stdout.strip()
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True).stdout.strip()
        before, after, ops_before, ops_after = [], [], [], []
        for name in args.models:  # alternate before/after model by model, so both see the same load
            print(f"measuring {name} ...", file=sys.stderr, flush=True)
            before += child(["--models", name, "--no-ops"] + common, base)
            after += child(["--models", name, "--no-ops"] + common, None)
        if not args.no_ops:
            print("measuring ops ...", file=sys.stderr, flush=True)
            ops_before = child(["--ops-only"] + common, base)
            ops_after = child(["--ops-only"] + common, None)
    print_models(before, f": before, fallback of {args.baseline} ({rev})")
    print_models(after, f": after, working tree on {head}")
    if ops_before:
        print_ops(ops_before, f": before ({rev})")
        print_ops(ops_after, f": after ({head})")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(DEFAULT_MODELS),
                        help=f"comma-separated, of {', '.join(MODEL_NAMES)} (default: %(default)s)")
    parser.add_argument("--rounds", type=int, default=7, help="alternating rounds per figure (default 7)")
    parser.add_argument("--threads", type=int, default=1, help="kernel threads of both frameworks (default 1)")
    parser.add_argument("--target", type=float, default=0.25, help="seconds per timed batch of calls (default 0.25)")
    parser.add_argument("--no-ops", action="store_true", help="skip the per-op table")
    parser.add_argument("--ops-only", action="store_true", help="only the per-op table")
    parser.add_argument("--baseline", metavar="REV", help="also measure the fallback of commit REV, alternately")
    parser.add_argument("--json", action="store_true", help="one JSON object per result line")
    args = parser.parse_args(argv)
    args.models = [m for m in args.models.split(",") if m]
    unknown = [m for m in args.models if m not in PAIRS]
    if unknown:
        print(f"bench_runtime: unknown model {', '.join(unknown)} (known: {', '.join(MODEL_NAMES)})", file=sys.stderr)
        return 2
    if args.baseline:
        before_after(args)
        return 0

    configure(args.threads)
    import torch2ms

    if not args.json:
        print(f"torch2ms from {Path(torch2ms.__file__).parent}; threads {args.threads}; rounds {args.rounds}")
    results, rows = [], []
    if not args.ops_only:
        for name in args.models:
            print(f"measuring {name} ...", file=sys.stderr, flush=True)
            results.append(measure_model(name, args.rounds, args.target))
            if args.json:
                print(json.dumps(results[-1]), flush=True)
    if not args.no_ops:
        rows = measure_ops(args.rounds, min(args.target, 0.1))
        if args.json:
            for row in rows:
                print(json.dumps(row), flush=True)
    if not args.json:
        if results:
            print_models(results)
        if rows:
            print_ops(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
