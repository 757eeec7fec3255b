"""The standard iterative click robot of interactive segmentation (RITM, SAM): each click goes to
the point of the largest error region farthest from its border (the maximum of its distance
transform), positive in a missed part, negative in a false one."""

from __future__ import annotations

import cv2
import numpy as np


def next_click(predicted: np.ndarray, truth: np.ndarray) -> tuple[int, int, bool] | None:
    """(x, y, positive) of the next click, None when the prediction is already exact."""
    best = None
    for error, positive in ((truth & ~predicted, True), (predicted & ~truth, False)):
        if not error.any():
            continue
        # padded: the frame's edge counts as the region's border, as the error's outside does
        distance = cv2.distanceTransform(np.pad(error, 1).astype(np.uint8), cv2.DIST_L2, 5)
        distance = distance[1:-1, 1:-1]
        y, x = np.unravel_index(int(np.argmax(distance)), distance.shape)
        if best is None or distance[y, x] > best[0]:
            best = (distance[y, x], int(x), int(y), positive)
    return None if best is None else best[1:]
