"""Reading checkpoints as users save them, their metadata as JSON, and atomic writes."""

import json
import os

import numpy as np
import pytest

from torch2ms.weights import checkpoints
from torch2ms.weights.checkpoints import CheckpointError


@pytest.fixture
def sd():
    import torch

    return {"w": torch.ones(2, 2), "b": torch.zeros(2)}


def test_the_state_dict_is_found_where_checkpoints_keep_it(sd, tmp_path):
    import torch

    path = tmp_path / "c.pt"
    assert checkpoints.find_state_dict(sd, None, path)[1:] == (None, {})
    state, key, rest = checkpoints.find_state_dict({"model": sd, "epoch": 3}, None, path)
    assert key == "model" and set(state) == {"w", "b"} and rest == {"epoch": 3}
    _, key, rest = checkpoints.find_state_dict({"ema": dict(sd), "model": sd}, None, path)
    assert key == "model" and set(rest) == {"ema"}  # the usual name wins over another state dict
    with pytest.raises(CheckpointError, match=r"several state dicts \(a, b\): --key NAME picks one"):
        checkpoints.find_state_dict({"a": sd, "b": dict(sd)}, None, path)
    state, key, rest = checkpoints.find_state_dict({"train": {"net": sd, "step": 4}, "lr": 0.1}, "train.net", path)
    assert key == "train.net" and rest == {"train": {"step": 4}, "lr": 0.1}
    with pytest.raises(CheckpointError, match="has no 'train.model'"):
        checkpoints.find_state_dict({"train": {"net": sd}}, "train.model", path)
    with pytest.raises(CheckpointError, match="holds no state dict"):
        checkpoints.find_state_dict({"epoch": 3, "w": torch.ones(1), "cfg": {}}, None, path)


def test_a_legacy_torch_file_is_read_too(sd, tmp_path):
    import torch

    torch.save(sd, tmp_path / "old.pt", _use_new_zipfile_serialization=False)  # cannot be memory-mapped
    assert set(checkpoints.read_torch_side(tmp_path / "old.pt").tensors) == {"w", "b"}


def test_a_broken_shard_index_is_named(sd, tmp_path):
    from safetensors.torch import save_file

    save_file(sd, str(tmp_path / "model-1.safetensors"))
    index = {"metadata": {}, "weight_map": {"w": "model-1.safetensors", "extra": "model-1.safetensors"}}
    (tmp_path / "model.safetensors.index.json").write_text(json.dumps(index))
    with pytest.raises(CheckpointError, match="lists 1 tensors its shards lack: extra"):
        checkpoints.read_torch_side(tmp_path)
    index["weight_map"]["extra"] = "model-2.safetensors"
    (tmp_path / "model.safetensors.index.json").write_text(json.dumps(index))
    with pytest.raises(CheckpointError, match="names model-2.safetensors, which is not in"):
        checkpoints.read_torch_side(tmp_path)


def test_a_folder_without_weights_is_refused(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(CheckpointError, match="holds no model.safetensors, pytorch_model.bin or shard index"):
        checkpoints.read_torch_side(tmp_path)


def test_metadata_becomes_json_values():
    import argparse

    import torch

    value = {"step": torch.tensor(7), "ema": torch.tensor([0.5, 0.25], dtype=torch.bfloat16),
             "best": np.float32(1.5), "hist": np.arange(3), "args": argparse.Namespace(lr=0.1),
             "state": {0: {"exp_avg": torch.ones(2)}}, "pair": (1, "a")}
    assert checkpoints.jsonable(value) == {"step": 7, "ema": [0.5, 0.25], "best": 1.5, "hist": [0, 1, 2],
                                           "args": {"lr": 0.1}, "state": {"0": {"exp_avg": [1.0, 1.0]}},
                                           "pair": [1, "a"]}
    with pytest.raises(CheckpointError, match=r"metadata sched.fn: a builtin_function_or_method cannot be written as JSON; --drop sched"):
        checkpoints.jsonable({"sched": {"fn": len}})


def test_atomic_files_appear_only_on_commit(tmp_path):
    dst, meta = tmp_path / "w.safetensors", tmp_path / "w.json"
    with pytest.raises(RuntimeError):
        with checkpoints.AtomicFiles() as out:
            out.path(dst).write_text("half")
            raise RuntimeError("interrupted")
    assert os.listdir(tmp_path) == []
    with checkpoints.AtomicFiles() as out:
        out.path(dst).write_text("weights")
        checkpoints.write_json({"config": {"a": 1}}, out.path(meta))
        assert not dst.exists()
        out.commit()
    assert sorted(os.listdir(tmp_path)) == ["w.json", "w.safetensors"]
    assert json.loads(meta.read_text()) == {"config": {"a": 1}}
    assert dst.stat().st_mode & 0o644 == 0o644
