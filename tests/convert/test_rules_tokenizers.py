"""Tokenizers and processors: return_tensors="pt" -> "np", wrapped into MindSpore tensors."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

from torch2ms.convert.engine import convert_source

CASES = [
    ("call result", 'inputs = tokenizer(prompt, return_tensors="pt")\n',
     'inputs = BatchFeature(tokenizer(prompt, return_tensors="np"), tensor_type="ms")\n'),
    ("attribute of the result", "ids = tokenizer(prompt, return_tensors='pt').input_ids\n",
     "ids = BatchFeature(tokenizer(prompt, return_tensors='np'), tensor_type=\"ms\").input_ids\n"),
    ("encode gives an array", 'ids = tok.encode(text, return_tensors="pt", truncation=True)\n',
     'ids = ms.Tensor(tok.encode(text, return_tensors="np", truncation=True))\n'),
    ("chat template", 'ids = tok.apply_chat_template(msgs, add_generation_prompt=True, return_tensors="pt")\n',
     'ids = ms.Tensor(tok.apply_chat_template(msgs, add_generation_prompt=True, return_tensors="np"))\n'),
    ("chat template as a dict", 'enc = tok.apply_chat_template(msgs, return_dict=True, return_tensors="pt")\n',
     'enc = BatchFeature(tok.apply_chat_template(msgs, return_dict=True, return_tensors="np"), tensor_type="ms")\n'),
    ("processor", 'x = processor(images=img, return_tensors="pt")\n',
     'x = BatchFeature(processor(images=img, return_tensors="np"), tensor_type="ms")\n'),
]


@pytest.mark.parametrize("name,before,after", CASES, ids=[c[0] for c in CASES])
def test_return_tensors_pt_becomes_mindspore_tensors(name, before, after):
    result = convert_source(before)
    assert after in result.code, result.code
    assert "TODO" not in result.code
    assert result.found == result.converted == 1
    assert convert_source(result.code).code == result.code


def test_other_return_tensors_values_are_left_alone():
    code = 'a = tok(x, return_tensors="np")\nb = tok(x)\n'
    assert convert_source(code).code == code


@pytest.fixture(scope="module")
def tokenizer():
    from torch2ms import torch_env

    torch_env.prepare()
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from tokenizers.pre_tokenizers import Whitespace
    from transformers import PreTrainedTokenizerFast

    vocab = {"[PAD]": 0, "[UNK]": 1, "hello": 2, "world": 3, "a": 4}
    tok = Tokenizer(WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = Whitespace()
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="[PAD]", unk_token="[UNK]")


SOURCE = """\
def encode(tokenizer, texts):
    inputs = tokenizer(texts, padding=True, return_tensors="pt")
    return inputs

def consume(input_ids, attention_mask, **rest):
    return input_ids, attention_mask

def ids(tokenizer, text):
    return tokenizer.encode(text, return_tensors="pt")
"""


def test_converted_calls_give_mindspore_tensors_with_torchs_values(tokenizer):
    import mindspore as ms

    code = convert_source(SOURCE).code
    torch_ns, ms_ns = {}, {}
    exec(SOURCE, torch_ns)
    exec(code, ms_ns)
    texts = ["hello world", "a hello"]
    want = torch_ns["encode"](tokenizer, texts)
    got = ms_ns["encode"](tokenizer, texts)
    ids, mask = ms_ns["consume"](**got)  # ** unpacking works as on a BatchEncoding
    assert isinstance(ids, ms.Tensor) and isinstance(got.attention_mask, ms.Tensor)
    np.testing.assert_array_equal(ids.asnumpy(), want["input_ids"].numpy())
    np.testing.assert_array_equal(mask.asnumpy(), want["attention_mask"].numpy())
    one = ms_ns["ids"](tokenizer, "hello a")
    assert isinstance(one, ms.Tensor)
    np.testing.assert_array_equal(one.asnumpy(), torch_ns["ids"](tokenizer, "hello a").numpy())
