"""Label maps of a whole video in bounded memory: each frame stored zlib-compressed.

A 480p label map is 410 kB raw and typically 2-10 kB compressed, so 10,000 frames stay well
under 100 MB where a raw (T,H,W) array would take 4 GB.
"""

from __future__ import annotations

import zlib

import numpy as np


class MaskStore:
    def __init__(self, num_frames: int, height: int, width: int):
        self.shape = (height, width)
        self.num_frames = num_frames
        self.frames: dict[int, bytes] = {}

    def __setitem__(self, t: int, labels: np.ndarray) -> None:
        self.frames[t] = zlib.compress(np.ascontiguousarray(labels, np.uint8).tobytes(), 1)

    def __getitem__(self, t: int) -> np.ndarray:
        """(H,W) uint8 labels of frame t; zeros for a frame that has none yet."""
        if t not in self.frames:
            return np.zeros(self.shape, np.uint8)
        return np.frombuffer(zlib.decompress(self.frames[t]), np.uint8).reshape(self.shape).copy()

    def __contains__(self, t: int) -> bool:
        return t in self.frames

    def to_array(self) -> np.ndarray:
        """(T,H,W) uint8: the whole video at once (materialised on request only)."""
        return (
            np.stack([self[t] for t in range(self.num_frames)])
            if self.num_frames
            else np.zeros((0, *self.shape), np.uint8)
        )
