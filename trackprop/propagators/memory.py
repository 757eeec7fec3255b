"""The paper's propagator plus a memory of what the user annotated (FEELVOS-style matching).

Per object, the annotated frames' ROI crops (cut by the propagation ROI rule around the object)
go through a frozen ImageNet feature extractor (stride 16); the unit feature vectors of cells
inside the object become its object keys, those of cells clear of it (background and other
objects) its background keys. At every propagated frame the same extractor reads each object's
ROI crop, and each cell's matching score is (best cosine similarity to an object key) − (best to
a background key): positive where the crop looks like what the user called this object. Scaled
by `weight` and upsampled, it is added to the network's (object − background) score before the
eq. 1-3 merge, so an error carried in the previous mask is pulled back towards the annotation
instead of being propagated, while the network keeps the boundaries.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from trackprop.boxes import mask_box
from trackprop.config import RoiConfig, TrackerConfig
from trackprop.models.encoding import encode_input
from trackprop.models.runtime import OnnxNetwork, imagenet_features
from trackprop.propagators.base import References
from trackprop.propagators.roi_tracker import ObjectTrack, RoiTrackerPropagator
from trackprop.roi import crop_roi, expand_box

INSIDE = 0.5  # a feature cell is an object key when this share of it is the object ...
OUTSIDE = 0.05  # ... and a background key when at most this share is
MAX_KEYS = 1024  # per object and kind: memory stays constant in the video's length


@dataclass
class ObjectMemory:
    object_keys: np.ndarray  # (K,C) unit vectors
    background_keys: np.ndarray  # (K',C) unit vectors


def unit_features(features: np.ndarray) -> np.ndarray:
    """(B,C,h,w) -> (B,h,w,C) with every cell's vector scaled to length 1."""
    cells = features.transpose(0, 2, 3, 1)
    return cells / (np.linalg.norm(cells, axis=-1, keepdims=True) + 1e-6)


def matching_map(cells: np.ndarray, memory: ObjectMemory) -> np.ndarray:
    """(h,w) best object-key similarity minus best background-key similarity per cell."""
    flat = cells.reshape(-1, cells.shape[-1])
    best_object = (flat @ memory.object_keys.T).max(1)
    best_background = (flat @ memory.background_keys.T).max(1)
    return (best_object - best_background).reshape(cells.shape[:2])


class MemoryPropagator(RoiTrackerPropagator):
    uses_references = True

    def __init__(
        self,
        network: OnnxNetwork,
        roi: RoiConfig,
        tracking: TrackerConfig,
        features: OnnxNetwork | None = None,
        weight: float = 8.0,
    ):
        super().__init__(network, roi, tracking)
        threads = network.session.get_session_options().intra_op_num_threads
        self.features = features or OnnxNetwork(imagenet_features(self.roi.size), threads)
        self.weight = weight  # logits per unit of matching score (chosen by measurement: README)

    def _cells(self, images: np.ndarray) -> np.ndarray:
        return unit_features(self.features.run(encode_input(images)))

    def remember(self, references: References, object_id: int) -> ObjectMemory | None:
        """Keys of one object from the annotated frames that show it (None if none does)."""
        crops, masks = [], []
        for image, labels in references:
            mask = (labels == object_id).astype(np.uint8)
            box = mask_box(mask)
            if box is None:
                continue
            roi = expand_box(box, self.roi)
            crops.append(crop_roi(image, roi, self.roi.size))
            masks.append(crop_roi(mask, roi, self.roi.size, nearest=True).astype(np.float32))
        if not crops:
            return None
        cells = self._cells(np.stack(crops))  # (R,h,w,C)
        side = cells.shape[1]
        share = np.stack([cv2.resize(m, (side, side), interpolation=cv2.INTER_AREA) for m in masks])
        keys = cells.reshape(-1, cells.shape[-1])
        share = share.reshape(-1)
        inside, outside = keys[share >= INSIDE], keys[share <= OUTSIDE]
        if not len(inside) or not len(outside):
            return None
        return ObjectMemory(inside[:MAX_KEYS], outside[:MAX_KEYS])

    def _adjust(
        self, scores: np.ndarray, images: np.ndarray, tracks: list[ObjectTrack]
    ) -> np.ndarray:
        remembered = [i for i, track in enumerate(tracks) if track.memory is not None]
        if not remembered or self.weight == 0:
            return scores
        cells = self._cells(images[remembered])
        size = scores.shape[-1]
        for i, object_cells in zip(remembered, cells, strict=True):
            match = matching_map(object_cells, tracks[i].memory).astype(np.float32)
            scores[i] += self.weight * cv2.resize(
                match, (size, size), interpolation=cv2.INTER_LINEAR
            )
        return scores
