"""The mapping table loader: merge, duplicates, unknown keys.

The packaged table's content (every target real, `verified` earned) is tested in
tests/convert/differential/test_mapping_table.py."""

import pytest

from torch2ms.convert.mappings import MappingError, default_table, load_tables


def _write(tmp_path, name, text):
    (tmp_path / name).write_text(text)


def test_merges_files(tmp_path):
    _write(tmp_path, "a.yaml", "torch.cat:\n  to: mindspore.mint.cat\n  params: [tensors, dim]\n")
    _write(tmp_path, "b.yaml", "Tensor.view:\n  to: view\n")
    table = load_tables(tmp_path)
    assert table["torch.cat"].params == ("tensors", "dim") and table["torch.cat"].source == "a.yaml"
    assert table["Tensor.view"].is_method and not table["Tensor.view"].method_target_is_function


@pytest.mark.parametrize("files,message", [
    ({"a.yaml": "torch.cat: {to: x}\n", "b.yaml": "torch.cat: {to: y}\n"}, "defined in both"),
    ({"a.yaml": "torch.cat: {to: x}\ntorch.cat: {to: y}\n"}, "defined twice"),
    ({"a.yaml": "torch.cat: {to: x, renamed: {}}\n"}, "unknown key"),
    ({"a.yaml": "torch.cat: {params: [a]}\n"}, "`to:` is required"),
    ({"a.yaml": "torch.cat: {to: null}\n"}, "needs a `note:`"),
    ({"a.yaml": "torch.cat: {to: x, status: done}\n"}, "status must be"),
    ({"a.yaml": "torch.ones: {to: x, params: [size], pack: true}\n"}, "pack needs"),
])
def test_rejects_bad_tables(tmp_path, files, message):
    for name, text in files.items():
        _write(tmp_path, name, text)
    with pytest.raises(MappingError, match=message):
        load_tables(tmp_path)
