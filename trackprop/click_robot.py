"""The standard iterative click robot of interactive segmentation (RITM, SAM): each click goes to
the point of the largest error region farthest from its border (the maximum of its distance
transform), positive in a missed part, negative in a false one."""

from __future__ import annotations

import cv2
import numpy as np

JITTER_SHARE = 0.5  # a jittered click lands where the distance is at least this share of its max


def next_click(
    predicted: np.ndarray, truth: np.ndarray, rng: np.random.Generator | None = None
) -> tuple[int, int, bool] | None:
    """(x, y, positive) of the next click, None when the prediction is already exact.

    With `rng` (training), the click lands anywhere well inside the region, not only at its
    farthest point: people do not click at the exact maximum either.
    """
    best = None
    for error, positive in ((truth & ~predicted, True), (predicted & ~truth, False)):
        if not error.any():
            continue
        # padded: the frame's edge counts as the region's border, as the error's outside does
        distance = cv2.distanceTransform(np.pad(error, 1).astype(np.uint8), cv2.DIST_L2, 5)
        distance = distance[1:-1, 1:-1]
        y, x = np.unravel_index(int(np.argmax(distance)), distance.shape)
        if best is None or distance[y, x] > best[0]:
            best = (distance[y, x], int(x), int(y), positive, distance)
    if best is None:
        return None
    peak, x, y, positive, distance = best
    if rng is not None:
        ys, xs = np.nonzero(distance >= JITTER_SHARE * peak)
        pick = rng.integers(len(xs))
        x, y = int(xs[pick]), int(ys[pick])
    return x, y, positive
