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


@pytest.mark.parametrize("source, expected", [
    ("from transformers.activations import ACT2FN\nact = ACT2FN['gelu']\n",
     "from mindone.transformers.activations import ACT2FN\n"),
    ("from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS, dynamic_rope_update\n"
     "f = ROPE_INIT_FUNCTIONS['default']\n@dynamic_rope_update\ndef g(x):\n    return x\n",
     "from mindone.transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS, dynamic_rope_update\n"),
    ("from transformers.modeling_layers import GradientCheckpointingLayer\n"
     "class Layer(GradientCheckpointingLayer):\n    pass\n",
     "from mindone.transformers.modeling_layers import GradientCheckpointingLayer\n"),
    ("import transformers\nact = transformers.activations.ACT2FN['gelu']\n",
     "from mindone.transformers.activations import ACT2FN\nact = ACT2FN['gelu']"),
])
def test_names_of_other_transformers_modules_move_to_the_same_mindone_module(convert_code, source, expected):
    result = convert_code(source)
    assert expected in result.code and "TODO(torch2ms)" not in result.code, result.code


def test_a_name_mindone_does_not_define_in_that_module_is_flagged_with_its_library(convert_code):
    result = convert_code("from transformers.modeling_flash_attention_utils import flash_attn_supports_top_left_mask\n"
                          "x = flash_attn_supports_top_left_mask()\n")
    assert "is not in mindone.transformers 0.5.0: port it by hand" in result.code
    assert "# TODO(torch2ms): transformers import kept for the flagged code" in result.code


def test_the_module_table_is_what_the_installed_mindone_defines(mindone_transformers):
    from pathlib import Path

    from torch2ms.convert.rules._hf_modules import module_names

    table = load("hf_modules")["modules"]
    assert table == module_names(Path(mindone_transformers.__file__).parent)
    assert "ACT2FN" in table["activations"] and "GradientCheckpointingLayer" in table["modeling_layers"]
    import importlib

    for module in ("activations", "modeling_rope_utils", "modeling_layers", "cache_utils", "generation"):
        missing = [n for n in table[module] if not hasattr(importlib.import_module(f"mindone.transformers.{module}"), n)]
        assert not missing, (module, missing[:10])
