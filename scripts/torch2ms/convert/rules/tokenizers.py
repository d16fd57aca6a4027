"""Hugging Face tokenizers and processors: `return_tensors="pt"` -> `"np"`, wrapped for MindSpore.

Tokenizers and processors stay on transformers (they carry no tensors), but mindone models refuse
torch tensors and transformers cannot make MindSpore ones. So the call asks for numpy arrays and
is wrapped: a dict-like result (`tokenizer(...)`, `processor(...)`, `encode_plus`, ...) in
mindone's `BatchFeature(..., tensor_type="ms")` (attribute and `**` access as before, values
mindspore.Tensor), an array result (`encode`, `apply_chat_template` without `return_dict=True`)
in `mindspore.Tensor(...)`.
"""

from __future__ import annotations

import libcst as cst

from . import node

FAMILY = "tokenizers"
_ARRAY_METHODS = ("encode", "apply_chat_template")


def _is_pt(arg: cst.Arg) -> bool:
    return (arg.keyword is not None and arg.keyword.value == "return_tensors"
            and isinstance(arg.value, cst.SimpleString) and arg.value.evaluated_value == "pt")


@node(cst.Call, keywords=("return_tensors",))
def return_tensors_pt(ctx, original: cst.Call, updated: cst.Call):
    if not any(_is_pt(a) for a in updated.args):
        return None
    ctx.count_site(original)
    args = [a.with_changes(value=cst.SimpleString(a.value.value.replace("pt", "np")))
            if _is_pt(a) else a for a in updated.args]
    call = updated.with_changes(args=args)
    method = original.func.attr.value if isinstance(original.func, cst.Attribute) else None
    returns_dict = any(a.keyword is not None and a.keyword.value == "return_dict"
                       and isinstance(a.value, cst.Name) and a.value.value == "True" for a in updated.args)
    if method in _ARRAY_METHODS and not returns_dict:
        wrapped = cst.Call(func=ctx.render("mindspore.Tensor"), args=[cst.Arg(call)])
    else:
        wrapped = cst.Call(func=ctx.render("mindone.transformers.BatchFeature"), args=[
            cst.Arg(call, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
            cst.Arg(cst.SimpleString('"ms"'), keyword=cst.Name("tensor_type"),
                    equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                          whitespace_after=cst.SimpleWhitespace("")))])
    return ctx.edit(original, FAMILY, wrapped, before='return_tensors="pt"',
                    after=f'return_tensors="np" in {ctx.code(wrapped.func)}(...)')
