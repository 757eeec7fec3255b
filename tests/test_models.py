import subprocess
import sys

import numpy as np
import pytest
import torch

from trackprop.models.encoding import encode_input, mask_channel
from trackprop.models.export import export_onnx
from trackprop.models.networks import build_network, fit_input, load_checkpoint, save_checkpoint
from trackprop.models.runtime import WEIGHTS, OnnxNetwork, onnx_for

SHIPPED = {
    "propagation": 4,
    "propagation_memory": 5,
    "interaction_first": 4,
    "interaction_refine": 5,
}


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_network_runs_on_onnx_as_in_torch(name, rng):
    network, meta = load_checkpoint(WEIGHTS / f"{name}.pt")
    runtime = OnnxNetwork(onnx_for(WEIGHTS / f"{name}.pt"))  # fp32 (int8: test_quantize.py)
    assert meta["in_channels"] == runtime.in_channels == SHIPPED[name]
    assert meta["size"] == runtime.size
    size = runtime.size
    images = rng.integers(0, 255, (2, size, size, 3)).astype(np.uint8)
    maps = [rng.uniform(-1, 1, (2, size, size)) for _ in range(SHIPPED[name] - 4)]
    masks = (rng.random((2, size, size)) < 0.3).astype(np.uint8)
    inputs = encode_input(images, *maps, mask_channel(masks))
    with torch.no_grad():
        expected = network(torch.from_numpy(inputs)).numpy()
    assert np.allclose(runtime.run(inputs), expected, atol=1e-3)


def test_each_network_ships_once_and_small():
    files = sorted(path.name for path in WEIGHTS.iterdir())
    assert not [name for name in files if name.endswith(".onnx")], files  # built at first use
    for path in WEIGHTS.iterdir():
        assert path.stat().st_size <= 10 * 1024 * 1024, path


def test_onnx_is_built_once_into_the_cache_and_named_by_the_checkpoint(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKPROP_CACHE", str(tmp_path / "cache"))
    network = build_network("mobilenetv3-small", 4).eval()
    checkpoint = tmp_path / "net.pt"
    save_checkpoint(checkpoint, network, "mobilenetv3-small", 4, 64)
    first = onnx_for(checkpoint)
    assert first.parent == tmp_path / "cache" / "onnx" and first.stem.startswith("net-")
    built = first.stat().st_mtime_ns
    assert onnx_for(checkpoint) == first and first.stat().st_mtime_ns == built  # reused
    save_checkpoint(checkpoint, build_network("mobilenetv3-small", 4), "mobilenetv3-small", 4, 64)
    assert onnx_for(checkpoint) != first  # new weights never meet a stale file
    assert OnnxNetwork(onnx_for(checkpoint, 48)).size == 48  # another side, another file
    assert not list((tmp_path / "cache" / "onnx").glob("*.partial"))


def test_checkpoint_and_export_round_trip(tmp_path, rng):
    network = build_network("mobilenetv3-small", 5).eval()
    save_checkpoint(tmp_path / "net.pt", network, "mobilenetv3-small", 5, 64)
    loaded, meta = load_checkpoint(tmp_path / "net.pt")
    assert (meta["encoder"], meta["in_channels"], meta["size"]) == ("mobilenetv3-small", 5, 64)
    export_onnx(loaded, 5, 64, tmp_path / "net.onnx")
    runtime = OnnxNetwork(tmp_path / "net.onnx")
    inputs = rng.standard_normal((2, 5, 64, 64)).astype(np.float32)
    with torch.no_grad():
        assert np.allclose(runtime.run(inputs), loaded(torch.from_numpy(inputs)).numpy(), atol=1e-4)
    # fp16 storage: the loaded weights equal the originals rounded to half precision
    original = network.state_dict()["segmentation_head.0.weight"]
    assert torch.equal(loaded.state_dict()["segmentation_head.0.weight"], original.half().float())


def test_the_run_time_path_imports_neither_torch_nor_training_code():
    code = (
        "import sys, trackprop.session, trackprop.cli, trackprop.web.project; "
        "print(sorted(m for m in ('torch', 'timm', 'segmentation_models_pytorch', "
        "'trackprop.train') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_a_widened_or_narrowed_network_computes_what_it_did(rng):
    """Widened: whatever the new channel holds; narrowed: as when the dropped channel was blank."""
    network = build_network("efficientnet-lite0", 4).eval()
    inputs = torch.from_numpy(rng.normal(size=(2, 4, 64, 64)).astype(np.float32))
    with torch.no_grad():
        before = network(inputs)
        fit_input(network, 5)
        for first in network.modules():
            if isinstance(first, torch.nn.Conv2d):
                first.weight.data[:, 4] = 1.0  # as training would give the new channel a use
                break
        extra = torch.from_numpy(rng.normal(size=(2, 1, 64, 64)).astype(np.float32))
        widened = network(torch.cat([inputs, extra], 1))
        blank = network(torch.cat([inputs, torch.zeros_like(extra)], 1))
        fit_input(network, 4)
        narrowed = network(inputs)
    assert not torch.allclose(before, widened, atol=1e-3)  # the channel is read now
    assert torch.allclose(blank, before, atol=1e-5)
    assert torch.allclose(narrowed, blank, atol=1e-5)


def test_a_decoder_narrowed_past_its_silent_channels_computes_what_it_did(rng, tmp_path):
    """Channels whose batch norm has gamma = beta = 0 put out 0 after the ReLU: narrowing the
    decoder to the others (the largest |gamma|) must leave the network's output as it was."""
    from trackprop.train.prune import narrow_decoder

    torch.manual_seed(0)
    network = build_network("efficientnet-lite0", 4, decoder_channels=32)
    norms = [m for m in network.decoder.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    for norm in norms:
        if norm.num_features != 32:
            continue  # the high-resolution branch's 48 channels are kept whole
        silent = torch.from_numpy(rng.permutation(32)[:12])
        norm.weight.data = norm.weight.data.abs() + 0.1
        norm.running_mean.data.normal_()
        norm.running_var.data.uniform_(0.5, 2.0)
        norm.weight.data[silent] = 0.0
        norm.bias.data[silent] = 0.0
    network.eval()
    inputs = torch.from_numpy(rng.normal(size=(2, 4, 64, 64)).astype(np.float32))
    narrow = narrow_decoder(network, "efficientnet-lite0", 4, 20).eval()
    with torch.no_grad():
        assert torch.allclose(narrow(inputs), network(inputs), atol=1e-5)
    save_checkpoint(tmp_path / "narrow.pt", narrow, "efficientnet-lite0", 4, 64, half=False)
    loaded, meta = load_checkpoint(tmp_path / "narrow.pt")
    assert meta["decoder_channels"] == 20 and loaded.segmentation_head[0].in_channels == 20
    with pytest.raises(ValueError, match="narrows to 1..31"):
        narrow_decoder(network, "efficientnet-lite0", 4, 32)
