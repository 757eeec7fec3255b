"""The propagation network in bf16 on CPUs that compute bf16 natively (`--device cpu-bf16`).

The network runs on every object of every frame, so its time is what speed is short of. bf16
keeps float32's range with an 8-bit mantissa; on a CPU with native bf16 (AVX-512 BF16, AMX)
OpenVINO's CPU plugin runs the exported ONNX file in it at about 0.6 of ONNX Runtime's fp32 time.
Opt-in, like int8: the semi-supervised J&F of the 110 val videos is fp32's, but the DAVIS
interactive protocol's J&F@60s is about 0.01 lower (README, "bf16").
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np

from trackprop.errors import TrackpropError


@cache
def native_bf16() -> bool:
    """Does this machine's CPU compute bf16 natively, with OpenVINO installed to use it?"""
    try:
        import openvino
    except ImportError:
        return False
    return "BF16" in openvino.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")


class Bf16Network:
    """An ONNX network file run in bf16 by OpenVINO: run((B,C,S,S) float32) -> (B,2,S,S) float32,
    as `OnnxNetwork` runs it in fp32 (the batch may change from call to call)."""

    def __init__(self, path: str | Path, threads: int = 2):
        import openvino

        self.path = Path(path)
        self.threads = threads
        self.device = "cpu-bf16"  # the device string that asks for it
        if not self.path.is_file():
            raise TrackpropError(f"{self.path}: network file not found.")
        core = openvino.Core()
        model = core.read_model(str(self.path))
        shape = model.inputs[0].get_partial_shape()
        self.in_channels = shape[1].get_length()
        self.size = shape[2].get_length()
        config = {
            "INFERENCE_PRECISION_HINT": "bf16",
            "INFERENCE_NUM_THREADS": threads,
            "PERFORMANCE_HINT": "LATENCY",
            # Unpinned: the trackers' threads share the cores with it (README, "bf16").
            "ENABLE_CPU_PINNING": False,
        }
        self.request = core.compile_model(model, "CPU", config).create_infer_request()

    def run(self, inputs: np.ndarray) -> np.ndarray:
        outputs = self.request.infer({0: np.ascontiguousarray(inputs, np.float32)})
        return np.array(outputs[0], np.float32)  # a copy: the request reuses its buffer
