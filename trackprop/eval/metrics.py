"""DAVIS region similarity J (IoU) and boundary accuracy F, per object and per video.

F follows the DAVIS definition: boundaries of prediction and ground truth are matched within a
tolerance of 0.8 % of the image diagonal; F is the harmonic mean of boundary precision and recall.
"""

from __future__ import annotations

import cv2
import numpy as np

BOUNDARY_TOLERANCE = 0.008


def jaccard(predicted: np.ndarray, truth: np.ndarray) -> float:
    """IoU of two binary masks; 1 when both are empty (nothing to find, nothing found)."""
    predicted, truth = predicted.astype(bool), truth.astype(bool)
    union = np.logical_or(predicted, truth).sum()
    return 1.0 if union == 0 else float(np.logical_and(predicted, truth).sum() / union)


def boundary(mask: np.ndarray) -> np.ndarray:
    """One-pixel-wide boundary of a binary mask (pixels of the mask touching the outside)."""
    mask = mask.astype(np.uint8)
    eroded = cv2.erode(
        mask, np.ones((3, 3), np.uint8), borderType=cv2.BORDER_CONSTANT, borderValue=0
    )
    return (mask - eroded).astype(bool)


def f_measure(predicted: np.ndarray, truth: np.ndarray) -> float:
    predicted_edge, truth_edge = boundary(predicted), boundary(truth)
    if not predicted_edge.any() and not truth_edge.any():
        return 1.0
    if not predicted_edge.any() or not truth_edge.any():
        return 0.0
    radius = max(1, int(np.ceil(BOUNDARY_TOLERANCE * np.hypot(*predicted.shape))))
    disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    truth_zone = cv2.dilate(truth_edge.astype(np.uint8), disk).astype(bool)
    predicted_zone = cv2.dilate(predicted_edge.astype(np.uint8), disk).astype(bool)
    precision = (predicted_edge & truth_zone).sum() / predicted_edge.sum()
    recall = (truth_edge & predicted_zone).sum() / truth_edge.sum()
    return 0.0 if precision + recall == 0 else float(2 * precision * recall / (precision + recall))


def video_j_and_f(predicted: np.ndarray, truth: np.ndarray, skip: set[int] = frozenset()) -> dict:
    """Mean J, F and J&F over objects (each averaged over frames), frames in `skip` excluded.

    predicted, truth: (T,H,W) label maps; objects are the ids present in truth.
    """
    object_ids = [int(i) for i in np.unique(truth) if i != 0]
    frames = [t for t in range(len(truth)) if t not in skip]
    js, fs = [], []
    for object_id in object_ids:
        js.append(
            np.mean([jaccard(predicted[t] == object_id, truth[t] == object_id) for t in frames])
        )
        fs.append(
            np.mean([f_measure(predicted[t] == object_id, truth[t] == object_id) for t in frames])
        )
    j, f = float(np.mean(js)), float(np.mean(fs))
    return {"J": j, "F": f, "J&F": (j + f) / 2, "objects": len(object_ids)}
