"""The activation ranges that let the propagation network run in int8 (`models/quantize.py`).

    python -m trackprop.train.int8_calibration --root ~/tpdata/calib10 --split train \
        --checkpoint trackprop/weights/propagation.pt

Calibrates on the crops the propagator itself feeds the network (its own previous masks, the
trackers' ROIs) while it propagates each video from its first frame's ground truth: those, not
ground-truth crops, are what int8 must get right. Writes ONNX Runtime's calibration cache beside
the checkpoint (`<name>.int8.json`), which ships with it.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from trackprop.data.davis import DavisRoot
from trackprop.models.quantize import build_int8, fp32_convolutions, ranges_for
from trackprop.models.runtime import OnnxNetwork, onnx_for
from trackprop.session import Session

EVERY = 4  # one network batch in this many is kept: neighbouring frames' crops are alike


class RecordingNetwork(OnnxNetwork):
    """An OnnxNetwork that keeps every EVERY-th batch it is given, crop by crop."""

    def __init__(self, path: Path, threads: int):
        super().__init__(path, threads)
        self.inputs: list[np.ndarray] = []
        self.calls = 0

    def run(self, inputs: np.ndarray) -> np.ndarray:
        if self.calls % EVERY == 0:
            self.inputs.extend(crop[None].copy() for crop in inputs)
        self.calls += 1
        return super().run(inputs)


def propagator_crops(
    fp32: Path, root: DavisRoot, split: str, threads: int, videos: int | None = None
) -> list[np.ndarray]:
    """The crops (1,C,S,S) fed to the network while it propagates the first `videos` (default:
    all) sequences of `split` from their first frames' ground truth."""
    network = RecordingNetwork(fp32, threads)
    for name in root.sequences(split)[:videos]:
        count = len(root.frame_paths(name))
        frames = np.stack([root.read_frame(name, t) for t in range(count)])
        session = Session(frames, network=network, threads=threads)
        session.add_mask(0, root.read_annotation(name, 0))
        for _ in session.propagate(0):
            pass
    return network.inputs


def calibrate(checkpoint: Path, root: DavisRoot, split: str, method: str, threads: int) -> Path:
    """Writes the checkpoint's ranges file from the propagator's crops on `root`; returns it."""
    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        quantize_static,
    )

    fp32 = onnx_for(checkpoint)
    crops = propagator_crops(fp32, root, split, threads)

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.crops = iter(crops)

        def get_next(self):
            crop = next(self.crops, None)
            return None if crop is None else {"input": crop}

    ranges = ranges_for(checkpoint)
    ranges.unlink(missing_ok=True)  # ONNX Runtime reads a cache that exists instead of calibrating
    with tempfile.TemporaryDirectory() as tmp:
        quantize_static(
            str(fp32),
            str(Path(tmp) / "int8.onnx"),
            Reader(),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            calibrate_method=CalibrationMethod[method],
            nodes_to_exclude=fp32_convolutions(onnx.load(str(fp32))),
            calibration_cache_path=str(ranges),
        )
        build_int8(fp32, ranges, Path(tmp) / "check.onnx")  # the file the run-time path builds
    print(f"wrote {ranges}: ranges from {len(crops)} crops of {root.root} ({split})")
    return ranges


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", required=True, help="DAVIS root of calibration videos")
    parser.add_argument("--split", default="train")
    parser.add_argument("--checkpoint", default="trackprop/weights/propagation.pt")
    parser.add_argument("--method", default="MinMax", choices=["MinMax", "Percentile", "Entropy"])
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    calibrate(Path(args.checkpoint), DavisRoot(args.root), args.split, args.method, args.threads)


if __name__ == "__main__":
    main()
