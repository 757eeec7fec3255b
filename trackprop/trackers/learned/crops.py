"""Square search regions and boxes mapped between frame and crop.

A region is (x0, y0, x1, y1) in frame pixels, square; its crop is `roi.crop_roi(frame, region,
size)` (zeros outside the frame), so box coordinates scale linearly by size / side.
"""

from __future__ import annotations

import numpy as np


def square_region(center: np.ndarray, side: float) -> np.ndarray:
    return np.array(
        [center[0] - side / 2, center[1] - side / 2, center[0] + side / 2, center[1] + side / 2]
    )


def to_crop(box: np.ndarray, region: np.ndarray, size: int) -> np.ndarray:
    scale = size / (region[2] - region[0])
    return (np.asarray(box, float) - np.tile(region[:2], 2)) * scale


def from_crop(box: np.ndarray, region: np.ndarray, size: int) -> np.ndarray:
    scale = (region[2] - region[0]) / size
    return np.asarray(box, float) * scale + np.tile(region[:2], 2)


def center_size(box: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(..., 4) corner boxes -> centres (..., 2) and sizes (..., 2)."""
    box = np.asarray(box, float)
    return (box[..., :2] + box[..., 2:]) / 2, box[..., 2:] - box[..., :2]


def corners(center: np.ndarray, size: np.ndarray) -> np.ndarray:
    """The inverse of `center_size`."""
    return np.concatenate([center - size / 2, center + size / 2], -1)
