"""Scribbles -> the one-channel guidance map the interaction networks read.

DAVIS scribbles: {"sequence": str, "scribbles": [frame0_items, frame1_items, ...]}, each item
{"path": [[x, y], ...], "object_id": k} with x, y in [0, 1] (x * (W-1), y * (H-1) in pixels,
as davisinteractive rasterises them); object_id 0 is background.

Encoding. The paper fixes one guidance channel, so it must carry both polarities. For object k:

    G(x) = exp(-d_pos(x)^2 / 2s^2) - exp(-d_neg(x)^2 / 2s^2)

d_pos: distance to k's scribbles; d_neg: distance to background scribbles and to every other
object's scribbles; s: a spread in crop pixels. G is +1 on k's strokes, -1 on negative strokes,
fades to 0 away from both, and is bounded, so the network sees where the user drew and with which
sign, with a smooth neighbourhood like the distance maps of interactive segmentation (Xu et al.
2016) but without their unbounded range.

Rules for bad scribbles: points off the frame are dropped (a stroke drawn past the border); an
item with no point on the frame, a negative or non-integer object id, or a malformed path is an
error that names the frame and the object.
"""

from __future__ import annotations

import cv2
import numpy as np

from trackprop.errors import MAX_OBJECT_ID, TrackpropError

STROKE_WIDTH = 3  # OpenCV line thickness: a band about two pixels either side of the path
SPREAD = 8.0  # crop pixels: s in the guidance formula


def frame_items(scribbles: dict, frame: int) -> list[dict]:
    """The scribble items drawn on `frame` (an empty list if none)."""
    per_frame = scribbles.get("scribbles") if isinstance(scribbles, dict) else None
    if not isinstance(per_frame, list):
        raise TrackpropError(
            "scribbles must be a dict with a 'scribbles' list (one list per frame)."
        )
    if frame >= len(per_frame):
        return []
    return per_frame[frame] or []


def rasterize(items: list[dict], size: tuple[int, int], frame: int = 0) -> dict[int, np.ndarray]:
    """{object_id: (H,W) bool stroke pixels} for one frame's items; 0 is background."""
    height, width = size
    strokes: dict[int, np.ndarray] = {}
    if not isinstance(items, list):
        raise TrackpropError(f"scribbles of frame {frame} must be a list of items.")
    for item in items:
        if not isinstance(item, dict):
            raise TrackpropError(
                f"scribble on frame {frame}: an item must be a dict with 'object_id' and 'path', "
                f"not a {type(item).__name__}."
            )
        object_id = item.get("object_id")
        if (
            not isinstance(object_id, int | np.integer)
            or isinstance(object_id, bool)
            or not 0 <= object_id <= MAX_OBJECT_ID
        ):
            raise TrackpropError(
                f"scribble on frame {frame}: object id {object_id!r} is not an integer in "
                f"0..{MAX_OBJECT_ID} (0 is the background)."
            )
        try:
            path = np.asarray(item["path"], dtype=float).reshape(-1, 2)
        except (KeyError, TypeError, ValueError):
            raise TrackpropError(
                f"scribble on frame {frame}, object {object_id}: 'path' must be a list of [x, y] pairs."
            ) from None
        on_frame = np.all((path >= 0) & (path <= 1), axis=1)
        if len(path) and not on_frame.any():
            raise TrackpropError(
                f"scribble on frame {frame}, object {object_id}: every point lies off the frame (coordinates must be in [0, 1])."
            )
        points = path[on_frame] * [width - 1, height - 1]
        if not len(points):
            continue
        canvas = strokes.setdefault(int(object_id), np.zeros((height, width), np.uint8))
        draw_stroke(canvas, points)
    return {k: v.astype(bool) for k, v in strokes.items()}


def draw_stroke(canvas: np.ndarray, points: np.ndarray) -> None:
    """Paint a stroke through (N,2) pixel points (x, y) onto a uint8 canvas, in place."""
    points = np.round(points).astype(np.int32)
    if len(points) == 1:
        cv2.circle(canvas, (int(points[0, 0]), int(points[0, 1])), STROKE_WIDTH // 2, 1, -1)
    elif len(points) > 1:
        cv2.polylines(canvas, [points.reshape(-1, 1, 2)], False, 1, STROKE_WIDTH)


def guidance_map(positive: np.ndarray, negative: np.ndarray, spread: float = SPREAD) -> np.ndarray:
    """(S,S) float32 in [-1, 1] from positive and negative stroke masks of one crop."""
    return _closeness(positive, spread) - _closeness(negative, spread)


def _closeness(strokes: np.ndarray, spread: float) -> np.ndarray:
    if not strokes.any():
        return np.zeros(strokes.shape, np.float32)
    distance = cv2.distanceTransform((~strokes.astype(bool)).astype(np.uint8), cv2.DIST_L2, 5)
    return np.exp(-(distance**2) / (2 * spread**2)).astype(np.float32)


def split_polarity(
    strokes: dict[int, np.ndarray], object_id: int, size: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """(positive, negative) stroke masks for one object: its own vs background and all others."""
    positive = strokes.get(object_id, np.zeros(size, bool))
    negative = np.zeros(size, bool)
    for other, mask in strokes.items():
        if other != object_id:
            negative |= mask
    return positive, negative
