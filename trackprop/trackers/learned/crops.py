"""Square search regions and boxes mapped between frame and crop.

A region is (x0, y0, x1, y1) in frame pixels, square; its crop is `roi.crop_roi(frame, region,
size)` (zeros outside the frame), so box coordinates scale linearly by size / side.
"""

from __future__ import annotations

import numpy as np


def to_crop(box: np.ndarray, region: np.ndarray, size: int) -> np.ndarray:
    scale = size / (region[2] - region[0])
    return (np.asarray(box, float) - np.tile(region[:2], 2)) * scale


def from_crop(box: np.ndarray, region: np.ndarray, size: int) -> np.ndarray:
    scale = (region[2] - region[0]) / size
    return np.asarray(box, float) * scale + np.tile(region[:2], 2)
