"""The tracker protocol every tracker follows, and box helpers.

Boxes are float arrays (x0, y0, x1, y1) in frame pixels, x1/y1 exclusive. Frames are (H,W,3)
uint8 RGB. `update` returns the new box and a confidence score in [0, 1]; a tracker that lost
its target returns its last box with score 0.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np


class Tracker(Protocol):
    def init(self, frame: np.ndarray, box: np.ndarray) -> None: ...

    def update(self, frame: np.ndarray) -> tuple[np.ndarray, float]: ...


def box_ious(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of (..., 4) corner boxes, elementwise with broadcasting (0 where the union is empty)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    inter_w = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    inter_h = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    inter = inter_w * inter_h
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    union = area_a + area_b - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0)


def box_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two (x0, y0, x1, y1) boxes."""
    return float(box_ious(a, b))
