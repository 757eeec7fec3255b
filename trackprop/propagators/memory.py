"""The paper's propagator plus a memory of what the user annotated (FEELVOS-style matching).

Per object, the annotated frames' ROI crops (cut by the propagation ROI rule around the object)
go through a frozen ImageNet feature extractor (stride 16); the unit feature vectors of cells
inside the object become its object keys, those of cells clear of it (background and other
objects) its background keys. At every propagated frame the same extractor reads each object's
ROI crop, and each cell's matching score is (best cosine similarity to an object key) − (best to
a background key): positive where the crop looks like what the user called this object. Scaled
by `weight` and upsampled, it is added to the network's (object − background) score before the
eq. 1-3 merge, so an error carried in the previous mask is pulled back towards the annotation
instead of being propagated, while the network keeps the boundaries. The same map checks each
merged mask: one that vanished or hardly matches the annotation is dropped and the object counts
as lost. A lost object (occluded, out of frame) is looked for in the whole frame by the same
matching, so it is found again where it reappears, not only near where the tracker last saw it.
The learned memory also remembers, beside the annotated frames' keys, those of each object's last
few propagated frames whose masks matched the annotation well (XMem's working memory, in small):
the object as it looks now, turned, scaled or differently lit, which the annotated frames do not
show.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import cv2
import numpy as np

from trackprop.boxes import center_size
from trackprop.config import RoiConfig, TrackerConfig
from trackprop.models.encoding import encode_input, mask_channel
from trackprop.models.matching import (
    ObjectMemory,
    joined,
    matching_channel,
    matching_map,
    object_memory,
    unit_features,
)
from trackprop.models.runtime import Network, OnnxNetwork, imagenet_features
from trackprop.propagators.base import References
from trackprop.propagators.roi_tracker import ObjectTrack, RoiTrackerPropagator
from trackprop.roi import crop_roi, object_crop

FIND_MAX_SIDE = 640  # a lost object is searched for in the frame scaled to at most this side
# While an object stays lost it is searched for on its first lost frame and then every
# FIND_EVERY frames: the search runs the feature extractor over the whole frame, and an object
# absent for long (out of the shot) would otherwise pay it on every frame (README, "Learned memory").
FIND_EVERY = 4
STRIDE = 16  # of the feature extractor
# A mask that fell below this share of the object's last area in one frame counts as lost: the
# hand-fused matching suppresses a wrong region to a few pixels, which must not block the search.
VANISHED = 0.1
# The memory's check: at least this share of a mask's pixels must match the annotation
# better than its surroundings. Chosen with benchmarks.quality on the val videos (README,
# "Learned memory"): 0.2 gave J&F 0.682, 0.25 gave 0.665, no check 0.645.
MIN_MATCHING_SHARE = 0.2
# Every REMEMBER_EVERY-th accepted mask of an object whose matching share is at least
# REMEMBER_SHARE (a mask the check is sure of: right masks have a median share of 0.85, wrong
# ones 0.46, benchmarks/results/lost_objects.md) adds its frame's keys to the object's memory,
# which keeps the last RECENT_FRAMES of them. Chosen with benchmarks.quality (README, "Learned
# memory"): 5 / 0.6 / 4 gave J&F 0.738 against 0.724 without on the val videos, 0.768 against
# 0.734 on the calibration ones; remembering more often (3 / 0.5 / 6) drifted: 0.699 on val.
REMEMBER_EVERY = 5
REMEMBER_SHARE = 0.6
RECENT_FRAMES = 4


@dataclass
class Recollection:
    """What a memory propagator keeps of one object over a pass."""

    annotated: ObjectMemory  # keys of the user-annotated frames, kept for the whole pass
    recent: deque[ObjectMemory] = field(default_factory=lambda: deque(maxlen=RECENT_FRAMES))
    accepted: int = 0  # masks of this object the check accepted so far
    keys: ObjectMemory = field(init=False)  # annotated and recent joined: what matching reads

    def __post_init__(self):
        self.keys = self.annotated

    def add(self, memory: ObjectMemory) -> None:
        self.recent.append(memory)
        self.keys = joined([self.annotated, *self.recent])


class MemoryPropagator(RoiTrackerPropagator):
    uses_references = True
    light_tracker = False  # full CSRT: the learned memory lost 0.02 J&F with the light one
    # Recent frames' keys (Recollection) help the learned memory and hurt the hand-fused one,
    # whose fixed weight then adds its own errors back (val20 J&F 0.613 with them, 0.640 without).
    remembers_recent = False

    def __init__(
        self,
        network: Network,
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
        self._maps: dict[int, np.ndarray] = {}  # this frame's matching map per object (ROI crop)
        self._crop_cells: dict[int, np.ndarray] = {}  # this frame's ROI crop cells per object

    def _cells(self, images: np.ndarray) -> np.ndarray:
        return unit_features(self.features.run(encode_input(images)))

    def remember(self, references: References, object_id: int) -> Recollection | None:
        """Keys of one object from the annotated frames that show it (None if none does)."""
        cut = [object_crop(image, labels == object_id, self.roi) for image, labels in references]
        cut = [pair for pair in cut if pair is not None]
        if not cut:
            return None
        crops, masks = zip(*cut, strict=True)
        memory = object_memory(self._cells(np.stack(crops)), np.stack(masks))
        return None if memory is None else Recollection(memory)

    def _find(self, track: ObjectTrack, frame: np.ndarray) -> np.ndarray | None:
        """Centre of the frame's cell that best matches a lost object's memory, if any matches.

        The frame is scaled so the object appears about as large as in its ROI crops (capped at
        FIND_MAX_SIDE), matched cell by cell; the network, run on an ROI there, decides whether
        the object really is back.
        """
        if track.memory is None or (track.lost_frames - 1) % FIND_EVERY:
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
        match = matching_map(self._cells(scaled[None])[0], track.memory.keys)
        row, col = np.unravel_index(int(np.argmax(match)), match.shape)
        if match[row, col] <= 0:  # nowhere more like the object than like its surroundings
            return None
        return np.array(
            [(col + 0.5) * width / match.shape[1], (row + 0.5) * height / match.shape[0]]
        )

    def _adjust(
        self, scores: np.ndarray, images: np.ndarray, tracks: list[ObjectTrack]
    ) -> np.ndarray:
        return scores + self.weight * self._matching(images, tracks)

    def _matching(self, images: np.ndarray, tracks: list[ObjectTrack]) -> np.ndarray:
        """(N,S,S) float32 matching maps of the ROI crops (N,S,S,3), 0 for an object without
        memory (its crop is not run through the feature extractor); the maps and the crops'
        feature cells are kept for the check and for remembering the frame."""
        size = images.shape[1]
        remembered = [i for i, track in enumerate(tracks) if track.memory is not None]
        match = np.zeros((len(tracks), size, size), np.float32)
        self._crop_cells = {}
        if remembered:
            cells = self._cells(images[remembered])
            for i, object_cells in zip(remembered, cells, strict=True):
                match[i] = matching_channel(object_cells, tracks[i].memory.keys, size)
                self._crop_cells[tracks[i].object_id] = object_cells
        self._maps = {track.object_id: m for track, m in zip(tracks, match, strict=True)}
        return match

    def matching_share(self, track: ObjectTrack, mask: np.ndarray) -> float:
        """Share of the merged `mask`'s pixels in this frame's ROI crop that match the
        annotated object better than its surroundings (0 for a mask outside the crop)."""
        inside = crop_roi(mask, track.roi, self.roi.size, nearest=True).astype(bool)
        if not inside.any():
            return 0.0
        return float((self._maps[track.object_id][inside] > 0).mean())

    def _accept(self, track: ObjectTrack, mask: np.ndarray, frame: np.ndarray) -> bool:
        """A mask that hardly matches the annotation (the network held on to an occluder, or
        the matching suppressed a wrong region to a few pixels) is not the object: it is
        dropped, the object counts as lost and the search looks for it."""
        if track.memory is None:
            return True
        if track.last_mask is not None and mask.sum() < VANISHED * track.last_mask.sum():
            return False
        share = self.matching_share(track, mask)
        if share < MIN_MATCHING_SHARE:
            return False
        track.memory.accepted += 1
        if (
            self.remembers_recent
            and track.memory.accepted % REMEMBER_EVERY == 0
            and share >= REMEMBER_SHARE
        ):
            self._remember_frame(track, mask)
        return True

    def _remember_frame(self, track: ObjectTrack, mask: np.ndarray) -> None:
        """Adds this frame's keys (its ROI crop, cut by the merged `mask`) to the object's memory."""
        inside = crop_roi(mask, track.roi, self.roi.size, nearest=True)
        memory = object_memory(self._crop_cells[track.object_id][None], inside[None])
        if memory is not None:
            track.memory.add(memory)


class LearnedMemoryPropagator(MemoryPropagator):
    """The matching map as the network's fifth input channel, beside the previous mask.

    Its network was trained with the map (`trackprop train propagation --memory`), so it learns
    when to trust the annotation over a previous mask that carries an error, instead of a fixed
    weight adding the two. The same map then checks the result: a mask of which less than
    MIN_MATCHING_SHARE matches the annotation (the object passed behind an occluder, and the
    network holds on to what is in front) is dropped, the object counts as lost, and the
    whole-frame search looks for it at its last verified size (README, "Learned memory").
    """

    network_name = "propagation_memory"
    remembers_recent = True

    def __init__(self, network, roi, tracking, features=None):
        super().__init__(network, roi, tracking, features, weight=0.0)

    def _inputs(
        self, images: np.ndarray, previous: np.ndarray, tracks: list[ObjectTrack]
    ) -> np.ndarray:
        return encode_input(images, mask_channel(previous), self._matching(images, tracks))

    def _adjust(
        self, scores: np.ndarray, images: np.ndarray, tracks: list[ObjectTrack]
    ) -> np.ndarray:
        return scores  # the network has read the map already
