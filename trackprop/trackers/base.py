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


def box_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two (x0, y0, x1, y1) boxes."""
    inter_w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    inter_h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = inter_w * inter_h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0
