"""FocalClick's progressive merge: a refining click changes only the error it lands in.

A click says "this spot is wrong", nothing about the rest of the frame; yet the refinement
network, seeing the whole ROI again, also shifts boundaries far from the click, and over many
clicks such stray changes undo earlier corrections. Keeping only the connected changes that touch
the click made the click robot's NoC@85 fall on val first frames (README, "Prompts").
"""

from __future__ import annotations

import cv2
import numpy as np


def keep_changes_at(before: np.ndarray, after: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """(H,W) labels: `after` in each connected region of change that meets a seed pixel,
    `before` everywhere else. A region of change is a connected set of pixels whose label
    changed, whatever it changed to (a boundary moving between two objects is one region)."""
    changed = before != after
    count, regions = cv2.connectedComponents(changed.astype(np.uint8), connectivity=8)
    keep = np.zeros(count, bool)
    keep[regions[seeds & changed]] = True
    keep[0] = False  # region 0 is every unchanged pixel
    return np.where(keep[regions], after, before).astype(before.dtype)


def after_click(
    before: np.ndarray, after: np.ndarray, strokes: dict[int, np.ndarray], touched: list[int]
) -> np.ndarray:
    """The labels a click leaves: when every object it touched already had a mask on the frame
    (a refinement), only the changes connected to its strokes; else (a first click, which has
    nothing earlier to keep) the network's labels as they are."""
    if not np.isin(touched, before).all():
        return after
    return keep_changes_at(before, after, np.any(list(strokes.values()), axis=0))
