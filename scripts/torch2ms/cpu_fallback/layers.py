"""`construct` of mint.nn layers that call an Ascend primitive held on the instance (so patching
the functional API does not reach them)."""

from __future__ import annotations

from torch2ms.cpu_fallback import activation, conv, loss, math_ops, shaping


def _conv_construct(function, n):
    def construct(self, input):
        if self.padding_mode != "zeros":
            input = shaping.pad(input, self._reversed_padding, mode=self.padding_mode)
            padding = (0,) * n
        else:
            padding = self.padding
        return function(input, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)

    construct.__name__ = construct.__qualname__ = f"conv{n}d_construct"
    return construct


conv1d_construct = _conv_construct(conv.conv1d, 1)
conv2d_construct = _conv_construct(conv.conv2d, 2)
conv3d_construct = _conv_construct(conv.conv3d, 3)


def l1_loss_construct(self, logits, labels):
    """`mint.nn.L1Loss.construct`."""
    return loss.l1_loss(logits, labels, self.reduction)


def log_softmax_construct(self, x):
    """`mint.nn.LogSoftmax.construct`."""
    return activation.log_softmax(x, self.dim)


def hardtanh_construct(self, input):
    """`mint.nn.Hardtanh.construct`."""
    return activation.hardtanh(input, self.min_val, self.max_val)


def linear_construct(self, x):
    """`mint.nn.Linear.construct`: calls the Dense primitive it holds (slow on CPU)."""
    return math_ops.linear(x, self.weight, self.bias)
