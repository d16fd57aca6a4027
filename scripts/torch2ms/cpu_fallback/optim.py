"""`mint.optim.AdamW.construct` from ops (the AdamW kernel is Ascend-only), torch's update rule:
decoupled weight decay, bias-corrected moments, optional amsgrad and maximize."""

from __future__ import annotations

import math

import mindspore as ms
from mindspore import ops


def adamw_construct(self, gradients):
    step = float(self.state_step.asnumpy().reshape(-1)[0]) + 1.0
    # state_step starts at -1; in-place add_ on a Parameter does not take on CPU, assign does
    ops.assign(self.state_step, ms.Tensor([step], ms.float32))
    t = step + 1.0  # the update number, 1 for the first step
    for group_id, group in enumerate(self.param_groups):
        beta1, beta2 = group["betas"]
        lr, eps, weight_decay = float(group["lr"]), group["eps"], group["weight_decay"]
        start, end = self.group_start_id[group_id], self.group_start_id[group_id + 1]
        amsgrad = group.get("amsgrad")
        for offset, index in enumerate(range(start, end)):
            param, grad = self.parameters[index], gradients[index]
            grad = -grad if group.get("maximize") else grad
            m, v = self.exp_avg[index], self.exp_avg_sq[index]
            new_m = beta1 * m + (1 - beta1) * grad
            new_v = beta2 * v + (1 - beta2) * grad * grad
            ops.assign(m, new_m)
            ops.assign(v, new_v)
            if amsgrad:
                max_v = group["max_exp_avg_sq"][offset]
                new_v = ops.maximum(max_v, new_v)
                ops.assign(max_v, new_v)
            denom = ops.sqrt(new_v) / math.sqrt(1 - beta2 ** t) + eps
            updated = param * (1 - lr * weight_decay) - (lr / (1 - beta1 ** t)) * new_m / denom
            ops.assign(param, updated.astype(param.dtype))
    return True
