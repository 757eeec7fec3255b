"""Region-proposal anchors: a grid over the response map, and the box deltas relative to them.

Boxes and anchors are corners (x0, y0, x1, y1). Deltas are the usual (dx, dy, dw, dh): centre
offset in units of the anchor's size, log of the size ratio.
"""

from __future__ import annotations

import numpy as np

from trackprop.boxes import center_size, corners

RATIOS = (0.33, 0.5, 1.0, 2.0, 3.0)  # height / width, SiamRPN's five


def anchor_grid(response: int, stride: int, base: float, crop: int, ratios=RATIOS) -> np.ndarray:
    """(K, R, R, 4) anchors: K ratios of area base^2, centred on the response cells.

    Response cell (i, j) looks at crop position crop/2 + stride * ((j, i) - (R-1)/2).
    """
    offsets = crop / 2 + stride * (np.arange(response) - (response - 1) / 2)
    cx, cy = np.meshgrid(offsets, offsets)
    grids = []
    for ratio in ratios:
        w, h = base / np.sqrt(ratio), base * np.sqrt(ratio)
        grids.append(np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], -1))
    return np.stack(grids)


def encode(boxes: np.ndarray, anchors: np.ndarray) -> np.ndarray:
    """Deltas (..., 4) that turn `anchors` into `boxes` (broadcasting)."""
    center, size = center_size(boxes)
    anchor_center, anchor_size = center_size(anchors)
    return np.concatenate([(center - anchor_center) / anchor_size, np.log(size / anchor_size)], -1)


def decode(deltas: np.ndarray, anchors: np.ndarray) -> np.ndarray:
    """Boxes (..., 4) from deltas relative to `anchors`; the inverse of `encode`."""
    anchor_center, anchor_size = center_size(anchors)
    center = anchor_center + deltas[..., :2] * anchor_size
    size = anchor_size * np.exp(np.clip(deltas[..., 2:], -4, 4))
    return corners(center, size)
