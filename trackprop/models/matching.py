"""Matching against a memory of annotated frames (FEELVOS-style), in numpy alone.

Feature cells are the frozen ImageNet extractor's stride-16 vectors (`features.py`), scaled to
unit length. An object's memory holds the cells of its annotated ROI crops that lie inside it
(object keys) and those clear of it, background and other objects (background keys). A cell's
matching score is its best cosine similarity to an object key minus its best to a background
key: positive where a crop looks like what the user called this object. The inference-time
propagators and the training of the network that reads this map share these functions, so both
see the same map.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from threadpoolctl import ThreadpoolController

INSIDE = 0.5  # a feature cell is an object key when this share of it is the object ...
OUTSIDE = 0.05  # ... and a background key when at most this share is
MAX_KEYS = 1024  # per object and kind: memory stays constant in the video's length
# numpy's BLAS runs even these small products on every core, and its idle threads then spin,
# taking the cores from ONNX Runtime's next run: on one thread the learned memory's network
# batch took 24 ms instead of 33 (README, "Speed").
BLAS = ThreadpoolController()


@dataclass
class ObjectMemory:
    object_keys: np.ndarray  # (K,C) unit vectors
    background_keys: np.ndarray  # (K',C) unit vectors


def unit_features(features: np.ndarray) -> np.ndarray:
    """(B,C,h,w) -> (B,h,w,C) with every cell's vector scaled to length 1."""
    cells = features.transpose(0, 2, 3, 1)
    return cells / (np.linalg.norm(cells, axis=-1, keepdims=True) + 1e-6)


def object_memory(cells: np.ndarray, masks: np.ndarray) -> ObjectMemory | None:
    """The memory of one object from its crops' cells (R,h,w,C) and 0/1 masks (R,S,S).

    None when the crops hold no cell inside the object or none clear of it.
    """
    side = cells.shape[1]
    share = np.stack(
        [
            cv2.resize(m.astype(np.float32), (side, side), interpolation=cv2.INTER_AREA)
            for m in masks
        ]
    ).reshape(-1)
    keys = cells.reshape(-1, cells.shape[-1])
    inside, outside = keys[share >= INSIDE], keys[share <= OUTSIDE]
    if not len(inside) or not len(outside):
        return None
    return ObjectMemory(inside[:MAX_KEYS], outside[:MAX_KEYS])


def joined(memories: list[ObjectMemory]) -> ObjectMemory:
    """One memory holding the keys of all `memories`."""
    return ObjectMemory(
        np.concatenate([m.object_keys for m in memories]),
        np.concatenate([m.background_keys for m in memories]),
    )


def matching_map(cells: np.ndarray, memory: ObjectMemory) -> np.ndarray:
    """(h,w) best object-key similarity minus best background-key similarity per cell."""
    flat = cells.reshape(-1, cells.shape[-1])
    with BLAS.limit(limits=1, user_api="blas"):
        best_object = (flat @ memory.object_keys.T).max(1)
        best_background = (flat @ memory.background_keys.T).max(1)
    return (best_object - best_background).reshape(cells.shape[:2])


def matching_channel(cells: np.ndarray, memory: ObjectMemory | None, size: int) -> np.ndarray:
    """The (size,size) float32 map a memory-reading network takes: 0 where nothing is known."""
    if memory is None:
        return np.zeros((size, size), np.float32)
    match = matching_map(cells, memory).astype(np.float32)
    return cv2.resize(match, (size, size), interpolation=cv2.INTER_LINEAR)
