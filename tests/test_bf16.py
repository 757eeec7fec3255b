import numpy as np
import pytest
from web_fixtures import make_clip

from trackprop.cli import main
from trackprop.data.davis import read_label_png, write_label_png
from trackprop.errors import TrackpropError
from trackprop.models import runtime
from trackprop.models.bf16 import Bf16Network, native_bf16
from trackprop.models.encoding import encode_input, mask_channel
from trackprop.models.runtime import OnnxNetwork, open_network, shipped
from trackprop.session import Session

needs_bf16 = pytest.mark.skipif(not native_bf16(), reason="this CPU has no native bf16")


def iou(a, b):
    return (a & b).sum() / max((a | b).sum(), 1)


def square_crops(rng, count, size=192):
    """Textured crops, each with a red square and its mask a few pixels off (a previous mask)."""
    images = rng.integers(60, 120, (count, size, size, 3)).astype(np.uint8)
    truth = np.zeros((count, size, size), np.uint8)
    for i in range(count):
        top, left = rng.integers(30, 90, 2)
        truth[i, top : top + 70, left : left + 60] = 1
    images[truth > 0] = (220, 60, 40)
    previous = np.roll(truth, 6, axis=2)
    return encode_input(images, mask_channel(previous)), truth.astype(bool)


@needs_bf16
def test_the_propagation_network_in_bf16_answers_as_in_fp32_at_any_batch(rng):
    path = shipped("propagation")
    bf16, fp32 = Bf16Network(path, threads=1), OnnxNetwork(path, threads=1)
    assert (bf16.in_channels, bf16.size) == (fp32.in_channels, fp32.size) == (4, 192)
    for count in (1, 3, 2):  # one compiled network, whatever the number of objects
        inputs, truth = square_crops(rng, count)
        low, exact = bf16.run(inputs), fp32.run(inputs)
        assert low.shape == exact.shape == (count, 2, 192, 192) and low.dtype == np.float32
        assert not np.array_equal(low, exact)  # bf16 rounds ...
        for a, b, t in zip(low.argmax(1), exact.argmax(1), truth, strict=True):
            assert iou(b.astype(bool), t) > 0.9  # the square, corrected from the shifted mask
            assert iou(a.astype(bool), b.astype(bool)) > 0.98  # ... and the masks stay


@needs_bf16
def test_cpu_bf16_runs_only_the_propagation_network_in_bf16():
    frames = np.zeros((2, 32, 32, 3), np.uint8)
    session = Session(frames, device="cpu-bf16")
    assert isinstance(session.propagator.network, Bf16Network)
    assert all(isinstance(n, OnnxNetwork) for n in session.interactor.networks.values())
    memory = Session(frames, device="cpu-bf16", propagator="learned-memory").propagator
    assert isinstance(memory.network, Bf16Network) and isinstance(memory.features, OnnxNetwork)
    assert isinstance(Session(frames).propagator.network, OnnxNetwork)  # the default: fp32
    int8 = Session(frames, device="cpu-bf16", int8=True).propagator.network
    assert isinstance(int8, OnnxNetwork) and "int8" in int8.path.name  # int8 keeps its build
    assert isinstance(open_network(shipped("propagation"), 1, "cpu"), OnnxNetwork)


def test_cpu_bf16_without_native_bf16_is_one_line(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(runtime, "native_bf16", lambda: False)
    with pytest.raises(TrackpropError, match="--device cpu-bf16: this machine has no CPU with"):
        Session(np.zeros((2, 32, 32, 3), np.uint8), device="cpu-bf16")
    command = ["propagate", "v.mp4", "--mask", "m.png", "--out", str(tmp_path / "out")]
    assert main([*command, "--device", "cpu-bf16"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("trackprop: error: --device cpu-bf16: this machine has no CPU with")
    assert error.count("\n") == 1 and not (tmp_path / "out").exists()


@needs_bf16
def test_propagate_in_bf16_follows_the_object_as_fp32_does(tmp_path):
    video, truth = make_clip(tmp_path)
    write_label_png(tmp_path / "m.png", truth[0])
    masks = {}
    for device in ("cpu-bf16", "cpu"):
        out = tmp_path / device
        command = ["propagate", str(video), "--mask", str(tmp_path / "m.png"), "--out", str(out)]
        assert main([*command, "--device", device]) == 0
        masks[device] = np.stack(
            [read_label_png(out / "davis" / f"{t:05d}.png") for t in range(len(truth))]
        )
    for found in masks.values():
        frames = zip(found[1:], truth[1:], strict=True)
        assert np.mean([iou(f == 1, t == 1) for f, t in frames]) > 0.75
    assert iou(masks["cpu-bf16"] == 1, masks["cpu"] == 1) > 0.9
