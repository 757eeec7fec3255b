"""No tracking: the region of interest is the whole frame (the paper's "without tracking" row)."""

from __future__ import annotations

import numpy as np


class WholeFrame:
    """Always answers the full frame with full confidence."""

    whole_frame = True

    def __init__(self):
        self.box = np.zeros(4)

    def init(self, frame: np.ndarray, box: np.ndarray) -> None:
        self.box = np.array([0.0, 0.0, frame.shape[1], frame.shape[0]])

    def update(self, frame: np.ndarray) -> tuple[np.ndarray, float]:
        self.box = np.array([0.0, 0.0, frame.shape[1], frame.shape[0]])
        return self.box, 1.0
