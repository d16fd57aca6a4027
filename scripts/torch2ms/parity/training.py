"""Training-step parity: one loss, its gradients and one optimizer step on both sides.

Forward parity misses bugs that only touch gradients (a wrong backward, a stop-gradient, an
optimizer that does not update); this mode compares the loss, the gradient of every parameter
and every parameter after one step of the named optimizer (torch.optim.X vs mindspore.mint.optim.X;
on CPU, mint.optim needs torch2ms.cpu_fallback, which `torch2ms parity` enables).
Dropout must be off (p=0) or the model run with train_mode=False: random masks differ per framework.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np

from torch2ms.parity.compare import ParityReport
from torch2ms.parity.metrics import LeafResult, compare_leaves, resolve_tolerances
from torch2ms.parity.values import Leaf, split_inputs, tensor_leaf, to_framework
from torch2ms.parity.weights import transfer_weights

# optimizer name -> class name in torch.optim and mindspore.mint.optim (same signatures)
OPTIMIZERS = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW"}


def _pick(output, path: str | None):
    """The output tensor the loss is computed on: `path` in the nested output, or the first
    floating tensor."""
    if path is None:
        refs = flatten_refs(output)
        if not refs:
            raise ValueError("the model returned no floating tensor to compute a loss on")
        return next(iter(refs.values()))
    node = output
    for part in path.split("."):
        if isinstance(node, (list, tuple)):
            node = node[int(part)]
        elif hasattr(node, "keys"):
            node = node[part]
        else:
            node = getattr(node, part)
    return node


def _is_tensor(obj) -> bool:
    return hasattr(obj, "dtype") and hasattr(obj, "shape") and not isinstance(obj, np.ndarray)


def flatten_refs(obj, prefix=""):
    """Floating tensors of a nested output, by path (the tensors themselves, not copies)."""
    if _is_tensor(obj):
        return {prefix: obj} if "float" in str(obj.dtype).lower() else {}
    out = {}
    join = (lambda k: f"{prefix}.{k}") if prefix else str
    if hasattr(obj, "keys") and not isinstance(obj, type):
        for k in obj.keys():
            out.update(flatten_refs(obj[k], join(k)))
    elif isinstance(obj, (list, tuple)):
        for i, item in enumerate(obj):
            out.update(flatten_refs(item, join(i)))
    return out


def builtin_loss(name: str, shape: tuple, seed: int) -> tuple[Callable, Callable]:
    """Loss pair on the selected output `y` (cast to float32):
    - "projection": sum(y * R) with a fixed random R: every output element gets its own
      gradient (a plain sum would give softmax outputs a zero gradient);
    - "mse": mean((y - T)^2) against a fixed random target T;
    - "value": y itself (a model that already returns its loss, e.g. HF models given labels).
    """
    rng = np.random.default_rng(seed)
    const = rng.standard_normal(shape).astype(np.float32)
    if name == "value":
        return (lambda y: y.float().sum()), (lambda y: y.float().sum())
    if name not in ("projection", "mse"):
        raise ValueError(f"unknown loss {name!r}: use projection, mse, value or a pair of callables")

    def torch_loss(y):
        import torch

        c = torch.from_numpy(const)
        return (y.float() * c).sum() if name == "projection" else ((y.float() - c) ** 2).mean()

    def ms_loss(y):
        import mindspore

        c = mindspore.Tensor(const)
        return (y.float() * c).sum() if name == "projection" else ((y.float() - c) ** 2).mean()

    return torch_loss, ms_loss


def compare_training_step(
    torch_module,
    ms_cell,
    inputs,
    *,
    loss="projection",
    output: str | None = None,
    optimizer="adamw",
    optimizer_kwargs: dict | None = None,
    train_mode: bool = True,
    tolerances: dict | None = None,
    atol: float | None = None,
    rtol: float | None = None,
    rename=None,
    aliases: bool = True,
    seed: int = 0,
) -> ParityReport:
    """Compare loss, gradients of every parameter, and parameters after one optimizer step.

    loss: a builtin name (see `builtin_loss`) applied to the output at `output` (dotted path,
    default the first floating tensor), or a pair `(torch_fn, ms_fn)` of callables taking the
    whole model output and returning a scalar. optimizer: adamw (default), adam or sgd with
    `optimizer_kwargs` (default lr=0.1): torch.optim's and mindspore.mint.optim's class of that
    name; or a pair `(torch_factory, ms_factory)`, each called with its side's parameter list
    (the MindSpore optimizer is then called with the gradient tuple).
    """
    import mindspore
    import torch

    table = resolve_tolerances(tolerances, atol, rtol)
    weights = transfer_weights(torch_module, ms_cell, rename=rename, aliases=aliases)
    name_map = weights.name_map
    opt_kwargs = {"lr": 0.1, **(optimizer_kwargs or {})}
    if isinstance(optimizer, str):
        opt_name = OPTIMIZERS.get(optimizer.lower())
        if opt_name is None:
            raise ValueError(f"unknown optimizer {optimizer!r}: use one of {', '.join(OPTIMIZERS)}")
        make_t_opt = lambda params: getattr(torch.optim, opt_name)(params, **opt_kwargs)  # noqa: E731
        make_m_opt = lambda params: getattr(mindspore.mint.optim, opt_name)(params, **opt_kwargs)  # noqa: E731
    else:
        make_t_opt, make_m_opt = optimizer
        opt_name = "custom"
    args, kwargs = split_inputs(inputs)

    # torch side
    torch_module.train(train_mode)
    t_out = torch_module(*to_framework(args, "torch"), **to_framework(kwargs, "torch"))
    if callable(loss) or isinstance(loss, (tuple, list)):
        t_loss_fn, m_loss_fn = (loss if isinstance(loss, (tuple, list)) else (loss, loss))
        t_loss = t_loss_fn(t_out)
    else:
        selected = _pick(t_out, output)
        t_loss_fn, m_loss_fn = builtin_loss(loss, tuple(selected.shape), seed)
        t_loss_fn, m_loss_fn = _on_output(t_loss_fn, output), _on_output(m_loss_fn, output)
        t_loss = t_loss_fn(t_out)
    t_params = dict(torch_module.named_parameters())
    t_opt = make_t_opt([p for p in t_params.values() if p.requires_grad])
    t_opt.zero_grad()
    t_loss.backward()
    t_grads = {n: (p.grad if p.grad is not None else torch.zeros_like(p)) for n, p in t_params.items() if p.requires_grad}
    t_opt.step()

    # MindSpore side
    ms_cell.set_train(train_mode)
    m_train = ms_cell.trainable_params()
    m_opt = make_m_opt(m_train)
    ms_names = {id(p): n for n, p in ms_cell.parameters_and_names()}

    def forward(*a, **kw):
        return m_loss_fn(ms_cell(*a, **kw))

    grad_fn = mindspore.value_and_grad(forward, None, m_train)
    m_loss, m_grads = grad_fn(*to_framework(args, "mindspore"), **to_framework(kwargs, "mindspore"))
    m_grads_by_name = {ms_names[id(p)]: g for p, g in zip(m_train, m_grads)}
    grads_leaf = {n: tensor_leaf(g) for n, g in m_grads_by_name.items()}
    before = {n: tensor_leaf(p).value for n, p in ms_cell.parameters_and_names()}
    m_opt(m_grads)

    ref: dict[str, Leaf] = {"loss": tensor_leaf(t_loss)}
    got: dict[str, Leaf] = {"loss": tensor_leaf(m_loss)}
    for t_name, g in t_grads.items():
        ms_name = name_map.get(t_name, t_name)
        ref[f"grad:{t_name}"] = tensor_leaf(g)
        if ms_name in grads_leaf:
            got[f"grad:{t_name}"] = grads_leaf[ms_name]
    ms_params = dict(ms_cell.parameters_and_names())
    for t_name, p in t_params.items():
        ms_name = name_map.get(t_name, t_name)
        ref[f"param:{t_name}"] = tensor_leaf(p)
        if ms_name in ms_params:
            got[f"param:{t_name}"] = tensor_leaf(ms_params[ms_name])
    results = [_vanishing_gradient_step(r, ref, got, table) for r in compare_leaves(ref, got, table)]
    report = ParityReport("train-step" if train_mode else "train-step, eval mode", results, weights,
                          extra={"optimizer": opt_name, "loss": str(loss)})
    bad_grads = [r.path[5:] for r in results if not r.ok and r.path.startswith("grad:")]
    if bad_grads:
        # gradients flow backwards: a fault spoils the gradients of everything before it, so the
        # diverging one nearest the loss (the last in registration order, usually forward order)
        # is where to look
        report.localise_note = (
            f"gradients of {len(bad_grads)} parameters diverge; the one nearest the loss "
            f"(last in registration order): {bad_grads[-1]}"
        )
    elif any(not r.ok and r.path.startswith("param:") for r in results):
        report.localise_note = "gradients agree but parameters after the step differ: the optimizer step diverges"
        if all(np.array_equal(before[n], tensor_leaf(p).value) for n, p in ms_params.items() if n in before):
            # measured: on the CPU backend of mindspore 2.10, in-place Tensor ops (add_, mul_, ...)
            # return a result but leave the tensor unchanged, and mint.optim SGD/Adam update with
            # them; torch2ms.cpu_fallback makes them write
            report.localise_note += (
                "; the MindSpore step left every parameter unchanged (a likely cause on CPU: in-place "
                "Tensor ops such as add_, which mint.optim uses, do not write there in mindspore 2.10 "
                "unless torch2ms.cpu_fallback is enabled)"
            )
    return report


def _vanishing_gradient_step(result: LeafResult, ref, got, table) -> LeafResult:
    """A parameter whose gradient is zero up to rounding on both sides (e.g. a key bias under
    softmax) gets an Adam-type step of +-lr from the sign of that noise: its value after the step
    says nothing about the port. Such a failing parameter is passed with a note; the gradient
    itself was still compared."""
    if result.ok or not result.path.startswith("param:"):
        return result
    name = result.path[len("param:"):]
    grad_ref, grad_got = ref.get(f"grad:{name}"), got.get(f"grad:{name}")
    if grad_ref is None or grad_got is None or grad_ref.dtype not in table:
        return result
    atol = table[grad_ref.dtype]["atol"]
    if max(np.abs(grad_ref.value).max(initial=0), np.abs(grad_got.value).max(initial=0)) > atol:
        return result
    return dataclasses.replace(
        result, ok=True, problem=f"not compared: its gradient vanishes up to rounding (|g| <= {atol:g}), "
        f"so an adaptive step follows the rounding noise (max abs err {result.max_abs:.3g})",
    )


def _on_output(fn, path):
    return lambda out: fn(_pick(out, path))
