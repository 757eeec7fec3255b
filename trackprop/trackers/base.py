"""The tracker protocol every tracker follows (box geometry lives in `trackprop.boxes`).

Boxes are float arrays (x0, y0, x1, y1) in frame pixels, x1/y1 exclusive. Frames are (H,W,3)
uint8 RGB. `update` returns the new box and a confidence score in [0, 1]; a tracker that lost
its target returns its last box with score 0. `box` is the last box it reported or was started
on; `whole_frame` marks the one tracker whose answer is the frame itself (no tracking), which
the propagator then neither re-initialises nor searches with.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np


class Tracker(Protocol):
    box: np.ndarray
    whole_frame: bool

    def init(self, frame: np.ndarray, box: np.ndarray) -> None: ...

    def update(self, frame: np.ndarray) -> tuple[np.ndarray, float]: ...
