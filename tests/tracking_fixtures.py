"""A small clip every tracker test follows."""

import numpy as np


def moving_patch_clip(rng, frames=20, size=(120, 160)):
    """A textured patch moving 3 px right and 1 px down per frame over a smooth background."""
    background = np.tile(
        np.linspace(60, 120, size[1], dtype=np.uint8)[None, :, None], (size[0], 1, 3)
    )
    patch = rng.integers(0, 255, (30, 30, 3)).astype(np.uint8)
    clip, boxes = [], []
    for t in range(frames):
        frame = background.copy()
        x, y = 20 + 3 * t, 30 + t
        frame[y : y + 30, x : x + 30] = patch
        clip.append(frame)
        boxes.append(np.array([x, y, x + 30, y + 30], float))
    return clip, boxes
