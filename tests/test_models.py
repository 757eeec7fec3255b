import numpy as np
import torch

from trackprop.models.export import export_onnx
from trackprop.models.networks import (
    build_network,
    encode_input,
    load_checkpoint,
    mask_channel,
    save_checkpoint,
)
from trackprop.models.runtime import WEIGHTS, OnnxNetwork, shipped


def test_shipped_propagation_network_matches_its_torch_checkpoint(rng):
    network, meta = load_checkpoint(WEIGHTS / "propagation.pt")
    runtime = OnnxNetwork(shipped("propagation"))
    assert (meta["in_channels"], meta["size"]) == (runtime.in_channels, runtime.size) == (4, 192)
    images = rng.integers(0, 255, (3, 192, 192, 3)).astype(np.uint8)
    masks = (rng.random((3, 192, 192)) < 0.3).astype(np.uint8)
    inputs = encode_input(images, mask_channel(masks))
    with torch.no_grad():
        expected = network(torch.from_numpy(inputs)).numpy()
    assert np.allclose(runtime.run(inputs), expected, atol=1e-4)


def test_shipped_files_stay_small():
    for path in WEIGHTS.iterdir():
        assert path.stat().st_size <= 10 * 1024 * 1024, path


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
