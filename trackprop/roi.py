"""Region of interest: enlarge a tracker box to a square, crop frame and mask, paste back.

A box is (x0, y0, x1, y1) in frame pixels, x1/y1 exclusive. The crop is one affine warp, so an
integer-aligned box whose side equals the crop size round-trips exactly.
"""

from __future__ import annotations

import cv2
import numpy as np

from trackprop.boxes import center_size, mask_box, square_region
from trackprop.config import RoiConfig


def expand_box(box: np.ndarray, config: RoiConfig = RoiConfig()) -> np.ndarray:
    """The square ROI: centred on the box, side = longer box side x enlarge (at least min_side)."""
    x0, y0, x1, y1 = np.asarray(box, dtype=float)
    side = max(max(x1 - x0, y1 - y0) * config.enlarge, config.min_side)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return np.array([cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2])


def search_region(
    box: np.ndarray, growth: float, config: RoiConfig, frame_size: tuple[int, int]
) -> np.ndarray:
    """Where a lost object is looked for: the ROI of its last box, its side grown `growth` times
    around the box's centre, at most 1.2 times the frame's longer side."""
    roi = expand_box(box, config)
    side = min((roi[2] - roi[0]) * growth, max(frame_size) * 1.2)
    return square_region(center_size(np.asarray(box, float))[0], side)


def object_crop(
    image: np.ndarray, mask: np.ndarray, config: RoiConfig
) -> tuple[np.ndarray, np.ndarray] | None:
    """(image crop, 0/1 mask crop) over the ROI the mask's box gives; None for an empty mask."""
    mask = mask.astype(np.uint8)
    box = mask_box(mask)
    if box is None:
        return None
    roi = expand_box(box, config)
    return crop_roi(image, roi, config.size), crop_roi(mask, roi, config.size, nearest=True)


def roi_matrix(roi: np.ndarray, size: int) -> np.ndarray:
    """(2,3) affine frame -> crop, mapping the ROI's pixel edges onto the crop's pixel edges."""
    x0, y0, x1 = roi[:3]
    scale = size / (x1 - x0)
    # Edges map linearly: crop_edge = (frame_edge - x0) * scale. OpenCV puts pixel i's centre at
    # i, i.e. edge = centre + 0.5, hence the half-pixel terms.
    return np.array(
        [[scale, 0.0, scale * (0.5 - x0) - 0.5], [0.0, scale, scale * (0.5 - y0) - 0.5]]
    )


def crop_roi(image: np.ndarray, roi: np.ndarray, size: int, nearest: bool = False) -> np.ndarray:
    """(size,size[,C]) crop of `image` over the ROI; outside the frame is zero."""
    flags = cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR
    return cv2.warpAffine(
        image, roi_matrix(roi, size), (size, size), flags=flags, borderMode=cv2.BORDER_CONSTANT
    )


def paste_roi(
    crop: np.ndarray, roi: np.ndarray, frame_size: tuple[int, int], fill: float
) -> tuple[np.ndarray, tuple[slice, slice]]:
    """`crop` (size,size[,C]) warped back into the frame.

    Returns the values over the ROI's part of the frame and the (rows, cols) slices it covers,
    so callers touch only that region; the rest of the frame is `fill` by definition.
    """
    height, width = frame_size
    size = crop.shape[0]
    x0, y0, x1, y1 = roi
    cols = slice(max(int(np.floor(x0)), 0), min(int(np.ceil(x1)), width))
    rows = slice(max(int(np.floor(y0)), 0), min(int(np.ceil(y1)), height))
    if cols.stop <= cols.start or rows.stop <= rows.start:
        return np.zeros((0, 0, *crop.shape[2:]), crop.dtype), (slice(0, 0), slice(0, 0))
    matrix = roi_matrix(roi, size)
    matrix[:, 2] += matrix[:, :2] @ np.array(
        [cols.start, rows.start]
    )  # output origin at (cols.start, rows.start)
    region = cv2.warpAffine(
        crop,
        matrix,
        (cols.stop - cols.start, rows.stop - rows.start),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=fill,
    )
    return region, (rows, cols)
