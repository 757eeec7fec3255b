"""Shared pieces of the benchmarks: loading a DAVIS sequence, the machine description."""

from __future__ import annotations

import os
import platform

import numpy as np

from trackprop.data.davis import DavisRoot


def load_sequence(root: DavisRoot, name: str) -> tuple[np.ndarray, np.ndarray]:
    """(frames (T,H,W,3), labels (T,H,W)) of one sequence."""
    count = len(root.frame_paths(name))
    frames = np.stack([root.read_frame(name, t) for t in range(count)])
    labels = np.stack([root.read_annotation(name, t) for t in range(count)])
    return frames, labels


def precision(device: str, int8: bool) -> str:
    """What the propagation network runs in, as a Session on `device` (with `int8`) runs it."""
    return "int8" if int8 else "bf16" if device == "cpu-bf16" else "fp32"


def machine(threads: int) -> str:
    cpu = platform.processor() or platform.machine()
    return f"{cpu}, {os.cpu_count()} cores visible, {threads} threads"
