"""`mint.optim.AdamW.construct` from ops (the AdamW kernel is Ascend-only), torch's update rule:
decoupled weight decay, bias-corrected moments, optional amsgrad and maximize.

A float32 parameter without amsgrad is updated by one fused CPU kernel (`AdamWeightDecay`, in
place on the parameter and both moments), given the learning rate, epsilon and decay that make its
rule torch's: torch's step is

    p <- p (1 - lr wd) - lr / bc1 * m / (sqrt(v) / sqrt(bc2) + eps),   bc_i = 1 - beta_i ** t

and the kernel's is p <- p - lr' (m / (sqrt(v) + eps') + wd' p); with lr' = lr sqrt(bc2) / bc1,
eps' = eps sqrt(bc2) and wd' = wd bc1 / sqrt(bc2) the two are the same. Other parameters (amsgrad,
float16, bfloat16) take the step op by op (bfloat16 computed in float32).

`state_step` counts as MindSpore's own AdamW does: it starts at -1 and reads n - 1 after n steps
(the Ascend kernel adds one; torch's `step` reads n), so checkpoints written under the fallback
resume on Ascend with the same bias correction."""

from __future__ import annotations

import math

import mindspore as ms
from mindspore import ops

from torch2ms.cpu_fallback._common import write_in_place

_FUSED_ADAMW = ops.AdamWeightDecay()


def _f32(t):
    return ops.cast(t, ms.float32) if t.dtype == ms.bfloat16 else t


def _fused(param, m, v, grad) -> bool:
    f32 = ms.float32
    # identity: MindSpore's dtype objects are singletons (`==` costs 3 us); a miss steps op by op
    return param.dtype is f32 and m.dtype is f32 and v.dtype is f32 and grad.dtype is f32


def adamw_construct(self, gradients):
    step = float(self.state_step.asnumpy().reshape(-1)[0]) + 1.0
    # state_step starts at -1; in-place add_ on a Parameter does not take on CPU, assign does
    ops.assign(self.state_step, ms.Tensor([step], ms.float32))
    t = step + 1.0  # the update number, 1 for the first step
    for group_id, group in enumerate(self.param_groups):
        beta1, beta2 = group["betas"]
        lr, eps, weight_decay = float(group["lr"]), group["eps"], group["weight_decay"]
        start, end = self.group_start_id[group_id], self.group_start_id[group_id + 1]
        amsgrad, maximize = group.get("amsgrad"), group.get("maximize")
        bc1, bc2 = 1 - beta1 ** t, 1 - beta2 ** t
        fused_args = (lr * math.sqrt(bc2) / bc1, beta1, beta2, eps * math.sqrt(bc2), weight_decay * bc1 / math.sqrt(bc2))
        for offset, index in enumerate(range(start, end)):
            param, grad = self.parameters[index], gradients[index]
            grad = -grad if maximize else grad
            m, v = self.exp_avg[index], self.exp_avg_sq[index]
            if not amsgrad and _fused(param, m, v, grad):
                _FUSED_ADAMW(param, m, v, *fused_args, grad)
                continue
            # bfloat16 in float32 (CPU kernels reject it), written back with copy_ (Assign has no
            # bfloat16 CPU kernel)
            p32, m32, v32, g32 = (_f32(x) for x in (param, m, v, grad))
            new_m = beta1 * m32 + (1 - beta1) * g32
            new_v = beta2 * v32 + (1 - beta2) * g32 * g32
            write_in_place(m, new_m)
            write_in_place(v, new_v)
            if amsgrad:
                max_v = group["max_exp_avg_sq"][offset]
                new_v = ops.maximum(_f32(max_v), new_v)
                write_in_place(max_v, new_v)
            denom = ops.sqrt(new_v) / math.sqrt(bc2) + eps
            write_in_place(param, p32 * (1 - lr * weight_decay) - (lr / bc1) * new_m / denom)
    return True
