"""A click the networks ignored is honoured anyway, on the region of like colour around it.

The refinement network often keeps an object's label under a negative click (p 0.92-0.96 at the
click's centre where the frame shows the object's occluder or a look-alike next to it), and the
click robot then clicks the same spot until it gives up: on val20 first frames 163 of 292
negative clicks changed nothing. Where the clicked pixel still has the wrong label after the
networks, the connected region of like colour around it (a flood fill on the lightly blurred
frame, within the pixels the click says are wrong) takes the click's label; a fill larger than
half the object is not one coherent region, and only the click's own disk changes then.
"""

from __future__ import annotations

import cv2
import numpy as np

from trackprop.prompts import CLICK_RADIUS, Click

TOLERANCE = 20  # per colour channel, both ways, from the clicked pixel (10/20/30/45 measured)
MAX_SHARE = 0.5  # of the object's area


def honour_clicks(
    image: np.ndarray, labels: np.ndarray, clicks: dict[int, list[Click]]
) -> np.ndarray:
    """(H,W) labels where every click's pixel carries the label the click asks for."""
    labels = labels.copy()
    smooth = None
    for object_id, points in clicks.items():
        for x, y, positive in points:
            column, row = round(x), round(y)
            if (labels[row, column] == object_id) == positive:
                continue
            if smooth is None:
                smooth = cv2.GaussianBlur(image, (5, 5), 0)
            wrong = labels != object_id if positive else labels == object_id
            region = like_colour(smooth, wrong, (column, row))
            if region.sum() > MAX_SHARE * max(int((labels == object_id).sum()), 1):
                disk = np.zeros(labels.shape, np.uint8)
                cv2.circle(disk, (column, row), CLICK_RADIUS, 1, -1)
                region = disk.astype(bool) if positive else disk.astype(bool) & wrong
            labels[region] = object_id if positive else 0
    return labels


def like_colour(image: np.ndarray, allowed: np.ndarray, seed: tuple[int, int]) -> np.ndarray:
    """(H,W) bool: the pixels of `allowed` connected to `seed` (x, y) within TOLERANCE of its colour."""
    blocked = np.pad(~allowed, 1).astype(np.uint8)  # floodFill never enters a non-zero mask pixel
    flags = cv2.FLOODFILL_FIXED_RANGE | cv2.FLOODFILL_MASK_ONLY | (2 << 8) | 8
    cv2.floodFill(image, blocked, seed, 0, (TOLERANCE,) * 3, (TOLERANCE,) * 3, flags)
    return blocked[1:-1, 1:-1] == 2
