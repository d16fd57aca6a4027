"""`torch2ms weights`: checkpoints written here -> the command -> the port loads them and computes
what torch computes; the accounting table and exit codes for what does not map."""

import dataclasses
import json
import os

import numpy as np
import pytest

KWARGS = json.dumps({"vocab_size": 32, "dim": 16, "kernel": 3})


def save(way: str, model, folder, net_torch):
    """The torch model's weights saved one of the ways users save them; returns SRC."""
    import torch

    if way == "state_dict":
        path = folder / "net.pt"
        torch.save(model.state_dict(), path)
    elif way == "dict_with_config":
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
        model.train()
        model(torch.tensor(np.ones((2, 3), np.int64))).sum().backward()
        optimizer.step()
        model.eval()
        path = folder / "net.pth"
        torch.save({"model": model.state_dict(), "config": dataclasses.asdict(net_torch.NetConfig()),
                    "vocab": ["<pad>", "a", "b"], "optimizer": optimizer.state_dict(), "step": 7}, path)
    elif way == "safetensors":
        from safetensors.torch import save_model

        path = folder / "net.safetensors"
        save_model(model, str(path))  # drops one name of the tied pair
    elif way == "hf_sharded":
        from huggingface_hub import save_torch_state_dict

        path = folder / "net_hf"
        path.mkdir()
        save_torch_state_dict(model.state_dict(), str(path), max_shard_size="2KB")
        assert len(list(path.glob("*.safetensors"))) > 2 and (path / "model.safetensors.index.json").is_file()
    return path


def no_leftovers(folder):
    return [p.name for p in folder.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("way", ["state_dict", "dict_with_config", "safetensors", "hf_sharded"])
def test_the_port_loads_the_converted_checkpoint_and_computes_what_torch_does(way, tmp_path, net, cli, kit):
    net_torch, net_ms = net
    model = net_torch.trained()
    src = save(way, model, tmp_path, net_torch)
    dst = tmp_path / "out" / "net.safetensors"
    build = ["--build", "Net", "--config", "NetConfig"] + ([] if way == "dict_with_config" else ["--kwargs", KWARGS])
    code, out, err = cli("weights", src, "--port", kit.PORT_FILE, *build, "-o", dst)
    assert code == 0, out + err
    assert "missing            0" in out and "unused             0" in out
    assert "reshaped           1  conv.weight [16, 16, 3] -> [16, 16, 1, 3]" in out
    assert "norm.weight -> norm.gamma (nn-layer name)" in out
    assert f"wrote {dst} (12 tensors)" in out and "load_param_into_net load every parameter" in out
    port = kit.load_port(net_ms, dst)
    error = np.abs(kit.port_logits(port) - kit.torch_logits(model)).max()
    assert error <= 1e-5, error
    assert no_leftovers(dst.parent) == []
    meta = dst.parent / "net.safetensors.json"
    if way == "dict_with_config":  # the rest of the checkpoint, as CLAUDE.md's rule has it: p + ".json"
        data = kit.read_json(meta)
        assert data["config"] == kit.CONFIG and data["vocab"] == ["<pad>", "a", "b"] and data["step"] == 7
        first = data["optimizer"]["state"]["0"]
        np.testing.assert_allclose(np.array(first["exp_avg"]), model_state(src)["optimizer"]["state"][0]["exp_avg"].numpy())
        assert data["optimizer"]["param_groups"][0]["lr"] == 1e-3
        assert "metadata           4  config, vocab, optimizer (" in out
    else:
        assert not meta.exists()


def model_state(path):
    import torch

    return torch.load(path, weights_only=True)


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
@pytest.mark.parametrize("fmt", ["safetensors", "ckpt"])
def test_half_precision_is_kept_and_loads_bit_for_bit(dtype, fmt, tmp_path, net, cli, kit):
    import mindspore
    import torch

    net_torch, net_ms = net
    model = net_torch.trained().to(getattr(torch, dtype))
    torch.save(model.state_dict(), tmp_path / "half.pt")
    dst = tmp_path / f"half.{fmt}"
    code, out, err = cli("weights", tmp_path / "half.pt", "--port", kit.PORT_FILE, "--build", "Net",
                         "--config", "NetConfig", "--kwargs", KWARGS, "-o", dst)
    assert code == 0, out + err
    assert f"{dtype} x11, int64 x1" in out
    stored = mindspore.load_checkpoint(str(dst), format=fmt)
    assert {str(v.dtype).lower() for k, v in stored.items() if k != "bn.num_batches_tracked"} == {dtype}
    port = kit.load_port(net_ms, dst)  # a float32 port: the half values widen exactly
    values = dict(port.parameters_and_names())
    for name, tensor in model.state_dict().items():
        if name == "head.weight":
            continue  # tied: the port's embed.weight
        ms_name = {"norm.weight": "norm.gamma", "norm.bias": "norm.beta"}.get(name, name)
        expected = tensor.float().numpy() if tensor.is_floating_point() else tensor.numpy()
        got = values[ms_name].asnumpy().reshape(expected.shape)
        assert np.array_equal(got, expected), name


def test_dtype_option_casts_floating_tensors_only(tmp_path, net, cli, kit):
    import mindspore
    import torch

    model = net[0].trained().to(torch.bfloat16)
    torch.save(model.state_dict(), tmp_path / "half.pt")
    code, out, _ = cli("weights", tmp_path / "half.pt", "--port", kit.PORT_FILE, "--build", "Net", "--config",
                       "NetConfig", "--kwargs", KWARGS, "--dtype", "model", "-o", tmp_path / "full.safetensors")
    assert code == 0 and "float32 x11, int64 x1" in out
    stored = mindspore.load_checkpoint(str(tmp_path / "full.safetensors"), format="safetensors")
    assert str(stored["bn.num_batches_tracked"].dtype) == "Int64" and str(stored["proj.weight"].dtype) == "Float32"


def broken_checkpoint(tmp_path, net_torch, change):
    import torch

    state = net_torch.trained().state_dict()
    change(state)
    torch.save(state, tmp_path / "broken.pt")
    return tmp_path / "broken.pt"


def run_broken(cli, kit, src, dst, *extra):
    return cli("weights", src, "--port", kit.PORT_FILE, "--build", "Net", "--config", "NetConfig",
               "--kwargs", KWARGS, "-o", dst, *extra)


def test_a_renamed_layer_is_missing_and_unused_until_renamed(tmp_path, net, cli, kit):
    def rename(state):
        for kind in ("weight", "bias"):
            state[f"projection.{kind}"] = state.pop(f"proj.{kind}")

    src, dst = broken_checkpoint(tmp_path, net[0], rename), tmp_path / "out.safetensors"
    code, out, _ = run_broken(cli, kit, src, dst)
    assert code == 1
    assert "missing            2  in the port, not in the checkpoint: proj.weight, proj.bias" in out
    assert "unused             2  in the checkpoint, not in the port: projection.weight, projection.bias" in out
    assert "nothing written" in out and not dst.exists() and no_leftovers(tmp_path) == []
    code, out, _ = run_broken(cli, kit, src, dst, "--rename", "projection.=proj.")
    assert code == 0, out
    assert "renamed            4  projection -> proj x2 (--rename), weight -> gamma x1 (nn-layer name)" in out
    assert dst.is_file()


def test_a_missing_tensor_fails_unless_allowed(tmp_path, net, cli, kit):
    src, dst = broken_checkpoint(tmp_path, net[0], lambda s: s.pop("proj.bias")), tmp_path / "out.safetensors"
    code, out, _ = run_broken(cli, kit, src, dst)
    assert code == 1 and "missing            1  in the port, not in the checkpoint: proj.bias" in out
    assert "unused             0" in out and not dst.exists()
    code, out, _ = run_broken(cli, kit, src, dst, "--allow-missing", "proj.bias")
    assert code == 0, out
    assert "missing            0" in out and "allowed            1  proj.bias (missing)" in out


def test_an_extra_tensor_fails_unless_allowed(tmp_path, net, cli, kit):
    import torch

    src = broken_checkpoint(tmp_path, net[0], lambda s: s.update({"ema.proj.weight": torch.zeros(16, 16)}))
    dst = tmp_path / "out.safetensors"
    code, out, _ = run_broken(cli, kit, src, dst)
    assert code == 1 and "unused             1  in the checkpoint, not in the port: ema.proj.weight" in out
    assert "missing            0" in out and not dst.exists()
    code, out, _ = run_broken(cli, kit, src, dst, "--allow-unused", "ema.*")
    assert code == 0, out
    import mindspore

    assert "ema.proj.weight" not in mindspore.load_checkpoint(str(dst), format="safetensors")


def test_a_shape_mismatch_fails_whatever_is_allowed(tmp_path, net, cli, kit):
    import torch

    src = broken_checkpoint(tmp_path, net[0], lambda s: s.update({"proj.weight": torch.zeros(8, 16)}))
    code, out, _ = run_broken(cli, kit, src, tmp_path / "out.safetensors", "--allow-missing", "*", "--allow-unused", "*")
    assert code == 1 and "shape mismatch     1  proj.weight [8, 16] vs proj.weight [16, 16]" in out


def test_the_dataparallel_prefix_is_dropped(tmp_path, net, cli, kit):
    src = broken_checkpoint(tmp_path, net[0], lambda s: [s.update({f"module.{k}": s.pop(k)}) for k in list(s)])
    code, out, _ = run_broken(cli, kit, src, tmp_path / "out.safetensors")
    assert code == 0, out
    assert "module -> (none) x" in out and "(DataParallel prefix)" in out


def test_loading_runs_no_pickled_code(tmp_path, net, cli, kit):
    import torch

    marker = tmp_path / "code-ran"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    torch.save({"model": net[0].trained().state_dict(), "extra": Payload()}, tmp_path / "evil.pt")
    code, out, err = run_broken(cli, kit, tmp_path / "evil.pt", tmp_path / "out.safetensors")
    assert code == 2 and not marker.exists()
    assert len(err.strip().splitlines()) == 1 and err.startswith("torch2ms weights: ")
    assert "runs no pickled code" in err


def test_a_trusted_class_is_allowed_by_name(tmp_path, net, cli, kit):
    import argparse

    import torch

    torch.save({"model": net[0].trained().state_dict(), "args": argparse.Namespace(lr=0.1, epochs=3)},
               tmp_path / "ns.pt")
    code, _, err = run_broken(cli, kit, tmp_path / "ns.pt", tmp_path / "out")
    assert code == 2 and "argparse.Namespace" in err and "--safe-global argparse.Namespace" in err
    code, out, err = run_broken(cli, kit, tmp_path / "ns.pt", tmp_path / "out", "--safe-global", "argparse.Namespace")
    assert code == 0, out + err
    assert kit.read_json(tmp_path / "out.json") == {"args": {"lr": 0.1, "epochs": 3}}
    assert (tmp_path / "out.safetensors").is_file()  # what mindspore.save_checkpoint(net, "out", ...) writes


def test_a_whole_pickled_model_is_refused_with_the_fix(tmp_path, net, cli, kit, monkeypatch):
    import sys

    import torch

    model = net[0].trained()
    # pickled where its class was importable, as in the user's own project
    monkeypatch.setitem(sys.modules, type(model).__module__, net[0])
    torch.save(model, tmp_path / "model.pt")
    monkeypatch.delitem(sys.modules, type(model).__module__)
    code, _, err = run_broken(cli, kit, tmp_path / "model.pt", tmp_path / "out.safetensors")
    assert code == 2 and "re-save model.state_dict()" in err


def test_outputs_are_never_overwritten_without_force_and_the_input_never(tmp_path, net, cli, kit):
    import torch

    torch.save(net[0].trained().state_dict(), tmp_path / "net.pt")
    dst = tmp_path / "net.safetensors"
    dst.write_text("keep me")
    code, _, err = run_broken(cli, kit, tmp_path / "net.pt", dst)
    assert code == 2 and "exists; --force overwrites it" in err and dst.read_text() == "keep me"
    code, out, _ = run_broken(cli, kit, tmp_path / "net.pt", dst, "--force")
    assert code == 0 and dst.stat().st_size > 1000
    code, _, err = cli("weights", dst, "--port", kit.PORT_FILE, "--build", "Net", "--config", "NetConfig",
                       "--kwargs", KWARGS, "-o", dst, "--force")
    assert code == 2 and "is part of the input" in err
    assert no_leftovers(tmp_path) == []


@pytest.mark.parametrize("args, message", [
    (["missing.pt"], "no such checkpoint"),
    (["{src}", "--kwargs", "{{not json"], "--kwargs is neither a JSON object"),
    (["{src}", "--build", "NoSuchNet"], "no callable 'NoSuchNet'"),
    (["{src}", "--key", "model"], "has no 'model'"),
    (["{src}", "--format", "pt"], "--format pt is for --torch"),
    (["{src}", "--spec", "{spec}"], "--config and --kwargs go with --build"),
])
def test_bad_input_is_one_line_and_exit_2(args, message, tmp_path, net, cli, kit):
    import torch

    torch.save(net[0].trained().state_dict(), tmp_path / "net.pt")
    spec = kit.DATA.parent.parent / "parity" / "data" / "toy_spec.yaml"
    argv = [a.format(src=tmp_path / "net.pt", spec=spec) if a.startswith("{") and a != "{{not json" else a for a in args]
    argv = [a.replace("{{", "{") for a in argv]
    if "--build" not in argv:
        argv += ["--build", "Net", "--config", "NetConfig"]
    if "--kwargs" not in argv:
        argv += ["--kwargs", KWARGS]
    code, out, err = cli("weights", *argv, "--port", kit.PORT_FILE, "-o", tmp_path / "out.safetensors")
    assert code == 2, out + err
    assert err.count("\n") == 1 and err.startswith("torch2ms weights: ") and message in err, err
    assert not (tmp_path / "out.safetensors").exists()


def test_json_accounting(tmp_path, net, cli, kit):
    src = broken_checkpoint(tmp_path, net[0], lambda s: s.pop("proj.bias"))
    code, out, err = run_broken(cli, kit, src, tmp_path / "out.safetensors", "--json")
    report = json.loads(out)
    assert code == 1 and report["ok"] is False and report["missing"] == ["proj.bias"]
    assert "nothing written" in err
    assert {"from": "norm.weight", "to": "norm.gamma", "why": "nn-layer name"} in report["renamed"]


def port_checkpoint(tmp_path, net, fmt):
    """A port's own checkpoint, as MindSpore training code saves it (weights from a torch model)."""
    import mindspore

    from torch2ms.parity import transfer_weights

    net_torch, net_ms = net
    port = net_ms.Net(net_ms.NetConfig())
    transfer_weights(net_torch.trained(seed=3), port)
    path = tmp_path / "trained.ckpt" if fmt == "ckpt" else tmp_path / "trained"
    mindspore.save_checkpoint(port, str(path), format=fmt)
    return port, (path if fmt == "ckpt" else tmp_path / "trained.safetensors")


@pytest.mark.parametrize("fmt", ["safetensors", "ckpt"])
def test_back_to_torch_gives_the_ports_outputs(fmt, tmp_path, net, cli, kit):
    import torch

    port, src = port_checkpoint(tmp_path, net, fmt)
    (tmp_path / "trained.json").write_text(json.dumps({"config": kit.CONFIG, "step": 100}))
    dst = tmp_path / "back.pt"
    code, out, err = cli("weights", src, "--torch", kit.TORCH_FILE, "--build", "Net", "--config", "NetConfig",
                         "-o", dst, "--key", "model")
    assert code == 0, out + err
    assert "reshaped           1  conv.weight [16, 16, 1, 3] -> [16, 16, 3]" in out
    assert "tied               1  head.weight: written as embed.weight's tensor" in out
    saved = torch.load(dst, weights_only=True)
    assert saved["config"] == kit.CONFIG and saved["step"] == 100
    model = net[0].Net(net[0].NetConfig(**saved["config"]))
    model.load_state_dict(saved["model"], strict=True)
    model.eval()
    error = np.abs(kit.torch_logits(model) - kit.port_logits(port)).max()
    assert error <= 1e-5, error


def test_back_to_torch_accounts_for_optimizer_entries(tmp_path, net, cli, kit):
    import mindspore

    port, src = port_checkpoint(tmp_path, net, "ckpt")
    params = mindspore.load_checkpoint(str(src))
    params["adam_m.proj.weight"] = mindspore.Parameter(mindspore.Tensor(np.zeros((16, 16), np.float32)), name="adam_m.proj.weight")
    mindspore.save_checkpoint(params, str(tmp_path / "with_state.ckpt"))
    args = ["weights", tmp_path / "with_state.ckpt", "--torch", kit.TORCH_FILE, "--build", "Net", "--config",
            "NetConfig", "--kwargs", KWARGS, "-o", tmp_path / "back.safetensors"]
    code, out, _ = cli(*args)
    assert code == 1 and "unused             1  in the checkpoint, not in the torch model: adam_m.proj.weight" in out
    code, out, _ = cli(*args, "--allow-unused", "adam_*")
    assert code == 0, out
    from safetensors.torch import load_file

    back = load_file(str(tmp_path / "back.safetensors"))
    assert set(back) == set(net[0].trained().state_dict())


def test_the_parity_spec_builds_the_port_and_buffers_are_named(tmp_path, cli):
    """The toy pair of the parity tests: its persistent buffer is written, and the table says
    load_param_into_net skips buffers while Cell.load_state_dict loads them."""
    from pathlib import Path

    import mindspore
    import torch

    from torch2ms.parity.spec import load_file

    data = Path(__file__).parents[1] / "parity" / "data"
    toy_torch, toy_ms = load_file(data / "toy_torch.py", "torch"), load_file(data / "toy_ms.py", "mindspore")
    model = toy_torch.build_toy(dim=16, hidden=32)
    torch.save(model.state_dict(), tmp_path / "toy.pt")
    code, out, err = cli("weights", tmp_path / "toy.pt", "--port", data / "toy_ms.py", "--spec",
                         data / "toy_spec.yaml", "-o", tmp_path / "toy.safetensors")
    assert code == 0, out + err
    assert "buffers            1  offset: written; load_param_into_net skips buffers" in out
    port = toy_ms.build_toy(dim=16, hidden=32)
    port.load_state_dict(mindspore.load_checkpoint(str(tmp_path / "toy.safetensors"), format="safetensors"))
    np.testing.assert_array_equal(port.offset.asnumpy(), model.offset.numpy())


LATE_PORT = '''
from mindspore import mint, nn


class Late(nn.Cell):
    def __init__(self):
        super().__init__()
        self.blocks = nn.CellList()  # attached before it is filled: Parameter names lose "blocks."
        self.blocks.append(mint.nn.Linear(2, 2))
'''


def test_the_port_parameter_names_are_written_so_load_param_into_net_finds_them(tmp_path, cli):
    import mindspore
    import torch

    from torch2ms.parity.spec import load_file

    (tmp_path / "late_ms.py").write_text(LATE_PORT)
    weight, bias = torch.randn(2, 2), torch.randn(2)
    torch.save({"blocks.0.weight": weight, "blocks.0.bias": bias}, tmp_path / "late.pt")
    code, out, _ = cli("weights", tmp_path / "late.pt", "--port", tmp_path / "late_ms.py", "--build", "Late",
                       "-o", tmp_path / "late.safetensors")
    assert code == 0, out
    assert "named              2  written under the Parameter name load_param_into_net uses" in out
    port = load_file(tmp_path / "late_ms.py", "mindspore").Late()
    loaded = mindspore.load_checkpoint(str(tmp_path / "late.safetensors"), format="safetensors")
    assert mindspore.load_param_into_net(port, loaded) == ([], [])
    np.testing.assert_array_equal(port.blocks[0].weight.asnumpy(), weight.numpy())


def test_a_written_file_that_does_not_load_back_is_not_kept(tmp_path, net, cli, kit, monkeypatch):
    import torch

    from torch2ms.weights import cli as weights_cli

    real = weights_cli.ms_tensors

    def lossy(*args):
        tensors = real(*args)
        tensors.pop("proj.bias")
        return tensors

    monkeypatch.setattr(weights_cli, "ms_tensors", lossy)
    torch.save(net[0].trained().state_dict(), tmp_path / "net.pt")
    code, out, _ = run_broken(cli, kit, tmp_path / "net.pt", tmp_path / "out.safetensors")
    assert code == 1 and "nothing written: the written file does not load as it should" in out
    assert "proj.bias" in out and sorted(p.name for p in tmp_path.iterdir()) == ["net.pt"]
