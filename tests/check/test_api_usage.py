"""Every mindspore/mindone name exists and calls bind to their signatures, statically."""


import pytest

HEADER = ("import mindspore as ms\nfrom mindspore import mint, nn, ops\n"
          "import mindspore.mint.nn.functional as F\n")

CAUGHT = [
    ("misspelled mint API", "y = mint.catt([1], dim=0)\n", "api-missing", "mindspore.mint.catt"),
    ("misspelled through an alias", "y = F.gelux(1)\n", "api-missing", "mindspore.mint.nn.functional.gelux"),
    ("missing in an import", "from mindspore.mint import gelux\n", "api-missing", "mindspore.mint.gelux"),
    ("missing module", "import mindspore.nonexistent_mod\n", "api-missing", "mindspore.nonexistent_mod"),
    ("torch name on mindspore.nn", "class M(nn.Module):\n    pass\n", "api-missing", "mindspore.nn.Module"),
    ("wrong keyword", "y = mint.cat([1, 2], axis=0)\n", "api-signature", "'axis'"),
    ("wrong keyword of a layer", "l = mint.nn.Linear(3, 4, biass=False)\n", "api-signature", "'biass'"),
    ("too many positionals", "y = mint.cat([1], 0, 2)\n", "api-signature", "at most 2 positional"),
    ("missing argument", "l = mint.nn.Linear(3)\n", "api-signature", "out_features"),
    ("same argument twice", "l = mint.nn.Linear(3, 4, in_features=3)\n", "api-signature", "both by position"),
    ("device= not declared by the API", "y = mint.ones((2, 3), device='cpu')\n", "api-signature", "'device'"),
    ("int scale_factor of Upsample", "up = mint.nn.Upsample(scale_factor=2, mode='bilinear')\n",
     "api-signature", "scale_factor=2 is an int"),
    ("int scale_factor tuple given by position", "y = F.interpolate(1, None, (2, 2))\n",
     "api-signature", "scale_factor=(2, 2) is an int"),
]

FINE = [
    ("correct calls", "l = mint.nn.Linear(3, 4, bias=False)\ny = mint.cat([1, 2], dim=0)\n"
     "z = ops.softmax(1, axis=-1)\nd = ms.float32\n"),
    ("star arguments are not judged", "args = [1]\nkw = {}\ny = mint.cat(*args, **kw)\n"),
    ("class members", "t = ms.Tensor.from_numpy\n"),
    ("dataset", "import mindspore.dataset as ds\nd = ds.GeneratorDataset([1], column_names=['x'], shuffle=False)\n"),
    ("float scale_factor", "up = mint.nn.Upsample(scale_factor=2.0, mode='bilinear')\n"
     "y = F.interpolate(1, scale_factor=(2.0, 2.0))\n"),
    ("value_and_grad", "g = ms.value_and_grad(print, None, [], has_aux=True)\n"),
]


@pytest.mark.parametrize("name,body,code,words", CAUGHT, ids=[c[0] for c in CAUGHT])
def test_catches(check, name, body, code, words):
    result = check(HEADER + body)
    assert any(f.code == code and words in f.message for f in result.findings), result.findings


@pytest.mark.parametrize("name,body", FINE, ids=[c[0] for c in FINE])
def test_fine(check, name, body):
    result = check(HEADER + body)
    assert [f for f in result.findings if f.code.startswith("api")] == []


def test_the_file_is_never_imported(check, tmp_path):
    """A planted side effect at import time must not happen during a static check."""
    flag = tmp_path / "imported"
    result = check(HEADER + f"open({str(flag)!r}, 'w').write('x')\n")
    assert result.verdict == "pass"
    assert not flag.exists()


def test_cache_is_reused_without_importing(index, api_cache):
    """A second index reads everything from the cache file: resolving imports nothing."""
    import sys

    from torch2ms.check import api_index

    fresh = api_index.ApiIndex()
    assert fresh.path.parent == api_cache
    assert "mindspore.mint" in fresh.modules
    before = set(sys.modules)
    entry, missing = fresh.resolve("mindspore.mint.nn.functional.silu")
    assert missing is None and entry["k"] == "function"
    assert fresh._new == set()
    assert set(sys.modules) == before


def test_thousand_line_file_passes(check):
    block = ("def layer_{i}(x):\n"
             "    y = mint.matmul(x, x)\n"
             "    z = F.silu(y)  # activation\n"
             "    w = mint.cat([y, z], dim=-1)\n"
             "    return ops.softmax(w, axis=-1)\n\n")
    source = HEADER + "".join(block.format(i=i) for i in range(170))
    assert source.count("\n") > 1000
    result = check(source)  # timed in benchmarks/bench_check.py
    assert result.verdict == "pass", result.findings[:3]


def test_mindone_names(check):
    result = check("from mindone.transformers import LlamaForCausalLM, LlamaForCausalLMM\n"
                   "m = LlamaForCausalLM.from_pretrained('x', mindspore_dtype=None)\n")
    missing = [f for f in result.findings if f.code == "api-missing"]
    assert len(missing) == 1 and "LlamaForCausalLMM" in missing[0].message


def test_unimportable_package_is_never_a_pass(check, index, monkeypatch):
    """Without an importable mindspore, names cannot be checked: that is a finding, not a pass."""
    monkeypatch.setitem(index.modules, "mindspore", {"error": "ModuleNotFoundError: No module named 'mindspore'"})
    result = check("from mindspore import mint\nx = mint.ones((2,))\n")
    assert result.verdict == "fail"
    assert any("cannot check the mindspore names" in f.message for f in result.findings)


def test_dunder_of_a_class_is_not_missing(check):
    result = check(HEADER + "class M(nn.Cell):\n    def __init__(self):\n        nn.Cell.__init__(self)\n")
    assert result.findings == []


def test_self_calls_in_a_cell(check):
    source = HEADER + (
        "class Base(nn.Cell):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.fc = mint.nn.Linear(2, 2)\n"
        "    def helper(self):\n"
        "        return 1\n"
        "class Net(Base):\n"
        "    def construct(self, x):\n"
        "        self.set_train(False)\n"          # a Cell method
        "        self.helper()\n"                  # defined in a same-file base
        "        self._gradient_checkpointing_func(x)\n"  # set from outside, by convention
        "        y = [m for m in self.named_modules()]\n"  # torch's Module API
        "        return self.fc(x)\n"              # assigned in __init__
        "from mixins import SomeMixin\n"
        "class Other(SomeMixin, nn.Cell):\n"      # unknown base: not judged
        "    def construct(self, x):\n"
        "        return self.anything(x)\n")
    result = check(source)
    assert [(f.line, f.code) for f in result.findings] == [(15, "api-missing")], result.findings
    assert "named_modules" in result.findings[0].message
