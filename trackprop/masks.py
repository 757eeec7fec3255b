"""Label maps of a whole video in bounded memory: each frame stored zlib-compressed.

A 480p label map is 410 kB raw and typically 2-10 kB compressed, so 10,000 frames stay well
under 100 MB where a raw (T,H,W) array would take 4 GB. Only the rows from the first to the last
one holding a label are compressed: a propagated frame's objects rarely span it, and zlib on the
whole map cost 1 ms per frame (0.2 ms for a 100-row object) on the propagation's hot path.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

BAND_FORMAT = b"\x01"


class MaskStore:
    def __init__(self, num_frames: int, height: int, width: int):
        self.shape = (height, width)
        self.num_frames = num_frames
        # frame -> BAND_FORMAT, the first labelled row (uint32), the rows from it down to the
        # last labelled one zlib-compressed. A blob is also what the GUI's history keeps on disk;
        # one written before the band format (the whole map compressed, so zlib's 0x78 first)
        # still reads.
        self.frames: dict[int, bytes] = {}

    def __setitem__(self, t: int, labels: np.ndarray) -> None:
        rows = np.flatnonzero(np.asarray(labels).any(axis=1))
        first, stop = (int(rows[0]), int(rows[-1]) + 1) if len(rows) else (0, 0)
        band = np.ascontiguousarray(labels[first:stop], np.uint8)
        self.frames[t] = BAND_FORMAT + struct.pack("<I", first) + zlib.compress(band.tobytes(), 1)

    def __getitem__(self, t: int) -> np.ndarray:
        """(H,W) uint8 labels of frame t; zeros for a frame that has none yet."""
        labels = np.zeros(self.shape, np.uint8)
        blob = self.frames.get(t)
        if blob is None:
            return labels
        first, data = (
            (struct.unpack("<I", blob[1:5])[0], blob[5:]) if blob[:1] == BAND_FORMAT else (0, blob)
        )
        band = np.frombuffer(zlib.decompress(data), np.uint8).reshape(-1, self.shape[1])
        labels[first : first + len(band)] = band
        return labels

    def __contains__(self, t: int) -> bool:
        return t in self.frames

    def to_array(self) -> np.ndarray:
        """(T,H,W) uint8: the whole video at once (materialised on request only)."""
        return (
            np.stack([self[t] for t in range(self.num_frames)])
            if self.num_frames
            else np.zeros((0, *self.shape), np.uint8)
        )
