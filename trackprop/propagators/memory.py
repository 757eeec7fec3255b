"""The paper's propagator plus a memory of what the user annotated (FEELVOS-style matching).

Per object, the annotated frames' ROI crops (cut by the propagation ROI rule around the object)
go through a frozen ImageNet feature extractor (stride 16); the unit feature vectors of cells
inside the object become its object keys, those of cells clear of it (background and other
objects) its background keys. At every propagated frame the same extractor reads each object's
ROI crop, and each cell's matching score is (best cosine similarity to an object key) − (best to
a background key): positive where the crop looks like what the user called this object. Scaled
by `weight` and upsampled, it is added to the network's (object − background) score before the
eq. 1-3 merge, so an error carried in the previous mask is pulled back towards the annotation
instead of being propagated, while the network keeps the boundaries. An object that was lost
(occluded, out of frame) is looked for in the whole frame by the same matching, so it is found
again where it reappears, not only near where the tracker last saw it.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from trackprop.boxes import center_size, mask_box
from trackprop.config import RoiConfig, TrackerConfig
from trackprop.models.encoding import encode_input
from trackprop.models.runtime import OnnxNetwork, imagenet_features
from trackprop.propagators.base import References
from trackprop.propagators.roi_tracker import ObjectTrack, RoiTrackerPropagator
from trackprop.roi import crop_roi, expand_box

INSIDE = 0.5  # a feature cell is an object key when this share of it is the object ...
OUTSIDE = 0.05  # ... and a background key when at most this share is
MAX_KEYS = 1024  # per object and kind: memory stays constant in the video's length
FIND_MAX_SIDE = 640  # a lost object is searched for in the frame scaled to at most this side
STRIDE = 16  # of the feature extractor
# A mask that fell below this share of the object's last area in one frame counts as lost: the
# matching suppresses a wrong region to a few pixels, which must not block the search.
VANISHED = 0.1


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
        weight: float = 32.0,
    ):
        super().__init__(network, roi, tracking)
        self.features = features or OnnxNetwork(
            imagenet_features(), network.threads, network.device
        )
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

    def _find(self, track: ObjectTrack, frame: np.ndarray) -> np.ndarray | None:
        """Centre of the frame's cell that best matches a lost object's memory, if any matches.

        The frame is scaled so the object appears about as large as in its ROI crops (capped at
        FIND_MAX_SIDE), matched cell by cell; the network, run on an ROI there, decides whether
        the object really is back.
        """
        if track.memory is None:
            return None
        height, width = frame.shape[:2]
        object_side = max(center_size(track.last_box)[1].max(), 1.0)
        crop_side = self.roi.size / self.roi.enlarge  # the object's side in its ROI crops
        scale = min(crop_side / object_side, FIND_MAX_SIDE / max(height, width))
        size = (
            max(int(width * scale) // STRIDE, 1) * STRIDE,
            max(int(height * scale) // STRIDE, 1) * STRIDE,
        )
        scaled = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
        match = matching_map(self._cells(scaled[None])[0], track.memory)
        row, col = np.unravel_index(int(np.argmax(match)), match.shape)
        if match[row, col] <= 0:  # nowhere more like the object than like its surroundings
            return None
        return np.array(
            [(col + 0.5) * width / match.shape[1], (row + 0.5) * height / match.shape[0]]
        )

    def _update(self, track: ObjectTrack, frame: np.ndarray, mask: np.ndarray) -> None:
        if (
            track.memory is not None
            and track.last_mask is not None
            and mask.sum() < VANISHED * track.last_mask.sum()
        ):
            track.mask = mask
            track.lost_frames += 1
            return
        super()._update(track, frame, mask)

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
