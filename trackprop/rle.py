"""COCO run-length encoding of binary masks (the compressed-string form of the COCO API).

Runs are counted in column-major order, starting with a run of zeros. The string form stores
each run (after the second, as the difference to the run two before) in 5-bit groups, low
first, each group + 48 as a character, 0x20 marking that more groups follow.
"""

from __future__ import annotations

import numpy as np


def mask_to_runs(mask: np.ndarray) -> list[int]:
    flat = np.asarray(mask, bool).ravel(order="F")
    changes = np.flatnonzero(np.diff(flat.astype(np.int8))) + 1
    bounds = np.concatenate([[0], changes, [flat.size]])
    runs = np.diff(bounds).tolist()
    if flat.size and flat[0]:
        runs = [0, *runs]
    return runs


def runs_to_mask(runs: list[int], size: tuple[int, int]) -> np.ndarray:
    values = np.arange(len(runs)) % 2
    flat = np.repeat(values, runs).astype(np.uint8)
    return flat.reshape(size[1], size[0]).T.copy()


def encode_counts(runs: list[int]) -> str:
    chars = []
    for i, run in enumerate(runs):
        value = run - runs[i - 2] if i > 2 else run
        more = True
        while more:
            group = value & 0x1F
            value >>= 5
            more = not ((value == 0 and not group & 0x10) or (value == -1 and group & 0x10))
            chars.append(chr(group + (0x20 if more else 0) + 48))
    return "".join(chars)


def decode_counts(counts: str) -> list[int]:
    runs: list[int] = []
    position = 0
    while position < len(counts):
        value, shift, more = 0, 0, True
        while more:
            code = ord(counts[position]) - 48
            value |= (code & 0x1F) << (5 * shift)
            more = bool(code & 0x20)
            position += 1
            shift += 1
            if not more and code & 0x10:
                value |= -1 << (5 * shift)
        if len(runs) > 2:
            value += runs[-2]
        runs.append(value)
    return runs


def encode(mask: np.ndarray) -> dict:
    """{"size": [H, W], "counts": str}, the COCO compressed RLE of a binary (H,W) mask."""
    return {"size": list(mask.shape), "counts": encode_counts(mask_to_runs(mask))}


def decode(rle: dict) -> np.ndarray:
    return runs_to_mask(decode_counts(rle["counts"]), tuple(rle["size"]))
