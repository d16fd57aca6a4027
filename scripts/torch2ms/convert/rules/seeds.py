"""Seeds: `torch.manual_seed(s)` and the CUDA variants -> `mindspore.set_seed(s)`; determinism
switches of cuDNN have no MindSpore counterpart and are flagged."""

from __future__ import annotations

from . import call, reference

FAMILY = "seeds"


@call("torch.manual_seed", "torch.cuda.manual_seed", "torch.cuda.manual_seed_all",
      "torch.random.manual_seed")
def manual_seed(ctx, original, updated, qn):
    if len(original.args) != 1 or original.args[0].star:
        return None
    new = updated.with_changes(func=ctx.render("mindspore.set_seed"))
    return ctx.edit(original, FAMILY, new, before=ctx.code(original.func), after=ctx.code(new.func))


@call("torch.use_deterministic_algorithms")
def deterministic(ctx, original, updated, qn):
    ctx.flag(original, FAMILY, f"{qn}(): no MindSpore counterpart; "
                               "mindspore.set_context(deterministic='ON') is the closest setting")
    return ctx.leave_torch(original, updated)


@reference("torch.backends.cudnn", prefix=True)
def cudnn(ctx, original, updated, qn):
    ctx.flag(original, FAMILY, f"{qn}: cuDNN switches have no MindSpore counterpart "
                               "(mindspore.set_context(deterministic='ON') for determinism)")
    return ctx.leave_torch(original, updated)
