"""timm -> mindcv: the name table against timm itself, create_model's conversion, the markers."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

from torch2ms.convert.engine import convert_source
from torch2ms.convert.rules import timm as timm_rules


@pytest.fixture(scope="module")
def timm():
    from torch2ms import torch_env

    torch_env.prepare()
    import timm

    return timm


def _count_timm(timm, name):
    import torch

    with torch.device("meta"):
        model = timm.create_model(name)
    return sum(p.numel() for p in model.parameters())


def _count_mindcv(name):
    import mindcv
    from mindspore.nn.utils import no_init_parameters

    try:
        with no_init_parameters():
            model = mindcv.create_model(name)
    except RuntimeError:  # builders that compute on their parameters
        model = mindcv.create_model(name)
    return sum(int(np.prod(p.shape)) for p in model.trainable_params())


@pytest.mark.parametrize("name", sorted(timm_rules.MODELS), ids=sorted(timm_rules.MODELS))
def test_name_table_names_the_same_architecture(timm, name):
    spec = timm_rules.MODELS[name]
    assert name in timm.list_models()
    same = _count_timm(timm, name) == _count_mindcv(spec["to"])
    assert same == (spec["status"] == "verified"), (name, spec)


CASES = [
    ("literal name, keywords renamed", """\
        import timm
        model = timm.create_model("vit_base_patch16_224", pretrained=False, num_classes=10, in_chans=1)
        """, 'model = mindcv.create_model("vit_b_16_224", num_classes=10, in_channels=1)'),
    ("pretrained tag and weights", """\
        from timm import create_model
        m = create_model("resnet50.a1_in1k", pretrained=True)
        """, 'm = mindcv.create_model("resnet50", pretrained=True)'),
    ("name from a variable", """\
        from timm.models import create_model
        m = create_model(args.model, num_classes=args.num_classes)
        """, "m = mindcv.create_model(args.model, num_classes=args.num_classes)"),
]


@pytest.mark.parametrize("name,before,expected", CASES, ids=[c[0] for c in CASES])
def test_create_model_becomes_mindcv(name, before, expected):
    code = convert_source(textwrap.dedent(before)).code
    assert expected in code
    assert "import mindcv" in code
    assert not any(l.startswith(("import timm", "from timm")) for l in code.splitlines()), code
    assert "# TODO(torch2ms): timm.create_model -> mindcv.create_model" in code or \
        "TODO(torch2ms): timm.models.create_model -> mindcv.create_model" in code
    assert convert_source(code).code == code


def test_marker_texts_say_what_is_not_checked():
    code = convert_source('import timm\nm = timm.create_model("resnet50.a1_in1k", pretrained=True)\n').code
    assert "the pretrained tag .a1_in1k has no mindcv counterpart" in code
    assert "pretrained loads mindcv's own ImageNet checkpoint, not timm's weights" in code
    assert "the outputs were not compared" in code


def test_name_outside_the_table_and_members_are_flagged():
    code = convert_source(textwrap.dedent("""\
        import timm
        a = timm.create_model("eva02_large_patch14_448")
        m = timm.create_model("resnet18")
        n = m.get_classifier().in_features
        cfg = m.default_cfg
        m.reset_classifier(10)
        mix = timm.data.Mixup(mixup_alpha=0.8)
        opt = timm.optim.create_optimizer_v2(m, opt="adamw", lr=1e-3)
        """)).code
    lines = {l.split(" = ")[0].split("  # ")[0].strip(): l for l in code.splitlines() if "TODO(torch2ms)" in l}
    assert "not in mindcv's name table" in lines["a"]
    assert "`classifier` (resnet" in lines["n"] and "`head` (vit" in lines["n"] and "`mlp_head` (efficientnet" in lines["n"]
    assert "get_pretrained_cfg" in lines["cfg"]
    assert "mindspore.nn.Dense(model.num_features, num_classes)" in lines["m.reset_classifier(10)"]
    assert "mindcv.data.mixup.Mixup" in lines["mix"]
    assert "mindcv.optim.create_optimizer(model.trainable_params()" in lines["opt"]


def test_every_mindcv_name_in_the_markers_exists(resolve_dotted):
    """The counterparts the markers name exist in the installed mindcv / MindSpore."""
    import re

    texts = [v for v in timm_rules._DATA["notes"].values()] + list(timm_rules._MEMBERS.values())
    names = set()
    for text in texts:
        names |= set(re.findall(r"\b((?:mindcv|mindspore)(?:\.[A-Za-z_][A-Za-z0-9_]*)+)", text))
    assert len(names) > 10
    for name in sorted(names):
        resolve_dotted(name)
