"""Scribble strokes as a person draws them: a smooth curve along the inside of a region.

Used for the initial scribbles of composited videos and, in training, for simulated corrections
drawn on error regions (missed object -> positive, false positive -> background).
"""

from __future__ import annotations

import cv2
import numpy as np


def stroke_inside(mask: np.ndarray, rng: np.random.Generator, points: int = 40) -> np.ndarray:
    """(N,2) float (x, y) pixel points of a stroke that stays inside `mask`; empty if mask is.

    The stroke follows the region's major axis with a gentle wobble, pulled in from the border
    (erosion by a tenth of the region's size) the way people keep away from edges.
    """
    mask = mask.astype(bool)
    area = int(mask.sum())
    if area == 0:
        return np.zeros((0, 2))
    radius = max(1, int(0.1 * np.sqrt(area)))
    inner = cv2.erode(mask.astype(np.uint8), np.ones((2 * radius + 1,) * 2, np.uint8)).astype(bool)
    if inner.sum() < 3:
        inner = mask
    ys, xs = np.nonzero(inner)
    coords = np.stack([xs, ys], 1).astype(float)
    mean = coords.mean(0)
    eigenvalues, eigenvectors = np.linalg.eigh(np.cov(coords.T) + 1e-6 * np.eye(2))
    major, minor = eigenvectors[:, 1], eigenvectors[:, 0]
    half_length = 1.8 * np.sqrt(eigenvalues[1])
    s = np.linspace(-1, 1, points) * half_length * rng.uniform(0.6, 0.95)
    shift = rng.normal(0, 0.15) * half_length
    wobble = (
        rng.uniform(0.1, 0.4)
        * np.sqrt(eigenvalues[0])
        * np.sin(np.linspace(0, np.pi * rng.uniform(1, 3), points) + rng.uniform(0, 2 * np.pi))
    )
    curve = mean + np.outer(s + shift, major) + np.outer(wobble, minor)
    inside = _inside(inner, curve)
    run = _longest_run(inside)
    if run.stop - run.start >= 3:
        return curve[run]
    # Thin or curled region: a short stroke through its deepest point.
    distance = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 3)
    y, x = np.unravel_index(np.argmax(distance), distance.shape)
    reach = max(1.0, 0.5 * distance[y, x])
    offsets = np.linspace(-reach, reach, 5)
    return np.stack([x + offsets * major[0], y + offsets * major[1]], 1)


def _inside(mask: np.ndarray, curve: np.ndarray) -> np.ndarray:
    xs = np.round(curve[:, 0]).astype(int)
    ys = np.round(curve[:, 1]).astype(int)
    valid = (xs >= 0) & (ys >= 0) & (xs < mask.shape[1]) & (ys < mask.shape[0])
    inside = np.zeros(len(curve), bool)
    inside[valid] = mask[ys[valid], xs[valid]]
    return inside


def _longest_run(flags: np.ndarray) -> slice:
    best, start = slice(0, 0), None
    for i, flag in enumerate([*flags.tolist(), False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            if i - start > best.stop - best.start:
                best = slice(start, i)
            start = None
    return best


def to_davis_path(stroke: np.ndarray, size: tuple[int, int]) -> list[list[float]]:
    """Pixel points -> DAVIS scribble path in [0, 1]: x / (W-1), y / (H-1), as davisinteractive
    rasterises paths by multiplying with (W-1, H-1)."""
    height, width = size
    sx, sy = max(width - 1, 1), max(height - 1, 1)
    return [[round(float(x) / sx, 5), round(float(y) / sy, 5)] for x, y in stroke]
