"""Every fallback op against torch 2.13 on CPU: values, shape, dtype, and gradients.

A row is a case: the mint API, its inputs, keyword arguments, and where it differs the torch
callable (default: the same path under `torch`). Float inputs are built in the dtype under test.
"""

from __future__ import annotations

import dataclasses
import functools
import zlib
from typing import Any, Callable

import numpy as np
import pytest

FLOATS = ("float32", "float16", "bfloat16")


@dataclasses.dataclass(frozen=True)
class Fl:  # a float tensor input, differentiable
    shape: tuple
    positive: bool = False
    diff: bool = True  # False: torch does not differentiate this argument (class weights)
    scale: float = 1.0
    offset: float = 0.0
    unit: bool = False  # values in (-0.9, 0.9)


@dataclasses.dataclass(frozen=True)
class Special:  # a fixed kind of float input: "infs" (with +-inf and nan), "signs" (+-1)
    kind: str
    shape: tuple = (8,)


@dataclasses.dataclass(frozen=True)
class In:  # an int64 tensor input
    low: int
    high: int
    shape: tuple


@dataclasses.dataclass(frozen=True)
class Bo:  # a bool tensor input
    shape: tuple


@dataclasses.dataclass(frozen=True)
class Seq:  # a list of inputs
    items: tuple


@dataclasses.dataclass
class Case:
    api: str
    args: tuple
    kwargs: dict = dataclasses.field(default_factory=dict)
    torch: Any = None  # dotted path or callable; default: api with mint -> torch
    dtypes: tuple = FLOATS
    grad: bool = True
    grad_output: int | None = None  # which item of a tuple result carries the gradient
    leading: int | None = None  # compare only the first N items of a tuple result
    id: str = ""


CASES = [
    # creation (no tensor inputs: checked in float32 and with explicit dtypes)
    Case("mint.arange", (5,), dtypes=("float32",), grad=False, id="int-end"),
    Case("mint.arange", (1, 10, 3), dtypes=("float32",), grad=False, id="int-step"),
    Case("mint.arange", (0.0, 2.0, 0.25), dtypes=("float32",), grad=False, id="float"),
    Case("mint.arange", (2, 7), {"dtype": "float16"}, dtypes=("float32",), grad=False, id="dtype"),
    Case("mint.arange", (0.1, 1.0, 0.1), dtypes=("float32",), grad=False, id="float-inexact-step"),
    Case("mint.arange", (10, -2, -3), dtypes=("float32",), grad=False, id="negative-step"),
    Case("mint.arange", (0, 5, 0.5), {"dtype": "bfloat16"}, dtypes=("float32",), grad=False, id="bf16"),
    Case("mint.full", ((2, 3), 1.5), dtypes=("float32",), grad=False, id="float"),
    Case("mint.full", ((2, 3), 4), dtypes=("float32",), grad=False, id="int"),
    Case("mint.full", ((3,), True), dtypes=("float32",), grad=False, id="bool"),
    Case("mint.full", ((2, 2), 2.0), {"dtype": "bfloat16"}, dtypes=("float32",), grad=False, id="bf16"),
    # embedding
    Case("mint.nn.functional.embedding", (In(0, 10, (2, 5)), Fl((10, 4)))),
    Case("mint.nn.functional.embedding", (In(0, 10, (2, 5)), Fl((10, 4))), {"padding_idx": 3}, id="padding_idx"),
    Case("mint.nn.functional.embedding", (In(0, 10, (3,)), Fl((10, 4))), {"max_norm": 0.5},
         grad=False, id="max_norm"),
    # normalisation
    Case("mint.nn.functional.layer_norm", (Fl((2, 3, 8)), (8,), Fl((8,)), Fl((8,)))),
    Case("mint.nn.functional.layer_norm", (Fl((2, 3, 8)), (3, 8)), {"eps": 1e-3}, id="2d-no-affine"),
    Case("mint.nn.functional.normalize", (Fl((3, 5)),)),
    Case("mint.nn.functional.normalize", (Fl((2, 3, 4)),), {"p": 1.0, "dim": -1}, id="p1"),
    # activations
    Case("mint.nn.functional.gelu", (Fl((3, 7)),)),
    Case("mint.nn.functional.gelu", (Fl((3, 7)),), {"approximate": "tanh"}, id="tanh"),
    Case("mint.nn.functional.gelu", (Fl((4, 64), scale=4.0),), id="wide"),  # tails where erfc saturates
    Case("mint.nn.functional.gelu", (Fl((4, 64), scale=4.0),), {"approximate": "tanh"}, id="tanh-wide"),
    Case("mint.nn.functional.log_softmax", (Fl((3, 7)),), {"dim": -1}),
    Case("mint.nn.functional.log_softmax", (Fl((2, 3, 4)),), {"dim": 1}, id="dim1"),
    # dropout in inference and with p=0 is the identity
    Case("mint.nn.functional.dropout", (Fl((4, 5)),), {"p": 0.3, "training": False}, id="eval"),
    Case("mint.nn.functional.dropout", (Fl((4, 5)),), {"p": 0.0}, id="p0"),
    # selection and ordering
    Case("mint.index_select", (Fl((4, 5)), 1, In(0, 5, (3,)))),
    Case("mint.index_select", (Fl((4, 5)), 0, In(0, 4, (6,))), id="dim0-repeats"),
    Case("mint.argmax", (Fl((3, 6)),), {"dim": 1}, grad=False),
    Case("mint.argmax", (Fl((3, 6)),), grad=False, id="flat"),
    Case("mint.argmax", (Fl((3, 6)),), {"dim": 0, "keepdim": True}, grad=False, id="keepdim"),
    Case("mint.topk", (Fl((3, 8)), 3), grad_output=0),
    Case("mint.topk", (Fl((3, 8)), 2), {"dim": 0, "largest": False}, grad_output=0, id="smallest-dim0"),
    Case("mint.tril", (Fl((4, 5)),)),
    Case("mint.tril", (Fl((2, 4, 4)),), {"diagonal": -1}, id="batched-diag"),
    # shape and layout
    Case("mint.stack", (Seq((Fl((2, 3)), Fl((2, 3)), Fl((2, 3)))),)),
    Case("mint.stack", (Seq((Fl((2, 3)), Fl((2, 3)))),), {"dim": -1}, id="last"),
    Case("mint.nn.functional.pad", (Fl((2, 3, 4)), (1, 2))),
    Case("mint.nn.functional.pad", (Fl((2, 3, 4)), (1, 0, 0, 2)), {"value": 1.5}, id="value"),
    Case("mint.nn.functional.pad", (Fl((1, 2, 4, 4)), (1, 1, 2, 2)), {"mode": "reflect"}, id="reflect"),
    Case("mint.nn.functional.pad", (Fl((1, 2, 4, 4)), (1, 1, 2, 2)), {"mode": "replicate"}, id="replicate"),
    Case("mint.repeat_interleave", (Fl((2, 3)), 2), {"dim": 1}),
    Case("mint.repeat_interleave", (Fl((2, 3)), 3), id="flat"),
    Case("mint.cumsum", (Fl((3, 4)), 1)),
    Case("mint.cumsum", (In(0, 5, (3, 4)), 0), dtypes=("float32",), grad=False, id="int-promotes"),
    # losses
    Case("mint.nn.functional.cross_entropy", (Fl((4, 5)), In(0, 5, (4,)))),
    Case("mint.nn.functional.cross_entropy", (Fl((4, 5)), In(0, 5, (4,))), {"label_smoothing": 0.1},
         id="smoothing"),
    Case("mint.nn.functional.cross_entropy", (Fl((4, 5)), In(0, 5, (4,))),
         {"weight": Fl((5,), positive=True, diff=False), "reduction": "sum"}, id="weight-sum"),
    Case("mint.nn.functional.cross_entropy", (Fl((2, 5, 3)), In(0, 5, (2, 3))), {"reduction": "none"},
         id="nd-none"),
    Case("mint.nn.functional.cross_entropy", (Fl((6, 5)), In(-1, 5, (6,))), {"ignore_index": -1},
         id="ignore_index"),
    Case("mint.nn.functional.cross_entropy", (Fl((6, 5)), In(-1, 5, (6,))),
         {"ignore_index": -1, "label_smoothing": 0.2, "weight": Fl((5,), positive=True, diff=False)},
         id="ignore-smooth-weight"),
    Case("mint.nn.functional.cross_entropy", (Fl((6, 5)), In(-1, 5, (6,))), {"ignore_index": -1, "reduction": "sum"},
         id="ignore-sum"),
    Case("mint.nn.functional.cross_entropy", (Fl((6, 5)), In(-1, 5, (6,))), {"ignore_index": -1, "reduction": "none"},
         id="ignore-none"),
    Case("mint.nn.functional.cross_entropy", (Fl((8, 5)), In(0, 5, (8,))), {"ignore_index": 2}, id="ignore-a-class"),
    Case("mint.nn.functional.cross_entropy", (Fl((4, 5)), In(0, 5, (4,))), {"reduction": "sum"}, id="sum"),
    Case("mint.nn.functional.cross_entropy", (Fl((4, 5)), Fl((4, 5), positive=True)), id="prob-target"),
    Case("mint.nn.functional.cross_entropy", (Fl((5,)), In(0, 5, ())), id="unbatched"),
    Case("mint.nn.functional.cross_entropy", (Fl((2, 5, 3)), In(-1, 5, (2, 3))),
         {"ignore_index": -1, "weight": Fl((5,), positive=True, diff=False)}, id="nd-ignore-weight-mean"),
    # creation from a tensor
    Case("mint.zeros_like", (Fl((2, 3)),), grad=False),
    Case("mint.ones_like", (Fl((2, 3)),), grad=False),
    Case("mint.ones_like", (Fl((2, 3)),), {"dtype": "float16"}, dtypes=("float32",), grad=False, id="dtype"),
    Case("mint.full_like", (Fl((2, 3)), 2.5), grad=False),
    Case("mint.linspace", (0.0, 1.0, 7), dtypes=("float32",), grad=False),
    Case("mint.linspace", (-2, 3, 5), {"dtype": "float16"}, dtypes=("float32",), grad=False, id="dtype"),
    Case("mint.clone", (Fl((2, 3)),)),
    # math
    Case("mint.acos", (Fl((3, 4), unit=True),)),
    Case("mint.acosh", (Fl((3, 4), positive=True, offset=1.0),)),
    Case("mint.arccosh", (Fl((3, 4), positive=True, offset=1.0),)),
    Case("mint.asin", (Fl((3, 4), unit=True),)),
    Case("mint.arcsin", (Fl((3, 4), unit=True),)),
    Case("mint.asinh", (Fl((3, 4)),)),
    Case("mint.arcsinh", (Fl((3, 4)),)),
    Case("mint.atan", (Fl((3, 4)),)),
    Case("mint.arctan", (Fl((3, 4)),)),
    Case("mint.atan2", (Fl((3, 4)), Fl((3, 4)))),
    Case("mint.log2", (Fl((3, 4), positive=True),)),
    Case("mint.log10", (Fl((3, 4), positive=True),)),
    Case("mint.exp2", (Fl((3, 4)),)),
    Case("mint.special.exp2", (Fl((3, 4)),)),
    Case("mint.frac", (Fl((3, 4), scale=3.0),), grad=False),
    Case("mint.logaddexp", (Fl((3, 4)), Fl((3, 4)))),
    Case("mint.logaddexp2", (Fl((3, 4)), Fl((3, 4)))),
    Case("mint.isneginf", (Special("infs"),), dtypes=("float32",), grad=False),
    Case("mint.bitwise_not", (In(0, 16, (3, 4)),), dtypes=("float32",), grad=False),
    Case("mint.bitwise_or", (In(0, 16, (3, 4)), In(0, 16, (3, 4))), dtypes=("float32",), grad=False),
    Case("mint.bitwise_xor", (In(0, 16, (3, 4)), In(0, 16, (3, 4))), dtypes=("float32",), grad=False),
    Case("mint.outer", (Fl((3,)), Fl((4,)))),
    Case("mint.mm", (Fl((3, 4)), Fl((4, 2)))),
    # matmul and linear: faster compositions of native kernels on the common shapes, MindSpore's
    # own kernel on the others
    Case("mint.matmul", (Fl((3, 4)), Fl((4, 5))), id="2d"),
    Case("mint.matmul", (Fl((2, 3, 4)), Fl((4, 5))), id="3d-2d"),
    Case("mint.matmul", (Fl((2, 3, 5, 4)), Fl((2, 3, 4, 6))), id="4d-batches"),
    Case("mint.matmul", (Fl((2, 1, 5, 4)), Fl((3, 4, 6))), dtypes=("float32",), id="broadcast-batches"),
    Case("mint.matmul", (Fl((4,)), Fl((4, 5))), dtypes=("float32",), id="1d-2d"),
    Case("mint.matmul", (Fl((3, 4)), Fl((4,))), dtypes=("float32",), id="2d-1d"),
    Case("mint.nn.functional.linear", (Fl((2, 3, 4)), Fl((5, 4)), Fl((5,))), id="3d-bias"),
    Case("mint.nn.functional.linear", (Fl((3, 4)), Fl((5, 4))), id="2d"),
    Case("mint.nn.functional.linear", (Fl((4,)), Fl((5, 4)), Fl((5,))), id="1d"),
    Case("mint.nn.functional.linear", (Fl((2, 3, 4)), Fl((4,))), dtypes=("float32",), id="1d-weight"),
    Case("mint.mv", (Fl((3, 4)), Fl((4,)))),
    Case("mint.dot", (Fl((5,)), Fl((5,)))),
    Case("mint.addmm", (Fl((3, 2)), Fl((3, 4)), Fl((4, 2))), {"beta": 0.5, "alpha": 2.0}),
    Case("mint.addmv", (Fl((3,)), Fl((3, 4)), Fl((4,))), {"beta": 0.5, "alpha": 2.0}),
    Case("mint.baddbmm", (Fl((2, 3, 2)), Fl((2, 3, 4)), Fl((2, 4, 2))), {"beta": 0.5, "alpha": 2.0}),
    Case("mint.addbmm", (Fl((3, 2)), Fl((2, 3, 4)), Fl((2, 4, 2))), {"alpha": 0.5}),
    Case("mint.addcdiv", (Fl((3, 4)), Fl((3, 4)), Fl((3, 4), positive=True)), {"value": 0.5}),
    Case("mint.addcmul", (Fl((3, 4)), Fl((3, 4)), Fl((3, 4))), {"value": 0.5}),
    Case("mint.trace", (Fl((4, 4)),)),
    Case("mint.std", (Fl((3, 5)),), {"dim": 1}),
    Case("mint.std", (Fl((3, 5)),), id="all"),
    Case("mint.var", (Fl((3, 5)),), {"dim": 0, "correction": 0, "keepdim": True}, id="biased"),
    Case("mint.var_mean", (Fl((3, 5)),), {"dim": 1}, grad_output=0),
    Case("mint.std_mean", (Fl((3, 5)),), {"dim": 1}, grad_output=0),
    Case("mint.median", (Fl((3, 5)),), grad=False, id="all"),
    Case("mint.median", (Fl((3, 6)),), {"dim": 1}, grad_output=0, id="dim"),
    Case("mint.logsumexp", (Fl((3, 5)), 1)),
    Case("mint.logsumexp", (Fl((3, 5)), (0, 1)), {"keepdim": True}, id="dims"),
    Case("mint.norm", (Fl((3, 5)),)),
    Case("mint.norm", (Fl((3, 5)),), {"p": 1, "dim": 1}, id="p1"),
    Case("mint.linalg.norm", (Fl((3, 5)),)),
    Case("mint.linalg.norm", (Fl((3, 5)),), {"ord": 3, "dim": 1}, id="ord3"),
    Case("mint.linalg.vector_norm", (Fl((3, 5)),), {"ord": 2, "dim": -1, "keepdim": True}),
    Case("mint.linalg.vector_norm", (Fl((3, 5)),), {"ord": float("inf")}, grad=False, id="inf"),
    Case("mint.equal", (Fl((3, 4)), Fl((3, 4))), dtypes=("float32",), grad=False),
    Case("mint.diag", (Fl((4,)),)),
    Case("mint.diag", (Fl((4,)),), {"diagonal": 1}, id="above"),
    Case("mint.diag", (Fl((4,)),), {"diagonal": -2}, id="below"),
    Case("mint.diag", (Fl((4, 5)),), {"diagonal": 1}, id="2d"),
    Case("mint.roll", (Fl((3, 4)), 1, 1)),
    Case("mint.roll", (Fl((3, 4)), (2, -1), (0, 1)), id="two-dims"),
    Case("mint.roll", (Fl((3, 4)), 5), id="flat"),
    Case("mint.histc", (Fl((20,)),), {"bins": 5, "min": -2, "max": 2}, dtypes=("float32",), grad=False),
    Case("mint.bincount", (In(0, 6, (20,)),), dtypes=("float32",), grad=False),
    Case("mint.bincount", (In(0, 6, (20,)),), {"weights": Fl((20,), diff=False), "minlength": 8},
         dtypes=("float32",), grad=False, id="weights"),
    Case("mint.unique", (In(0, 5, (12,)),), {"return_inverse": True, "return_counts": True},
         dtypes=("float32",), grad=False),
    Case("mint.count_nonzero", (In(0, 3, (3, 4)),), {"dim": 1}, dtypes=("float32",), grad=False),
    Case("mint.take", (Fl((3, 4)), In(0, 12, (2, 3)))),
    Case("mint.scatter_add", (Fl((3, 4)), 1, In(0, 4, (3, 2)), Fl((3, 2)))),
    # selection and ordering
    Case("mint.argmin", (Fl((3, 6)),), {"dim": 1}, grad=False),
    Case("mint.sort", (Fl((3, 6)),), grad_output=0),
    Case("mint.sort", (Fl((3, 6)),), {"dim": 0, "descending": True}, grad_output=0, id="desc"),
    Case("mint.argsort", (Fl((3, 6)),), {"dim": 1, "descending": True}, grad=False),
    # activations
    Case("mint.nn.functional.leaky_relu", (Fl((3, 5)),), {"negative_slope": 0.2}),
    Case("mint.nn.functional.logsigmoid", (Fl((3, 5)),)),
    Case("mint.nn.functional.mish", (Fl((3, 5)),)),
    Case("mint.nn.functional.relu6", (Fl((3, 5), scale=5.0),)),
    Case("mint.nn.functional.elu", (Fl((3, 5)),), {"alpha": 0.7}),
    Case("mint.nn.functional.selu", (Fl((3, 5)),)),
    Case("mint.nn.functional.hardtanh", (Fl((3, 5), scale=2.0),), {"min_val": -0.5, "max_val": 1.5}),
    Case("mint.nn.functional.threshold", (Fl((3, 5)),), {"threshold": 0.1, "value": 20.0}),
    Case("mint.nn.functional.one_hot", (In(0, 4, (2, 3)),), dtypes=("float32",), grad=False),
    Case("mint.nn.functional.one_hot", (In(0, 4, (5,)), 6), dtypes=("float32",), grad=False, id="num_classes"),
    # losses
    Case("mint.nn.functional.l1_loss", (Fl((3, 4)), Fl((3, 4)))),
    Case("mint.nn.functional.mse_loss", (Fl((3, 4)), Fl((3, 4))), {"reduction": "sum"}),
    Case("mint.nn.functional.kl_div", (Fl((3, 4)), Fl((3, 4), positive=True)), {"reduction": "batchmean"}),
    Case("mint.nn.functional.kl_div", (Fl((3, 4)), Fl((3, 4))), {"reduction": "sum", "log_target": True}, id="log_target"),
    Case("mint.nn.functional.soft_margin_loss", (Fl((3, 4)), Special("signs", (3, 4)))),
    # normalisation
    Case("mint.nn.functional.batch_norm", (Fl((4, 3, 2)), Fl((3,), diff=False), Fl((3,), positive=True, diff=False),
                                            Fl((3,)), Fl((3,))), id="eval"),
    Case("mint.nn.functional.batch_norm", (Fl((4, 3, 2, 2)), None, None, Fl((3,)), Fl((3,))),
         {"training": True}, id="train-no-stats"),
    Case("mint.nn.functional.batch_norm", (Fl((6, 3)), Fl((3,), diff=False), Fl((3,), positive=True, diff=False)),
         {"training": True, "momentum": 0.3}, id="train-2d-stats-no-affine"),
    Case("mint.nn.functional.batch_norm", (Fl((2, 3, 2, 2, 3)), Fl((3,), diff=False), Fl((3,), positive=True, diff=False),
                                            Fl((3,)), Fl((3,))), id="eval-5d"),
    # convolution and pooling
    Case("mint.nn.functional.conv1d", (Fl((2, 3, 9)), Fl((4, 3, 3)), Fl((4,))), {"stride": 2, "padding": 1}),
    Case("mint.nn.functional.conv2d", (Fl((2, 3, 7, 7)), Fl((4, 3, 3, 3)), Fl((4,))), {"padding": 1}),
    Case("mint.nn.functional.conv2d", (Fl((1, 4, 8, 8)), Fl((6, 2, 3, 3))),
         {"stride": 2, "dilation": 2, "groups": 2}, id="groups-dilation"),
    Case("mint.nn.functional.conv2d", (Fl((1, 2, 6, 6)), Fl((3, 2, 3, 3))), {"padding": "same"}, id="same"),
    Case("mint.nn.functional.conv2d", (Fl((2, 2, 5, 7)), Fl((3, 2, 3, 2)), Fl((3,))), {"padding": (1, 2), "stride": (2, 1)},
         id="asymmetric"),
    Case("mint.nn.functional.conv2d", (Fl((2, 3, 9, 8)), Fl((5, 3, 3, 2)), Fl((5,))),
         {"stride": (2, 1), "dilation": (2, 1), "padding": (2, 0)}, id="strided-dilated-one-group"),
    Case("mint.nn.functional.conv3d", (Fl((1, 2, 5, 5, 5)), Fl((3, 2, 2, 2, 2)), Fl((3,))), {"padding": 1}),
    Case("mint.nn.functional.conv_transpose2d", (Fl((2, 3, 4, 4)), Fl((3, 2, 3, 3)), Fl((2,)))),
    Case("mint.nn.functional.conv_transpose2d", (Fl((1, 4, 3, 5)), Fl((4, 3, 3, 2))),
         {"stride": 2, "padding": 1, "output_padding": 1, "groups": 2, "dilation": 1}, id="strided-groups"),
    Case("mint.nn.functional.max_pool2d", (Fl((2, 3, 6, 6)), 2)),
    Case("mint.nn.functional.max_pool2d", (Fl((1, 2, 7, 7)), 3), {"stride": 2, "padding": 1}, id="stride-pad"),
    Case("mint.nn.functional.max_pool2d", (Fl((2, 8, 6)), (2, 3)), {"stride": (2, 1), "padding": 1, "ceil_mode": True},
         id="unbatched-ceil"),
    Case("mint.nn.functional.max_pool2d", (Fl((1, 1, 5, 5)), 2), {"stride": 2, "padding": 1, "ceil_mode": True},
         id="ceil-window-in-padding"),  # ceil_mode's last window would start in the padding: dropped
    Case("mint.nn.functional.max_pool2d", (Fl((1, 2, 7, 7)), 2), {"dilation": 2}, id="dilation"),
    Case("mint.nn.functional.max_pool2d", (Fl((1, 2, 6, 6)), 2), {"return_indices": True}, grad_output=0,
         id="indices"),
    Case("mint.nn.functional.avg_pool1d", (Fl((2, 3, 8)), 2)),
    Case("mint.nn.functional.avg_pool2d", (Fl((2, 3, 6, 6)), 2)),
    Case("mint.nn.functional.avg_pool2d", (Fl((1, 2, 7, 7)), 3), {"stride": 2, "padding": 1, "count_include_pad": False},
         id="no-pad-count"),
    Case("mint.nn.functional.avg_pool3d", (Fl((1, 2, 4, 4, 4)), 2), dtypes=("float32",)),  # torch CPU: no half
    Case("mint.nn.functional.adaptive_avg_pool1d", (Fl((2, 3, 8)), 4)),
    Case("mint.nn.functional.adaptive_avg_pool2d", (Fl((2, 3, 6, 6)), (3, 2))),
    Case("mint.nn.functional.unfold", (Fl((2, 3, 5, 5)), 2), {"stride": 1, "padding": 1}),
    Case("mint.nn.functional.fold", (Fl((1, 12, 4)), (3, 3), 2)),
    # linear algebra, pooling and losses outside mindone's list
    Case("mint.cummin", (Fl((3, 6)), 1), grad_output=0),
    Case("mint.inverse", (Special("well-conditioned", (3, 3)),), dtypes=("float32",), grad=False),
    Case("mint.linalg.inv", (Special("well-conditioned", (4, 4)),), dtypes=("float32",), grad=False),
    Case("mint.vdot", (Fl((5,)), Fl((5,)))),
    Case("mint.linalg.qr", (Fl((5, 3)),), dtypes=("float32",), grad=False),
    Case("mint.nn.functional.adaptive_avg_pool3d", (Fl((1, 2, 4, 4, 4)), 2), dtypes=("float32",)),
    Case("mint.nn.functional.adaptive_max_pool1d", (Fl((2, 3, 8)), 3), grad=False),
    Case("mint.nn.functional.adaptive_max_pool1d", (Fl((2, 3, 8)), 4), {"return_indices": True}, grad_output=0,
         id="indices"),
    Case("mint.nn.functional.max_unpool2d", (Fl((1, 1, 2, 2)), Special("unpool-indices"), 2), dtypes=("float32",)),
    Case("mint.nn.functional.cosine_embedding_loss", (Fl((4, 5)), Fl((4, 5)), Special("signs", (4,))),
         {"margin": 0.2}),
    # einsum
    Case("mint.einsum", ("bhqd,bhkd->bhqk", Fl((2, 3, 4, 5)), Fl((2, 3, 6, 5)))),
    Case("mint.einsum", ("...ij,...jk", Fl((2, 3, 4)), Fl((4, 5))), id="ellipsis-implicit"),
    Case("mint.einsum", ("ii->i", Fl((4, 4))), id="diagonal"),
    Case("mint.einsum", ("ii", Fl((4, 4))), id="trace"),
    Case("mint.einsum", ("i,j->ij", Fl((3,)), Fl((4,))), id="outer"),
    Case("mint.einsum", ("abc,abc->", Fl((2, 3, 4)), Fl((2, 3, 4))), id="full-sum"),
    # not mint: called by mindone's Qwen2 port
    Case("ops.rms_norm", (Fl((2, 3, 8)), Fl((8,))), {"epsilon": 1e-6}, grad_output=0, leading=1,
         torch=lambda x, g, epsilon: (torch_rms_norm(x, g, epsilon),), id="qwen2"),
]


def torch_rms_norm(x, g, eps):
    import torch

    xf = x.float()
    return (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + eps)).to(x.dtype) * g


def _case_id(case):
    return f"{case.api}[{case.id}]" if case.id else case.api


def _params():
    for case in CASES:
        for dtype in case.dtypes:
            yield pytest.param(case, dtype, id=f"{_case_id(case)}-{dtype}")


def _build(spec, dtype, rng):
    """numpy values of one input, and the float arrays in order (they get gradients)."""
    if isinstance(spec, Fl):
        values = rng.standard_normal(spec.shape).astype(np.float32) * spec.scale
        if spec.positive:
            values = np.abs(values) + 0.1
        if spec.unit:
            values = np.tanh(values) * 0.9
        return ("float" if spec.diff else "const", (values + spec.offset).astype(np.float32))
    if isinstance(spec, Special):
        if spec.kind == "well-conditioned":
            n = spec.shape[0]
            return ("const", (rng.standard_normal(spec.shape) + 3 * np.eye(n)).astype(np.float32))
        if spec.kind == "unpool-indices":
            return ("int", np.array([[[[0, 3], [8, 15]]]]))
        if spec.kind == "infs":
            return ("const", np.array([1.0, -np.inf, np.inf, np.nan, -2.0, 0.0, -np.inf, 3.0], np.float32))
        return ("const", np.where(rng.random(spec.shape) < 0.5, -1.0, 1.0).astype(np.float32))
    if isinstance(spec, In):
        return ("int", rng.integers(spec.low, spec.high, spec.shape))
    if isinstance(spec, Bo):
        return ("bool", rng.random(spec.shape) < 0.5)
    if isinstance(spec, Seq):
        return ("seq", [_build(s, dtype, rng) for s in spec.items])
    return ("plain", spec)


def _materialise(built, dtype, framework, floats):
    """Turn built inputs into framework tensors; float tensors are appended to `floats`."""
    kind, value = built
    if kind == "seq":
        return [_materialise(b, dtype, framework, floats) for b in value]
    if kind == "plain":
        if isinstance(value, str) and value in FLOATS:
            return framework.dtype(value)
        return value
    tensor = framework.tensor(value, kind, dtype)
    if kind == "float":
        floats.append(tensor)
    return tensor


class _Torch:
    @staticmethod
    def dtype(name):
        import torch

        return getattr(torch, name)

    @staticmethod
    def tensor(value, kind, dtype):
        import torch

        if kind in ("float", "const"):
            return torch.tensor(value).to(getattr(torch, dtype)).requires_grad_(kind == "float")
        return torch.tensor(value)


class _Ms:
    @staticmethod
    def dtype(name):
        import mindspore as ms

        return {"float32": ms.float32, "float16": ms.float16, "bfloat16": ms.bfloat16}[name]

    @staticmethod
    def tensor(value, kind, dtype):
        import mindspore as ms

        if kind in ("float", "const"):
            return ms.Tensor(value).astype(_Ms.dtype(dtype))
        return ms.Tensor(value)


def _resolve(path: str):
    import importlib

    import mindspore

    head, *rest = path.split(".")
    obj = {"mint": mindspore.mint, "ops": mindspore.ops, "torch": importlib.import_module("torch")}[head]
    for part in rest:
        obj = getattr(obj, part)
    return obj


def _torch_callable(case):
    if callable(case.torch):
        return case.torch
    return _resolve(case.torch or "torch" + case.api[len("mint"):])


def _pick(out, index):
    return out if index is None else out[index]


@pytest.mark.parametrize("case,dtype", list(_params()))
def test_fallback_matches_torch(case, dtype, fallback, compare):
    import mindspore as ms
    import torch

    # crc32, not hash(): string hashes change per process, and inputs must not.
    rng = np.random.default_rng(zlib.crc32(f"{case.api}|{case.id}".encode()))
    built_args = [_build(a, dtype, rng) for a in case.args]
    built_kwargs = {k: _build(v, dtype, rng) for k, v in case.kwargs.items()}

    t_floats: list = []
    t_args = [_materialise(b, dtype, _Torch, t_floats) for b in built_args]
    t_kwargs = {k: _materialise(b, dtype, _Torch, t_floats) for k, b in built_kwargs.items()}
    m_floats: list = []
    m_args = [_materialise(b, dtype, _Ms, m_floats) for b in built_args]
    m_kwargs = {k: _materialise(b, dtype, _Ms, m_floats) for k, b in built_kwargs.items()}

    mint_fn = _resolve(case.api)
    assert getattr(mint_fn, "__module__", "").startswith("torch2ms.cpu_fallback"), \
        f"{case.api} is not the fallback while enabled"
    t_out = _torch_callable(case)(*t_args, **t_kwargs)
    m_out = mint_fn(*m_args, **m_kwargs)
    m_cmp = m_out[: case.leading] if case.leading else m_out
    compare(m_cmp, tuple(t_out) if isinstance(t_out, tuple) else t_out, dtype)
    if not case.grad or not m_floats:
        return

    # gradients: d/d(inputs) of sum(out * cotangent), same cotangent on both sides
    t_sel = _pick(t_out, case.grad_output)
    cot = rng.standard_normal(tuple(t_sel.shape)).astype(np.float32)
    (t_sel.float() * torch.tensor(cot)).sum().backward()
    t_grads = [t.grad if t.grad is not None else torch.zeros_like(t) for t in t_floats]

    def loss(*floats):
        it = iter(floats)
        swap = {id(f): None for f in m_floats}

        def put(x):
            if isinstance(x, list):
                return [put(v) for v in x]
            return next(it) if id(x) in swap else x

        args = [put(a) for a in m_args]
        kwargs = {k: put(v) for k, v in m_kwargs.items()}
        out = _pick(mint_fn(*args, **kwargs), case.grad_output)
        return (out.astype(ms.float32) * ms.Tensor(cot)).sum()

    m_grads = ms.grad(loss, grad_position=tuple(range(len(m_floats))))(*m_floats)
    if not isinstance(m_grads, tuple):
        m_grads = (m_grads,)
    for i, (mg, tg) in enumerate(zip(m_grads, t_grads)):
        compare(mg, tg, dtype, what=f"gradient of float input {i}")


# Fallback APIs whose checks need more than one call (random streams, layers with state,
# in-place methods): the file that tests each.
TESTED_ELSEWHERE = {
    **{f"mint.{n}": "test_random.py" for n in (
        "rand", "randn", "randint", "rand_like", "randn_like", "randint_like", "normal", "bernoulli",
        "multinomial", "randperm")},
    "mint.nn.functional.dropout": "test_layers.py", "mint.nn.functional.dropout2d": "test_layers.py",
    "mint.nonzero": "test_nonzero.py", "Tensor.nonzero": "test_nonzero.py",
    **{f"mint.nn.{c}.construct": "test_layers.py" for c in (
        "Dropout", "Dropout2d", "Linear", "Conv1d", "Conv2d", "Conv3d", "L1Loss", "LogSoftmax", "Hardtanh",
        "UpsamplingBilinear2d")},
    "mint.optim.AdamW.construct": "test_optim.py",
    **{api: "test_upsample.py" for api in (
        "mint.nn.functional.interpolate", "mint.nn.functional.upsample", "mint.nn.Upsample.construct")},
    **{api: "test_losses.py" for api in (
        "mint.nn.functional.binary_cross_entropy", "mint.nn.BCELoss.construct")},
    **{api: "test_views.py" for api in (
        "Tensor.transpose", "Tensor.permute", "Tensor.swapaxes", "Tensor.split", "Tensor.chunk", "Tensor.contiguous",
        "mint.transpose", "mint.swapaxes", "mint.permute", "mint.split", "mint.chunk", "ops.transpose",
        "ops.Transpose.__call__")},
    **{f"mint.nn.functional.{n}": "test_tensor_methods.py" for n in (
        "relu_", "sigmoid_", "elu_", "hardtanh_", "threshold_")},
    **{f"Tensor.{m}": "test_tensor_methods.py" for m in (
        "clone", "repeat", "fill_", "zero_", "masked_fill_", "clamp_", "new_full", "uniform_",
        "normal_", "bernoulli", "unique", "scatter_add", "add_", "sub_", "mul_", "div_", "exp_",
        "floor_divide_", "remainder_")},
}


def test_every_replacement_has_a_test():
    from pathlib import Path

    from torch2ms.cpu_fallback import replacement_table

    in_cases = {case.api for case in CASES}
    here = Path(__file__).parent
    untested = []
    for api in replacement_table():
        if api in in_cases:
            continue
        where = TESTED_ELSEWHERE.get(api)
        token = (api.split(".")[-2] if api.endswith(".construct") else api.split(".")[-1]).lower()
        if not where or token not in (here / where).read_text().lower():
            untested.append(api)
    assert not untested, f"fallback APIs without a test: {untested}"
