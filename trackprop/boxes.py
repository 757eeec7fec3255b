"""Box geometry, in one place: boxes are float (x0, y0, x1, y1) in pixels, x1/y1 exclusive.

Functions take (..., 4) arrays where that is natural, so anchors and single boxes share them.
"""

from __future__ import annotations

import numpy as np


def mask_box(mask: np.ndarray) -> np.ndarray | None:
    """(4,) box of the mask's pixels, None for an empty mask.

    From the rows and columns that hold a pixel, not from every pixel's coordinates: on a 480p
    frame 20 times faster than `np.nonzero` (0.1 against 2.4 ms), and this runs per object and
    frame.
    """
    rows = np.flatnonzero(mask.any(axis=1))
    if len(rows) == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return np.array([cols[0], rows[0], cols[-1] + 1, rows[-1] + 1], dtype=float)


def center_size(box: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(..., 4) corner boxes -> centres (..., 2) and sizes (..., 2)."""
    box = np.asarray(box, float)
    return (box[..., :2] + box[..., 2:]) / 2, box[..., 2:] - box[..., :2]


def corners(center: np.ndarray, size: np.ndarray) -> np.ndarray:
    """The inverse of `center_size`: centres and sizes (..., 2) -> (..., 4) corner boxes."""
    center, size = np.asarray(center, float), np.asarray(size, float)
    return np.concatenate([center - size / 2, center + size / 2], -1)


def square_region(center: np.ndarray, side: float) -> np.ndarray:
    """The square box of side `side` centred on `center`."""
    return corners(center, np.array([side, side], float))


def box_area(box: np.ndarray) -> np.ndarray:
    """Area of (..., 4) boxes (negative sides count as zero)."""
    size = center_size(box)[1].clip(0, None)
    return size[..., 0] * size[..., 1]


def box_ious(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of (..., 4) corner boxes, elementwise with broadcasting (0 where the union is empty)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    inter_w = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    inter_h = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    inter = inter_w * inter_h
    union = box_area(a) + box_area(b) - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0)


def box_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two boxes."""
    return float(box_ious(a, b))
