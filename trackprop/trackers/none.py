"""No tracking: the region of interest is the whole frame (the paper's "without tracking" row)."""

from __future__ import annotations

import numpy as np


class WholeFrame:
    """Always answers the full frame with full confidence."""

    def init(self, frame: np.ndarray, box: np.ndarray) -> None:
        self.box = np.array([0.0, 0.0, frame.shape[1], frame.shape[0]])

    def update(self, frame: np.ndarray) -> tuple[np.ndarray, float]:
        return np.array([0.0, 0.0, frame.shape[1], frame.shape[0]]), 1.0
