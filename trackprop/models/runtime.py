"""ONNX Runtime sessions for the hot path (interaction and propagation)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime

from trackprop.errors import TrackpropError

WEIGHTS = Path(__file__).resolve().parent.parent / "weights"


class OnnxNetwork:
    """A network file run on the CPU: run((B,C,S,S) float32) -> (B,2,S,S) float32 logits."""

    def __init__(self, path: str | Path, threads: int = 2):
        self.path = Path(path)
        if not self.path.is_file():
            raise TrackpropError(f"{self.path}: network file not found.")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = onnxruntime.InferenceSession(
            str(self.path), options, providers=["CPUExecutionProvider"]
        )
        shape = self.session.get_inputs()[0].shape
        self.in_channels, self.size = int(shape[1]), int(shape[2])

    def run(self, inputs: np.ndarray) -> np.ndarray:
        return self.session.run(["logits"], {"input": np.ascontiguousarray(inputs, np.float32)})[0]


def limit_threads(threads: int) -> None:
    """Threads of the libraries that run beside ONNX Runtime: OpenCV (trackers) and torch (learned trackers)."""
    import cv2
    import torch

    cv2.setNumThreads(threads)
    torch.set_num_threads(threads)


def shipped(name: str) -> Path:
    """Path of a network that ships inside the package (trackprop/weights/<name>.onnx)."""
    return WEIGHTS / f"{name}.onnx"
