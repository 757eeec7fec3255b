"""The propagation network in int8 on the CPU: built from the shipped checkpoint and its ranges.

ONNX Runtime's static quantisation (QDQ: per-channel symmetric int8 weights, uint8
activations) runs the DeepLab 2.5 times as fast as fp32 on this machine's CPU (README, "Speed").
The activation ranges ship beside the checkpoint as `<name>.int8.json` (ONNX Runtime's
calibration cache, made by `python -m trackprop.train.int8_calibration` from the propagator's own
crops), so the int8 file is built on first use like the fp32 one, without calibration data.
Three convolutions stay in fp32, chosen by measurement: the first and the last (the input's mask
channel and the output logits lose the most to rounding: val20 J&F 0.732 with them in int8, 0.745
without, fp32 0.754) and the depthwise one right after the stem, the only other layer whose
rounding matters: with it in fp32 the int8 masks differ from fp32's by half as much (1 - IoU
0.0079 against 0.0153 on val crops), and no fourth layer moves that further
(`python -m benchmarks.int8_sensitivity`, README "int8").
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

from trackprop.cache import cache_dir
from trackprop.errors import TrackpropError


def ranges_for(checkpoint: Path) -> Path:
    """Where a checkpoint's activation ranges live (beside it)."""
    return checkpoint.with_suffix(".int8.json")


def conv_names(model) -> list[str]:
    """Names of the Conv nodes of an ONNX graph, in order."""
    return [node.name for node in model.graph.node if node.op_type == "Conv"]


def fp32_convolutions(model) -> list[str]:
    """Names of the Conv nodes of an ONNX graph that stay in fp32: the stem, the depthwise
    convolution after it, and the last."""
    convs = conv_names(model)
    return [*convs[:2], convs[-1]] if len(convs) > 2 else convs


def build_int8(fp32: Path, ranges: Path, out: Path, keep_fp32: list[str] | None = None) -> None:
    """Quantises `fp32` with the calibration cache `ranges` into `out` (no calibration run),
    leaving the Conv nodes named in `keep_fp32` (default: `fp32_convolutions`) in fp32."""
    import onnx
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static

    model = onnx.load(str(fp32))
    needed = {node.input[0] for node in model.graph.node if node.op_type == "Conv"}
    cached = json.loads(ranges.read_text())
    method = cached["calibration_method"]["value"]  # "CalibrationMethod.MinMax"
    missing = needed - set(cached["data"])
    if missing:  # an exporter that names tensors otherwise than the one the ranges came from
        raise TrackpropError(
            f"{ranges}: no range for {len(missing)} of the network's tensors "
            f"(e.g. {sorted(missing)[0]})."
        )
    root = logging.getLogger()  # ONNX Runtime's advice on pre-processing is not the user's business
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        quantize_static(
            model,
            str(out),
            None,
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod[method.split(".")[-1]],
            nodes_to_exclude=fp32_convolutions(model) if keep_fp32 is None else keep_fp32,
            calibration_cache_path=str(ranges),
        )
    finally:
        root.setLevel(level)


# Part of the cache name: a change of which layers stay in fp32 must not reuse an older build.
BUILD = b"fp32: stem, first depthwise, last"


def int8_path(fp32: Path, ranges: Path) -> Path:
    """The cache file of the int8 build of `fp32` with `ranges` (named by their digests)."""
    digest = hashlib.sha1(fp32.read_bytes() + ranges.read_bytes() + BUILD).hexdigest()[:16]
    return cache_dir() / "onnx" / f"{fp32.stem}-int8-{digest}.onnx"
