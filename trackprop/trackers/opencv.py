"""OpenCV's classical trackers (contrib build) behind the tracker protocol.

One class for all four: they share OpenCV's init/update interface and differ only in the
constructor, so separate modules would be copies of each other. Frames are tracked at
`scale` of their size (half by default): the trackers' cost grows with the pixels they see, and
a box at half resolution is still precise to a pixel or two at full size.
"""

from __future__ import annotations

import cv2
import numpy as np


def light_csrt() -> cv2.Tracker:
    """CSRT with less work per update than OpenCV's defaults.

    The paper's propagator takes only the tracker's centre (the size comes from the mask), so a
    coarser scale search (17 scales, not 33), two ADMM iterations (not 4) and no colour
    segmentation of the spatial reliability map cost it nothing: J&F rose with them on both the
    val and the calibration videos, and the tracker's time per frame fell (README, "Speed").
    """
    params = cv2.TrackerCSRT_Params()
    params.use_segmentation = False
    params.admm_iterations = 2
    params.number_of_scales = 17
    return cv2.TrackerCSRT_create(params)


CONSTRUCTORS = {
    "csrt": cv2.TrackerCSRT_create,
    "kcf": cv2.TrackerKCF_create,
    "mil": cv2.TrackerMIL_create,
    "medianflow": cv2.legacy.TrackerMedianFlow_create,
}
LIGHT_CONSTRUCTORS = {"csrt": light_csrt}  # cheaper configurations, where one was measured
# Smallest box side (at tracking scale) each tracker is started on: OpenCV refuses smaller boxes,
# and MIL's init never returns on a 4-pixel box (measured: 6 px takes 21 ms, 4 px > 20 s).
MIN_SIDE = {"mil": 8}
DEFAULT_MIN_SIDE = 4


class OpenCVTracker:
    whole_frame = False

    def __init__(self, kind: str, scale: float = 0.5, light: bool = False):
        self.kind = kind
        self.scale = scale
        self.constructor = LIGHT_CONSTRUCTORS[kind] if light else CONSTRUCTORS[kind]
        self.box = np.zeros(4)
        self.tracker = None  # until init succeeds, update answers "lost"

    def _prepare(self, frame: np.ndarray) -> np.ndarray:
        if self.scale != 1:
            frame = cv2.resize(
                frame, None, fx=self.scale, fy=self.scale, interpolation=cv2.INTER_AREA
            )
        return cv2.cvtColor(frame, cv2.COLOR_RGB2BGR)

    def init(self, frame: np.ndarray, box: np.ndarray) -> None:
        """Start on `box`, clipped to the frame; a box (almost) outside it leaves the tracker lost."""
        self.box = np.asarray(box, dtype=float)
        self.tracker = None
        height, width = frame.shape[:2]
        x0, y0 = np.maximum(self.box[:2], 0) * self.scale
        x1, y1 = np.minimum(self.box[2:], [width, height]) * self.scale
        min_side = MIN_SIDE.get(self.kind, DEFAULT_MIN_SIDE)
        if x1 - x0 < min_side or y1 - y0 < min_side:
            return
        tracker = self.constructor()
        try:
            tracker.init(self._prepare(frame), (int(x0), int(y0), int(x1 - x0), int(y1 - y0)))
        except cv2.error:
            return  # OpenCV refuses some degenerate patches; stay lost until the next re-init
        self.tracker = tracker

    def update(self, frame: np.ndarray) -> tuple[np.ndarray, float]:
        if self.tracker is None:
            return self.box, 0.0
        try:
            ok, (x, y, w, h) = self.tracker.update(self._prepare(frame))
        except cv2.error:
            ok = False
        if not ok:
            return self.box, 0.0
        self.box = np.array([x, y, x + w, y + h], dtype=float) / self.scale
        return self.box, 1.0
