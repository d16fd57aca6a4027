"""Parity of a torch module and its MindSpore port: weights by name, outputs, gradients.

    from torch2ms.parity import assert_parity, compare, compare_training_step, transfer_weights

    report = compare(torch_model, ms_model, (input_ids,), outputs=["logits"])
    print(report.summary())

torch and mindspore are imported when a function runs, not with this package.
"""

from torch2ms.parity.assertions import assert_parity, assert_training_parity
from torch2ms.parity.compare import ParityReport, compare
from torch2ms.parity.metrics import default_tolerances, resolve_tolerances
from torch2ms.parity.training import compare_training_step
from torch2ms.parity.weights import TransferReport, WeightTransferError, plan_transfer, transfer_weights

__all__ = [
    "ParityReport",
    "TransferReport",
    "WeightTransferError",
    "assert_parity",
    "assert_training_parity",
    "compare",
    "compare_training_step",
    "default_tolerances",
    "plan_transfer",
    "resolve_tolerances",
    "transfer_weights",
]
