"""`torch2ms weights`: checkpoints converted between a torch model and its MindSpore port.

The mapping is parity's (`torch2ms.parity.weights.plan_transfer`), the model is built with
parity's loader and builder (`torch2ms.parity.spec`); this package reads and writes the files.
"""
