import json
import shutil

import cv2
import numpy as np
import pytest
import torch
from web_fixtures import make_clip

from trackprop.cli import main
from trackprop.data.davis import read_label_png, write_label_png
from trackprop.errors import TrackpropError
from trackprop.models.encoding import encode_input, mask_channel
from trackprop.models.networks import build_network, load_checkpoint
from trackprop.models.quantize import build_int8, ranges_for
from trackprop.models.runtime import WEIGHTS, OnnxNetwork, onnx_for, shipped
from trackprop.session import Session
from trackprop.train.quantization_aware import fold_batch_norms, quantization_aware


def disk_crop(rng, size=192, shift=6):
    """A textured frame with a coloured disk, and the disk's mask a few pixels off (a previous mask)."""
    image = rng.integers(60, 120, (size, size, 3)).astype(np.uint8)
    image = cv2.GaussianBlur(image, (0, 0), 2)
    truth = np.zeros((size, size), np.uint8)
    cv2.circle(truth, (size // 2, size // 2), size // 5, 1, -1)
    image[truth > 0] = (220, 60, 40)
    previous = np.roll(truth, shift, axis=1)
    return encode_input(image[None], mask_channel(previous[None])), truth


def iou(a, b):
    return (a & b).sum() / max((a | b).sum(), 1)


def test_the_shipped_propagation_network_runs_in_int8_on_the_cpu_as_in_fp32(rng):
    int8, fp32 = shipped("propagation", int8=True), onnx_for(WEIGHTS / "propagation.pt")
    assert int8 != fp32 and "int8" in int8.name and int8.stat().st_size < fp32.stat().st_size / 2
    assert shipped("propagation") == fp32  # fp32 unless asked
    assert shipped("propagation", "cuda", int8=True) == fp32  # no int8 kernels there
    first = onnx_for(WEIGHTS / "interaction_first.pt")
    assert shipped("interaction_first", int8=True) == first  # no ranges ship for it
    inputs, truth = disk_crop(rng)
    masks = [OnnxNetwork(path, 1).run(inputs)[0].argmax(0).astype(bool) for path in (fp32, int8)]
    assert iou(masks[0], truth > 0) > 0.9  # the object, corrected from the shifted mask
    assert iou(masks[1], masks[0]) > 0.97


def test_ranges_that_miss_the_networks_tensors_are_an_error_and_shipped_falls_back(
    tmp_path, monkeypatch
):
    ranges = json.loads(ranges_for(WEIGHTS / "propagation.pt").read_text())
    ranges["data"] = {"/renamed" + name: value for name, value in ranges["data"].items()}
    broken = tmp_path / "propagation.int8.json"
    broken.write_text(json.dumps(ranges))
    fp32 = onnx_for(WEIGHTS / "propagation.pt")
    with pytest.raises(TrackpropError, match="no range for"):
        build_int8(fp32, broken, tmp_path / "int8.onnx")
    weights = tmp_path / "weights"
    weights.mkdir()
    shutil.copy(WEIGHTS / "propagation.pt", weights)
    shutil.copy(broken, weights)
    monkeypatch.setattr("trackprop.models.runtime.WEIGHTS", weights)
    with pytest.warns(UserWarning, match="in fp32"):
        assert shipped("propagation", int8=True) == fp32


def test_folded_batch_norms_compute_what_they_did_and_stay_frozen(rng):
    network = build_network("efficientnet-lite0", 4).eval()
    for module in network.modules():  # batch norms with statistics of their own
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-1, 1)
            module.running_var.uniform_(0.5, 2)
            module.weight.data.uniform_(0.5, 1.5)
    inputs = torch.from_numpy(rng.normal(size=(2, 4, 64, 64)).astype(np.float32))
    with torch.no_grad():
        before = network(inputs)
        fold_batch_norms(network).train()
        norms = [m for m in network.modules() if isinstance(m, torch.nn.BatchNorm2d)]
        assert norms and not any(m.training for m in norms)  # eval statistics while training
        assert torch.allclose(network.eval()(inputs), before, atol=1e-4)


def test_int8_aware_training_rounds_like_int8_and_still_learns(rng):
    network, _ = load_checkpoint(WEIGHTS / "propagation.pt")
    inputs = torch.from_numpy(disk_crop(rng)[0])
    with torch.no_grad():
        plain = network(inputs)
    rounded = quantization_aware(network).eval()(inputs)
    assert not torch.equal(rounded, plain)  # the rounding is there ...
    agree = (rounded.argmax(1) == plain.argmax(1)).float().mean()
    assert agree > 0.97  # ... and small
    rounded.sum().backward()  # straight-through: every convolution gets a gradient
    convs = [m for m in network.modules() if isinstance(m, torch.nn.Conv2d)]
    assert all(m.weight.grad is not None and m.weight.grad.abs().sum() > 0 for m in convs)


def test_propagate_int8_on_the_cli_follows_the_object_as_fp32_does(tmp_path):
    video, truth = make_clip(tmp_path)
    write_label_png(tmp_path / "m.png", truth[0])
    masks = {}
    for flag in ([], ["--int8"]):
        out = tmp_path / f"out{len(flag)}"
        command = ["propagate", str(video), "--mask", str(tmp_path / "m.png"), "--out", str(out)]
        assert main([*command, *flag]) == 0
        masks[len(flag)] = np.stack(
            [read_label_png(out / "davis" / f"{t:05d}.png") for t in range(len(truth))]
        )
    for found in masks.values():  # fp32 0.82, int8 0.85 over the propagated frames (csrt)
        assert (
            np.mean([iou(f == 1, t == 1) for f, t in zip(found[1:], truth[1:], strict=True)]) > 0.75
        )
    assert iou(masks[1] == 1, masks[0] == 1) > 0.9  # int8 and fp32 masks of the whole video
    session = Session(video, int8=True)
    assert "int8" in session.propagator.network.path.name


def fp32_conv_names(path):
    """Conv nodes of an ONNX file whose weights are not dequantised int8."""
    import onnx

    graph = onnx.load(str(path)).graph
    dequantised = {n.output[0] for n in graph.node if n.op_type == "DequantizeLinear"}
    return [n.name for n in graph.node if n.op_type == "Conv" and n.input[1] not in dequantised]


def test_the_int8_build_keeps_the_stem_its_depthwise_and_the_head_in_fp32(tmp_path):
    fp32 = onnx_for(WEIGHTS / "propagation.pt")
    assert fp32_conv_names(shipped("propagation", int8=True)) == [
        "/encoder/model/conv_stem/Conv",
        "/encoder/model/blocks.0/blocks.0.0/conv_dw/Conv",
        "/segmentation_head/segmentation_head.0/Conv",
    ]
    chosen = ["/decoder/block1/block1.0/Conv"]  # what benchmarks/int8_sensitivity.py varies
    build_int8(fp32, ranges_for(WEIGHTS / "propagation.pt"), tmp_path / "i.onnx", chosen)
    assert fp32_conv_names(tmp_path / "i.onnx") == chosen
