"""Clicks and boxes -> the strokes the interaction networks read (the same guidance as scribbles).

The paper's networks read one signed guidance channel made from strokes (guidance.py). A click
is a small disk of stroke: positive for its object, or, when negative, a background stroke
where the object's mask was wrong. A box becomes a positive cross over its middle (where an
object inside its box nearly always is) and a negative frame just outside it (where it is not),
and what the networks then find outside the box is dropped (`box_areas`).
Both were chosen by measurement on val first frames (README, "Prompts"); everything after the
strokes (first round or refinement, the merge, undo, propagation) is shared with scribbles.

Rules for bad prompts: an object id outside 1..255, a coordinate that is not a finite number
on the frame, an empty or inverted box, a click that is not (x, y, positive) are errors that name
the frame, the object and the field.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import cv2
import numpy as np

from trackprop.errors import MAX_OBJECT_ID, TrackpropError

CLICK_RADIUS = 8  # pixels: a click's disk of stroke (3, 5, 8 measured: 8 best, README)
BOX_CROSS = 0.25  # the cross spans the middle half of the box (±BOX_CROSS of its side)
BOX_MARGIN = 0.04  # the negative frame lies this fraction of the box's side outside it


def read_prompt_file(path: str | Path, kind: str) -> dict:
    """A clicks or boxes JSON file: {"1": ..., "2": ...} keyed by object id."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise TrackpropError(f"{path}: {kind} file not found.") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TrackpropError(f"{path}: not a readable JSON {kind} file ({exc}).") from None
    if not isinstance(data, dict):
        raise TrackpropError(f"{path}: a {kind} file is a JSON object keyed by object id.")
    return data


def _object_id(value: object, frame: int, kind: str) -> int:
    try:
        object_id = int(value)
    except (TypeError, ValueError):
        object_id = -1
    if str(value).strip() != str(object_id) or not 1 <= object_id <= MAX_OBJECT_ID:
        raise TrackpropError(
            f"{kind} on frame {frame}: object id {value!r} is not an integer in 1..{MAX_OBJECT_ID}."
        )
    return object_id


def _coordinate(value: object, limit: int, frame: int, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise TrackpropError(f"{where} on frame {frame}: {value!r} is not a finite number.")
    if not 0 <= value <= limit:
        raise TrackpropError(f"{where} on frame {frame}: {value} lies off the frame (0..{limit}).")
    return float(value)


Click = tuple[float, float, bool]  # (x, y, positive) in pixels


def parse_clicks(clicks: dict, size: tuple[int, int], frame: int) -> dict[int, list[Click]]:
    """{object_id: [(x, y, positive), ...]} checked (see the module's rules) -> {id: clicks}."""
    height, width = size
    if not isinstance(clicks, dict) or not clicks:
        raise TrackpropError(
            f"clicks on frame {frame}: give {{object_id: [[x, y, positive], ...]}}."
        )
    parsed: dict[int, list[Click]] = {}
    for key, points in clicks.items():
        object_id = _object_id(key, frame, "clicks")
        where = f"clicks of object {object_id}"
        if not isinstance(points, list | tuple) or not points:
            raise TrackpropError(f"{where} on frame {frame}: give a list of [x, y, positive].")
        for point in points:
            if not isinstance(point, list | tuple) or len(point) != 3:
                raise TrackpropError(
                    f"{where} on frame {frame}: {point!r} is not [x, y, positive]."
                )
            x = _coordinate(point[0], width - 1, frame, f"{where}, x")
            y = _coordinate(point[1], height - 1, frame, f"{where}, y")
            if point[2] not in (True, False, 0, 1):
                raise TrackpropError(
                    f"{where} on frame {frame}: positive must be 1 or 0, not {point[2]!r}."
                )
            parsed.setdefault(object_id, []).append((x, y, bool(point[2])))
    return parsed


def strokes_of_clicks(
    clicks: dict[int, list[Click]], size: tuple[int, int]
) -> dict[int, np.ndarray]:
    """Parsed clicks -> {id: (H,W) bool} disks; a negative click is a background (0) stroke."""
    canvases: dict[int, np.ndarray] = {}
    for object_id, points in clicks.items():
        for x, y, positive in points:
            canvas = canvases.setdefault(object_id if positive else 0, np.zeros(size, np.uint8))
            cv2.circle(canvas, (round(x), round(y)), CLICK_RADIUS, 1, -1)
    return {k: v.astype(bool) for k, v in canvases.items()}


def click_strokes(clicks: dict, size: tuple[int, int], frame: int) -> dict[int, np.ndarray]:
    """{object_id: [(x, y, positive), ...]} in pixels -> {id: (H,W) bool}; 0 is background."""
    return strokes_of_clicks(parse_clicks(clicks, size, frame), size)


def parse_boxes(boxes: dict, size: tuple[int, int], frame: int) -> dict[int, tuple[float, ...]]:
    """{object_id: (x0, y0, x1, y1)} checked (see the module's rules) -> {id: box} in pixels."""
    height, width = size
    if not isinstance(boxes, dict) or not boxes:
        raise TrackpropError(f"boxes on frame {frame}: give {{object_id: [x0, y0, x1, y1]}}.")
    parsed = {}
    for key, box in boxes.items():
        object_id = _object_id(key, frame, "boxes")
        where = f"box of object {object_id}"
        if not isinstance(box, list | tuple) or len(box) != 4:
            raise TrackpropError(f"{where} on frame {frame}: give [x0, y0, x1, y1], not {box!r}.")
        x0, x1 = (_coordinate(v, width, frame, f"{where}, x") for v in (box[0], box[2]))
        y0, y1 = (_coordinate(v, height, frame, f"{where}, y") for v in (box[1], box[3]))
        if x1 - x0 < 2 or y1 - y0 < 2:
            raise TrackpropError(f"{where} on frame {frame}: {list(box)} is empty or inverted.")
        parsed[object_id] = (x0, y0, x1, y1)
    return parsed


def box_areas(boxes: dict, size: tuple[int, int], frame: int) -> dict[int, np.ndarray]:
    """{object_id: (x0, y0, x1, y1)} -> {id: (H,W) bool, True inside its box}.

    A box says where its object is: the part of a box prompt's mask outside it is dropped
    (first-frame box IoU on val20 / val30b / calib10 0.818 / 0.776 / 0.856 against 0.811 /
    0.771 / 0.851 without; README, "Prompts").
    """
    areas = {}
    for object_id, box in parse_boxes(boxes, size, frame).items():
        areas[object_id] = np.zeros(size, bool)
        areas[object_id][_inside(box)] = True
    return areas


def _inside(box: tuple[float, ...]) -> tuple[slice, slice]:
    """The (rows, cols) a parsed box covers, in whole pixels."""
    x0, y0, x1, y1 = box
    return slice(max(round(y0), 0), round(y1)), slice(max(round(x0), 0), round(x1))


def box_strokes(boxes: dict, size: tuple[int, int], frame: int) -> dict[int, np.ndarray]:
    """{object_id: (x0, y0, x1, y1)} in pixels -> {id: (H,W) bool}; 0 is background."""
    canvases: dict[int, np.ndarray] = {0: np.zeros(size, np.uint8)}
    parsed = parse_boxes(boxes, size, frame)
    for object_id, (x0, y0, x1, y1) in parsed.items():
        cx, cy, w, h = (x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0
        positive = canvases.setdefault(object_id, np.zeros(size, np.uint8))
        cross = [((cx - BOX_CROSS * w, cy), (cx + BOX_CROSS * w, cy))]
        cross.append(((cx, cy - BOX_CROSS * h), (cx, cy + BOX_CROSS * h)))
        for a, b in cross:
            cv2.line(positive, tuple(map(round, a)), tuple(map(round, b)), 1, 3)
        mx, my = BOX_MARGIN * w + 2, BOX_MARGIN * h + 2
        outside = (round(x0 - mx), round(y0 - my)), (round(x1 + mx), round(y1 + my))
        cv2.rectangle(canvases[0], *outside, 1, 3)
    for box in parsed.values():  # one box's frame must not cut through another's object
        canvases[0][_inside(box)] = 0
    return {k: v.astype(bool) for k, v in canvases.items() if v.any()}
