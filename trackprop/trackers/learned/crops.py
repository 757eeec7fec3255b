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
    box = np.asarray(box, float)
    return (box[:2] + box[2:]) / 2, box[2:] - box[:2]


def corners(center: np.ndarray, size: np.ndarray) -> np.ndarray:
    return np.concatenate([center - size / 2, center + size / 2])


def box_ious(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of (..., 4) corner boxes, elementwise with broadcasting."""
    inter_w = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    inter_h = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    inter = inter_w * inter_h
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    return inter / np.maximum(area_a + area_b - inter, 1e-9)
