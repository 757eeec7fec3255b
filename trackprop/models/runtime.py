"""ONNX Runtime sessions for the hot path (interaction and propagation).

Each network ships once, as an fp16 torch checkpoint (trackprop/weights/<name>.pt). Its ONNX
file is built from it on first use (torch is imported only then) and cached under
<cache>/onnx/<name>-<checkpoint digest>.onnx, so a new checkpoint never meets a stale file. A
network whose activation ranges ship beside it can run in int8 on the CPU (`quantize.py`); the
network that runs on every frame can run in bf16 on CPUs that compute it natively (`bf16.py`).
"""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

import numpy as np
import onnxruntime

from trackprop.atomic import atomic_path
from trackprop.cache import cache_dir
from trackprop.errors import TrackpropError
from trackprop.models.bf16 import Bf16Network, native_bf16
from trackprop.models.quantize import build_int8, int8_path, ranges_for

WEIGHTS = Path(__file__).resolve().parent.parent / "weights"


# ONNX Runtime's execution providers per device: one code path, the provider a parameter.
# "cpu-bf16" is the CPU with the propagation network in bf16 on OpenVINO (`open_network`); the
# other networks, and the propagation network's int8 build where asked, stay on ONNX Runtime.
PROVIDERS = {
    "cpu": ["CPUExecutionProvider"],
    "cpu-bf16": ["CPUExecutionProvider"],
    "cuda": ["CUDAExecutionProvider", "CPUExecutionProvider"],
}


def providers(device: str) -> list[str]:
    """The providers of `device`, if this ONNX Runtime has them (else a one-line error)."""
    if device not in PROVIDERS:
        raise TrackpropError(f"unknown device '{device}'; choose one of: {', '.join(PROVIDERS)}.")
    if device == "cpu-bf16" and not native_bf16():
        raise TrackpropError(
            "--device cpu-bf16: this machine has no CPU with native bf16 (AVX-512 BF16 or AMX) "
            "or no OpenVINO (pip install -e '.[bf16]'); the default, --device cpu, runs anywhere."
        )
    wanted = PROVIDERS[device][0]
    if wanted not in onnxruntime.get_available_providers():
        raise TrackpropError(
            f"--device {device}: this ONNX Runtime has no {wanted} (it needs onnxruntime-gpu and "
            "an NVIDIA GPU with its CUDA libraries); the default, --device cpu, runs anywhere."
        )
    return PROVIDERS[device]


class OnnxNetwork:
    """A network file run on a device: run((B,C,S,S) float32) -> its one output, float32.

    Segmentation networks answer (B,2,S,S) logits; the feature extractor, which takes any
    size (`size` None), (B,112,H/16,W/16) features.
    """

    def __init__(self, path: str | Path, threads: int = 2, device: str = "cpu"):
        self.path = Path(path)
        self.threads = threads
        self.device = device
        if not self.path.is_file():
            raise TrackpropError(f"{self.path}: network file not found.")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # errors only: an int8 build's unused constants are no news
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Idle threads sleep instead of spinning: a frame runs two sessions (network, memory
        # features) and the trackers in turn, and spinning threads of one starve the others.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        wanted = providers(device)
        self.session = onnxruntime.InferenceSession(str(self.path), options, providers=wanted)
        if self.session.get_providers()[0] != wanted[0]:  # installed, but no device present
            raise TrackpropError(f"--device {device}: {wanted[0]} found no device to run on.")
        shape = self.session.get_inputs()[0].shape
        self.in_channels = int(shape[1])
        self.size = shape[2] if isinstance(shape[2], int) else None
        self.output = self.session.get_outputs()[0].name

    def run(self, inputs: np.ndarray) -> np.ndarray:
        return self.session.run([self.output], {"input": np.ascontiguousarray(inputs, np.float32)})[
            0
        ]


Network = OnnxNetwork | Bf16Network  # what the propagators run: either answers run((B,C,S,S))


def open_network(
    path: str | Path, threads: int = 2, device: str = "cpu", int8: bool = False
) -> Network:
    """A propagation network's file run on `device`: an fp32 file in bf16 on cpu-bf16
    (`bf16.py`); an `int8` build, and any file on another device, as `OnnxNetwork` runs it."""
    providers(device)  # an unknown or absent device is the same one line either way
    if device == "cpu-bf16" and not int8:
        return Bf16Network(path, threads)
    return OnnxNetwork(path, threads, device)


def limit_threads(threads: int) -> None:
    """Threads of the libraries that run beside ONNX Runtime: OpenCV (trackers) and torch (learned trackers)."""
    import cv2
    import torch

    cv2.setNumThreads(threads)
    torch.set_num_threads(threads)


def _build_once(path: Path, build) -> Path:
    """`build(partial_path)` into the cache unless `path` is there; atomic for concurrent users."""
    if not path.is_file():
        with atomic_path(path) as partial:  # a concurrent user sees the whole file or none
            build(partial)
    return path


def onnx_for(checkpoint: Path, size: int | None = None) -> Path:
    """The ONNX file of a torch checkpoint, built into the cache on first use, taking (S,S)
    inputs: `size`, or the side it was trained at."""
    if not checkpoint.is_file():
        raise TrackpropError(f"{checkpoint}: network checkpoint not found.")
    digest = hashlib.sha1(checkpoint.read_bytes()).hexdigest()[:16]
    side = f"-{size}px" if size else ""
    path = cache_dir() / "onnx" / f"{checkpoint.stem}-{digest}{side}.onnx"

    def build(partial: Path) -> None:
        from trackprop.models.export import export_checkpoint  # torch: only on a first use

        export_checkpoint(checkpoint, partial, size)

    return _build_once(path, build)


def imagenet_features() -> Path:
    """ONNX of the frozen ImageNet feature extractor (models/features.py), any input size."""
    path = cache_dir() / "onnx" / "imagenet-features-lite0-s16-v2.onnx"

    def build(partial: Path) -> None:
        from trackprop.models.features import export_features  # torch: only on a first use

        export_features(partial)

    return _build_once(path, build)


def shipped(name: str, device: str = "cpu", int8: bool = False) -> Path:
    """ONNX path of a network that ships inside the package (trackprop/weights/<name>.pt); with
    `int8`, on the CPU, in int8 where its activation ranges ship beside it (models/quantize.py)."""
    checkpoint = WEIGHTS / f"{name}.pt"
    fp32 = onnx_for(checkpoint)
    if not int8 or not device.startswith("cpu") or not ranges_for(checkpoint).is_file():
        return fp32
    try:
        return int8_for(checkpoint, fp32)
    except TrackpropError as error:  # ranges from another exporter's tensor names: run fp32
        warnings.warn(f"{error} Running {name} in fp32.", stacklevel=2)
        return fp32


def int8_for(checkpoint: Path, fp32: Path) -> Path:
    """The int8 build of a checkpoint's ONNX file `fp32` with the ranges beside the checkpoint,
    built into the cache on first use."""
    ranges = ranges_for(checkpoint)
    if not ranges.is_file():
        raise TrackpropError(f"{ranges}: no int8 ranges for this network.")
    return _build_once(int8_path(fp32, ranges), lambda out: build_int8(fp32, ranges, out))
