"""transformers model classes -> mindone.transformers; configs and tokenizers stay."""

import pytest

from torch2ms.convert.rules._data import load

CASES = [
    ("model_class_moves_tokenizer_stays", """\
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        tok = AutoTokenizer.from_pretrained("gpt2")
        model = AutoModelForCausalLM.from_pretrained("gpt2", torch_dtype=torch.float16)
        """, """\
        import mindspore as ms
        from mindone.transformers import AutoModelForCausalLM
        from transformers import AutoTokenizer

        tok = AutoTokenizer.from_pretrained("gpt2")
        model = AutoModelForCausalLM.from_pretrained("gpt2", mindspore_dtype=ms.float16)
        """),
    ("module_import_style", """\
        import transformers
        cfg = transformers.BertConfig()
        model = transformers.BertModel(cfg)
        """, """\
        import transformers
        from mindone.transformers import BertModel
        cfg = transformers.BertConfig()
        model = BertModel(cfg)
        """),
]


@pytest.mark.parametrize("name,before,after", CASES, ids=[c[0] for c in CASES])
def test_converts(converts, name, before, after):
    converts(before, after)


def test_class_missing_from_mindone_is_flagged(convert_code):
    result = convert_code("from transformers import NoSuchModel\nm = NoSuchModel()\n")
    assert "m = NoSuchModel()  # TODO(torch2ms): transformers.NoSuchModel is not in mindone.transformers 0.5.0" in result.code


@pytest.fixture(scope="session")
def mindone_transformers():
    import mindone.transformers

    return mindone.transformers


def test_every_listed_mindone_class_exists(mindone_transformers):
    names = load("hf_ecosystem")["mindone_exports"]
    assert len(names) > 1000
    missing = [n for n in names if not hasattr(mindone_transformers, n)]
    assert not missing, missing[:20]
