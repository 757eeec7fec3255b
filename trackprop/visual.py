"""Mask overlays for previews, the GUI and mp4 export."""

from __future__ import annotations

import cv2
import numpy as np

from trackprop.data.davis import davis_palette

PALETTE = davis_palette()


def overlay(frame: np.ndarray, labels: np.ndarray, opacity: float = 0.5) -> np.ndarray:
    """(H,W,3) uint8 frame with each object tinted in its DAVIS colour and outlined."""
    out = frame.astype(np.float32)
    colours = PALETTE[labels].astype(np.float32)
    objects = labels > 0
    out[objects] = (1 - opacity) * out[objects] + opacity * colours[objects]
    edges = cv2.morphologyEx(labels, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)) > 0
    out[edges & objects] = colours[edges & objects]
    return out.astype(np.uint8)
