"""One propagation step for all objects of a frame: track, crop, one network batch, paste, merge.

Per object the tracker says where the object moved; the previous mask's box says how big it is;
their combination, enlarged, is the ROI. All ROIs go through the network as one batch, each
object's (object − background) score is pasted back (−inf outside its ROI) and eq. 1-3 merge
them so no pixel belongs to two objects.

Robustness: a tracker whose score drops, or whose box disagrees with the propagated mask, is
re-initialised from the mask's box. An object whose mask vanishes (occluded, out of frame) is
searched for around the tracker's box with its last seen mask as the previous mask, in an ROI
that grows while it stays lost, and is picked up again when the network finds it there.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

import cv2
import numpy as np

from trackprop.config import RoiConfig, TrackerConfig
from trackprop.merge import object_scores, to_label_map
from trackprop.models.networks import encode_input, mask_channel
from trackprop.models.runtime import OnnxNetwork
from trackprop.roi import crop_roi, expand_box, paste_roi
from trackprop.trackers import Tracker, box_iou, make_tracker
from trackprop.trackers.none import WholeFrame
from trackprop.train.augment import mask_box

LOST_GROWTH = 0.5  # the search ROI grows by this fraction of its side per lost frame


@dataclass
class ObjectTrack:
    """What propagation carries from frame to frame for one object."""

    object_id: int
    tracker: Tracker
    mask: np.ndarray  # (H,W) uint8 0/1, the object's mask in the previous frame
    last_box: np.ndarray | None = None  # box of the last non-empty mask
    last_mask: np.ndarray | None = None  # the last non-empty mask, as a search template
    lost_frames: int = 0
    roi: np.ndarray = field(default_factory=lambda: np.zeros(4))


def start_tracks(
    frame: np.ndarray, labels: np.ndarray, object_ids: list[int], tracker: str
) -> list[ObjectTrack]:
    """Tracks initialised from a frame's label map (an object absent there starts lost)."""
    tracks = []
    for object_id in object_ids:
        mask = (labels == object_id).astype(np.uint8)
        track = ObjectTrack(object_id, make_tracker(tracker), mask)
        box = mask_box(mask)
        if box is not None:
            track.tracker.init(frame, box)
            track.last_box, track.last_mask = box, mask
        else:
            track.lost_frames = 1
        tracks.append(track)
    return tracks


def shift_mask(mask: np.ndarray, source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """`mask` moved (translation and scale) so that box `source` lands on box `target`."""
    scale = np.sqrt(
        max(np.prod(target[2:] - target[:2]), 1) / max(np.prod(source[2:] - source[:2]), 1)
    )
    center_s, center_t = (source[:2] + source[2:]) / 2, (target[:2] + target[2:]) / 2
    matrix = np.array(
        [
            [scale, 0, center_t[0] - scale * center_s[0]],
            [0, scale, center_t[1] - scale * center_s[1]],
        ]
    )
    return cv2.warpAffine(mask, matrix, (mask.shape[1], mask.shape[0]), flags=cv2.INTER_NEAREST)


def tracker_disagrees(tracked: np.ndarray, box: np.ndarray, config: TrackerConfig) -> bool:
    """Does the tracker's box contradict the propagated mask's `box` (rule in TrackerConfig)?"""
    size = box[2:] - box[:2]
    center = (tracked[:2] + tracked[2:]) / 2
    centred = np.concatenate([center - size / 2, center + size / 2])
    area_ratio = np.prod(tracked[2:] - tracked[:2]) / np.prod(size)
    limit = config.max_area_ratio
    return box_iou(centred, box) < config.min_box_iou or not 1 / limit <= area_ratio <= limit


class Propagator:
    def __init__(self, network: OnnxNetwork, roi: RoiConfig, tracking: TrackerConfig):
        self.network = network
        self.roi = RoiConfig(enlarge=roi.enlarge, size=network.size, min_side=roi.min_side)
        self.tracking = tracking
        self.seconds: Counter[str] = Counter()  # time spent per phase, for the speed benchmark

    def _region(self, track: ObjectTrack, frame: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(ROI, previous-mask input) for one object in the current frame."""
        height, width = frame.shape[:2]
        if isinstance(track.tracker, WholeFrame):
            full = np.array([0.0, 0.0, width, height])
            return expand_box(full, RoiConfig(enlarge=1.0, size=self.roi.size)), track.mask
        box, score = track.tracker.update(frame)
        if track.last_box is None:  # never seen: nothing to look for
            return np.array([0.0, 0.0, 1.0, 1.0]), track.mask
        size = track.last_box[2:] - track.last_box[:2]
        center = (
            (box[:2] + box[2:]) / 2
            if score >= self.tracking.min_score
            else (track.last_box[:2] + track.last_box[2:]) / 2
        )
        guess = np.concatenate([center - size / 2, center + size / 2])
        previous = track.mask
        roi = expand_box(guess, self.roi)
        if track.lost_frames:
            previous = shift_mask(track.last_mask, track.last_box, guess)
            grow = 1 + LOST_GROWTH * track.lost_frames
            side = min((roi[2] - roi[0]) * grow, max(width, height) * 1.2)
            roi = np.concatenate([center - side / 2, center + side / 2])
        return roi, previous

    def step(self, frame: np.ndarray, tracks: list[ObjectTrack]) -> np.ndarray:
        """Propagate every track into `frame`; returns the (H,W) uint8 label map and updates tracks."""
        height, width = frame.shape[:2]
        if not tracks:
            return np.zeros((height, width), np.uint8)
        clock = time.perf_counter()
        regions = [self._region(track, frame) for track in tracks]
        clock = self._lap("tracker", clock)
        images, previous = [], []
        for track, (roi, prev) in zip(tracks, regions, strict=True):
            track.roi = roi
            images.append(crop_roi(frame, roi, self.roi.size))
            previous.append(crop_roi(prev, roi, self.roi.size, nearest=True))
        inputs = encode_input(np.stack(images), mask_channel(np.stack(previous)))
        clock = self._lap("crop", clock)
        logits = self.network.run(inputs)
        clock = self._lap("network", clock)
        crops = object_scores(logits)  # (N,S,S) object − background
        scores = np.full((len(tracks), height, width), -np.inf, np.float32)
        for i, track in enumerate(tracks):
            region, (rows, cols) = paste_roi(crops[i], track.roi, (height, width), fill=-np.inf)
            scores[i, rows, cols] = region
        labels = to_label_map(scores, [t.object_id for t in tracks])
        clock = self._lap("merge", clock)
        for track in tracks:
            self._update(track, frame, (labels == track.object_id).astype(np.uint8))
        self._lap("tracker", clock)  # re-initialisation is tracker work
        return labels

    def _lap(self, phase: str, since: float) -> float:
        now = time.perf_counter()
        self.seconds[phase] += now - since
        return now

    def _update(self, track: ObjectTrack, frame: np.ndarray, mask: np.ndarray) -> None:
        track.mask = mask
        box = mask_box(mask)
        if box is None:
            track.lost_frames += 1
            return
        track.lost_frames = 0
        track.last_box, track.last_mask = box, mask
        if isinstance(track.tracker, WholeFrame):
            return
        tracked = getattr(track.tracker, "box", None)
        if tracked is None or tracker_disagrees(tracked, box, self.tracking):
            track.tracker.init(frame, box)  # recover instead of drifting
