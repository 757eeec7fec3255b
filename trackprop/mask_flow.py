"""Where an object's pixels went between two frames: dense optical flow read over its mask.

A box tracker follows the box's appearance, background included, and drifts with it; the
previous mask says which pixels are the object. DIS optical flow (OpenCV, its fastest preset)
over the mask's surroundings, shrunk to at most FLOW_SIDE pixels, and the median of its vectors
on the mask's pixels give the object's displacement. The propagator can mix the centre this
gives with the tracker's (TrackerConfig.flow_weight; off by default: README, "ROI centre from
the mask's optical flow").
"""

from __future__ import annotations

import cv2
import numpy as np

from trackprop.boxes import center_size

FLOW_SIDE = 160  # the longer side the flow is computed at (2-3 ms an object and frame, all in)
MARGIN = 16  # pixels of context around twice the box, so that small objects still have some
MIN_PIXELS = 4  # fewer mask pixels at the flow's scale than this: no estimate


def grey(frame: np.ndarray) -> np.ndarray:
    """The (H,W) uint8 grey image optical flow reads, from an (H,W,3) RGB frame."""
    return cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)


def mask_displacement(
    previous: np.ndarray, current: np.ndarray, mask: np.ndarray, box: np.ndarray
) -> np.ndarray | None:
    """(dx, dy) in frame pixels by which the pixels of `mask` (in grey frame `previous`, inside
    `box`) moved to grey frame `current`; None where too little of the mask is left to tell."""
    height, width = mask.shape
    (cx, cy), (box_w, box_h) = center_size(np.asarray(box, float))
    half = max(box_w, box_h) + MARGIN / 2
    x0, y0 = int(max(cx - half, 0)), int(max(cy - half, 0))
    x1, y1 = int(min(cx + half, width)), int(min(cy + half, height))
    if min(x1 - x0, y1 - y0) < 8:  # DIS needs a few patches
        return None
    scale = min(1.0, FLOW_SIDE / max(x1 - x0, y1 - y0))
    size = (max(round((x1 - x0) * scale), 8), max(round((y1 - y0) * scale), 8))
    before = cv2.resize(previous[y0:y1, x0:x1], size, interpolation=cv2.INTER_AREA)
    after = cv2.resize(current[y0:y1, x0:x1], size, interpolation=cv2.INTER_AREA)
    on_object = cv2.resize(mask[y0:y1, x0:x1], size, interpolation=cv2.INTER_NEAREST) > 0
    if on_object.sum() < MIN_PIXELS:
        return None
    # A fresh instance per call (6 us): one DIS instance that has seen a smaller image answers a
    # larger one differently (OpenCV 5.0.0), so a reused one made the ROI depend on what was
    # tracked before, even in another video (tests/test_mask_flow.py).
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST)
    flow = dis.calc(before, after, None)
    moved = np.median(flow[on_object], axis=0)
    # the scale the window was shrunk by, per axis (rounding makes them differ slightly)
    return moved * np.array([(x1 - x0) / size[0], (y1 - y0) / size[1]])
