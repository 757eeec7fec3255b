"""Which convolutions of the propagation network to leave in fp32 when it runs in int8.

    python -m benchmarks.int8_sensitivity --root ~/tpdata/val20 --videos 8 \\
        --out benchmarks/results/int8_sensitivity.md [--keep-fp32 NODE ...]

Collects the crops the propagator feeds the network while it propagates the first `--videos`
sequences of `--root` from their first frames (fp32), then builds the int8 network with the
shipped ranges and the first and last convolution in fp32 plus `--keep-fp32`, and once more
for every other convolution also left in fp32 (leave one out). Each build is scored by how far
its masks are from fp32's on those crops (mean 1 - IoU, and the share of pixels that differ)
and timed on one thread. A layer whose row is far below the base row is one whose rounding
matters.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.common import machine
from trackprop.data.davis import DavisRoot
from trackprop.eval.prompt_protocols import iou
from trackprop.models.quantize import build_int8, conv_names, ranges_for
from trackprop.models.runtime import OnnxNetwork, onnx_for
from trackprop.train.int8_calibration import propagator_crops


def masks_and_ms(path: Path, crops: list[np.ndarray]) -> tuple[np.ndarray, float]:
    """Each crop's object mask (object logit above background's) and the mean milliseconds of
    one crop on 1 thread."""
    network = OnnxNetwork(path, threads=1)
    network.run(crops[0])  # the first run allocates
    start = time.perf_counter()
    logits = [network.run(crop) for crop in crops]
    ms = (time.perf_counter() - start) / len(crops) * 1000
    return np.concatenate(logits).argmax(1) == 1, ms


def distance(masks: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    """(mean 1 - IoU per crop, share of pixels that differ) of `masks` from `reference`."""
    overlap = np.mean([iou(mask, truth) for mask, truth in zip(masks, reference, strict=True)])
    return float(1 - overlap), float((masks != reference).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", required=True)
    parser.add_argument("--split", default="val")
    parser.add_argument("--videos", type=int, default=8)
    parser.add_argument("--checkpoint", default="trackprop/weights/propagation.pt")
    parser.add_argument("--keep-fp32", nargs="*", default=[], help="Conv nodes also in fp32")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    import onnx

    checkpoint = Path(args.checkpoint)
    fp32 = onnx_for(checkpoint)
    crops = propagator_crops(fp32, DavisRoot(args.root), args.split, 1, args.videos)
    reference, fp32_ms = masks_and_ms(fp32, crops)
    convs = conv_names(onnx.load(str(fp32)))
    base = [convs[0], convs[-1], *args.keep_fp32]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        built = Path(tmp) / "int8.onnx"
        for extra in [None, *(name for name in convs if name not in base)]:
            build_int8(fp32, ranges_for(checkpoint), built, base + ([extra] if extra else []))
            masks, ms = masks_and_ms(built, crops)
            rows.append((extra or "(base)", *distance(masks, reference), ms))
            print(*rows[-1], flush=True)
    lines = [
        f"# int8 sensitivity of `{checkpoint}`, leave one out",
        "",
        f"`python -m benchmarks.int8_sensitivity --root {args.root} --videos {args.videos}"
        + (f" --keep-fp32 {' '.join(args.keep_fp32)}" if args.keep_fp32 else "")
        + f"`; {machine(1)}; {len(crops)} crops of the first {args.videos} videos; fp32"
        f" {fp32_ms:.1f} ms a crop. Base: int8 with {', '.join(base)} in fp32; each other row"
        " also leaves that one convolution in fp32.",
        "",
        "| also in fp32 | 1 - IoU to fp32's masks | pixels that differ | ms a crop |",
        "|---|---|---|---|",
        *(f"| {name} | {gap:.4f} | {share:.5f} | {ms:.1f} |" for name, gap, share, ms in rows),
    ]
    Path(args.out).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
