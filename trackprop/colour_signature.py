"""An object's colours as a signature: is a mask found after the object was lost the same object?

A lost object is searched for in a large ROI, where the network readily takes a look-alike
blob of the right size for it. A normalised Lab histogram (8 bins a channel) of the mask's pixels,
taken while the object was seen whole, against the found mask's (Bhattacharyya distance) tells
most of them apart (the threshold, in propagators/roi_tracker.py, was read off train-split videos:
README, "Lost objects").
"""

from __future__ import annotations

import cv2
import numpy as np

from trackprop.boxes import mask_box

BINS = 8


def colour_signature(frame: np.ndarray, mask: np.ndarray) -> np.ndarray | None:
    """(BINS**3,) float32 histogram of the (H,W,3) RGB `frame`'s colours under `mask`, summing to
    1; None for an empty mask. Only the mask's box is converted, so it costs a small object little."""
    box = mask_box(mask)
    if box is None:
        return None
    x0, y0, x1, y1 = (int(v) for v in np.round(box))
    lab = cv2.cvtColor(np.ascontiguousarray(frame[y0:y1, x0:x1]), cv2.COLOR_RGB2LAB)
    inside = mask[y0:y1, x0:x1].astype(np.uint8)
    hist = cv2.calcHist([lab], [0, 1, 2], inside, [BINS] * 3, [0, 256] * 3).ravel()
    return hist / max(float(hist.sum()), 1.0)


def colour_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Bhattacharyya distance of two signatures: 0 the same colours, 1 none in common."""
    return float(
        cv2.compareHist(a.astype(np.float32), b.astype(np.float32), cv2.HISTCMP_BHATTACHARYYA)
    )
