"""The input encoding every network shares, in numpy alone (the run-time path imports no torch).

A network input is (B,C,S,S) float32: the RGB crop normalised by ImageNet's mean and std, then
extra maps in [-1, 1] (previous mask, guidance). Output: 2 channels, (background, object) scores.
"""

from __future__ import annotations

import numpy as np

IMAGE_MEAN = np.array([0.485, 0.456, 0.406], np.float32) * 255
IMAGE_STD = np.array([0.229, 0.224, 0.225], np.float32) * 255


def encode_input(images: np.ndarray, *maps: np.ndarray) -> np.ndarray:
    """(B,C,S,S) float32 network input from images (B,S,S,3) uint8 and extra maps (B,S,S) in [-1, 1]."""
    rgb = (images.astype(np.float32) - IMAGE_MEAN) / IMAGE_STD
    channels = [rgb.transpose(0, 3, 1, 2)] + [m[:, None].astype(np.float32) for m in maps]
    return np.ascontiguousarray(np.concatenate(channels, axis=1))


def mask_channel(masks: np.ndarray) -> np.ndarray:
    """0/1 masks -> the [-1, 1] channel the networks read."""
    return masks.astype(np.float32) * 2 - 1
