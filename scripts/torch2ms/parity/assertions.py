"""pytest helpers: fail with the parity summary as the message."""

from __future__ import annotations

from torch2ms.parity.compare import ParityReport, compare
from torch2ms.parity.training import compare_training_step


def assert_parity(torch_module, ms_cell, inputs, **options) -> ParityReport:
    """Assert that the port's outputs match torch's (options as for `compare`)."""
    __tracebackhide__ = True
    report = compare(torch_module, ms_cell, inputs, **options)
    if not report.ok:
        raise AssertionError(report.summary())
    return report


def assert_training_parity(torch_module, ms_cell, inputs, **options) -> ParityReport:
    """Assert that loss, gradients and the parameters after one step match
    (options as for `compare_training_step`)."""
    __tracebackhide__ = True
    report = compare_training_step(torch_module, ms_cell, inputs, **options)
    if not report.ok:
        raise AssertionError(report.summary())
    return report
