"""The paper's propagator: per object a tracker ROI, the 4-channel DeepLab, the eq. 1-3 merge.

One step for all objects of a frame: track, crop, one network batch, paste, merge.

Per object the tracker says where the object moved (optionally mixed with where the optical flow
of the previous mask's pixels says it went: TrackerConfig.flow_weight, mask_flow.py); the
previous mask's box says how big it is; their combination, enlarged, is the ROI. All ROIs go
through the network as one batch, each object's (object − background) score is pasted back
(−inf outside its ROI) and eq. 1-3 merge them so no pixel belongs to two objects.

Robustness: a tracker whose score drops, or whose box disagrees with the propagated mask, is
re-initialised from the mask's box. An object whose mask vanishes (occluded, out of frame) is
searched for where it was last seen whole, with that mask as the previous mask, in an ROI that
grows while it stays lost (up to RoiConfig.lost_max_growth), and is picked up again when the network finds
it there; its tracker rests meanwhile, since it would follow whatever now covers the object.
"Whole": an occluder eats a mask away before it vanishes, and the last sliver is a poor template
in the wrong place, so a mask that shrinks fast does not replace the whole one (WHOLE_SHARE).
"""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import cv2
import numpy as np

from trackprop.boxes import box_area, box_iou, center_size, corners, mask_box
from trackprop.colour_signature import BINS, colour_distance, colour_signature
from trackprop.config import RoiConfig, TrackerConfig
from trackprop.guided_scores import guided_scores
from trackprop.mask_flow import grey, mask_displacement
from trackprop.merge import object_scores, to_label_map
from trackprop.models.encoding import encode_input, mask_channel
from trackprop.models.runtime import Network
from trackprop.propagators.base import References
from trackprop.roi import crop_roi, expand_box, paste_roi, search_region
from trackprop.trackers import Tracker, make_tracker
from trackprop.trackers.ahead import AheadTracker

# The search ROI grows by this fraction of its side per lost frame (up to RoiConfig's limit).
LOST_GROWTH = 0.5
# A mask under this share of the object's last whole mask is the object partly hidden; it stays
# the template a lost object is searched with. After PARTIAL_LIMIT frames in a row the object has
# shrunk for good (it moved away) and its mask counts as whole again.
WHOLE_SHARE = 0.7
PARTIAL_LIMIT = 8
# A lost object re-found at more than this times its whole area is the background, and one whose
# colours are further than this from its whole mask's a look-alike (colour_signature.py): still lost.
REFOUND_MAX_AREA = 2.5
REFOUND_MAX_COLOUR_DISTANCE = 0.5


@dataclass
class ObjectTrack:
    """What propagation carries from frame to frame for one object."""

    object_id: int
    tracker: Tracker
    mask: np.ndarray  # (H,W) uint8 0/1, the object's mask in the previous frame
    last_box: np.ndarray | None = None  # box of the last non-empty mask
    last_mask: np.ndarray | None = None  # the last non-empty mask
    whole_mask: np.ndarray | None = None  # the last mask not eaten by an occluder: the template
    whole_area: int = 0
    # the frame's pixels and the mask in `whole_mask`'s box, read into `whole_colours` (its
    # colour_signature) only when a lost object's mask is checked: most objects never get lost
    whole_look: tuple[np.ndarray, np.ndarray] | None = None
    whole_colours: np.ndarray | None = None
    partial_frames: int = 0  # frames in a row whose mask was a part of `whole_mask`
    lost_frames: int = 0
    roi: np.ndarray = field(default_factory=lambda: np.zeros(4))
    previous_grey: np.ndarray | None = None  # the frame `mask` is in, grey, for the mask's flow
    memory: Any = (
        None  # what a memory propagator keeps of this object (annotated frames, recent ones)
    )


def seen_whole(track: ObjectTrack, frame: np.ndarray, mask: np.ndarray, box: np.ndarray) -> None:
    """`mask` (its box `box`, in `frame`) shows the whole object: the lost search's template."""
    x0, y0, x1, y1 = box.astype(int)
    look = frame[y0:y1, x0:x1].copy(), mask[y0:y1, x0:x1].copy()
    track.whole_mask, track.whole_area, track.partial_frames = mask, int(look[1].sum()), 0
    track.whole_look, track.whole_colours = look, None


def whole_colours(track: ObjectTrack) -> np.ndarray | None:
    """colour_signature of the track's whole mask; None where it is not known."""
    if track.whole_colours is None and track.whole_look is not None:
        track.whole_colours = colour_signature(*track.whole_look)
    return track.whole_colours


def shift_mask(mask: np.ndarray, source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """`mask` moved (translation and scale) so that box `source` lands on box `target`."""
    scale = np.sqrt(max(box_area(target), 1) / max(box_area(source), 1))
    center_s, center_t = center_size(source)[0], center_size(target)[0]
    matrix = np.array(
        [
            [scale, 0, center_t[0] - scale * center_s[0]],
            [0, scale, center_t[1] - scale * center_s[1]],
        ]
    )
    return cv2.warpAffine(mask, matrix, (mask.shape[1], mask.shape[0]), flags=cv2.INTER_NEAREST)


def union_of(areas: list[tuple[slice, slice]]) -> tuple[slice, slice] | None:
    """The smallest (rows, cols) window holding every non-empty area; None if all are empty."""
    areas = [(r, c) for r, c in areas if r.stop > r.start and c.stop > c.start]
    if not areas:
        return None
    return (
        slice(min(r.start for r, _ in areas), max(r.stop for r, _ in areas)),
        slice(min(c.start for _, c in areas), max(c.stop for _, c in areas)),
    )


def fitted_to_edges(
    frame: np.ndarray,
    labels: np.ndarray,
    pasted: list[tuple[np.ndarray, tuple[slice, slice]]],
    ids: list[int],
) -> np.ndarray:
    """The labels a frame reports: each object's mask fitted to the frame's edges in its ROI
    (guided_scores.py), shrinking to background or growing over background, never over another
    object. The tracks carry the network's own masks: fed forward, fitted masks drift."""
    reported = labels.copy()
    for object_id, (region, (rows, cols)) in zip(ids, pasted, strict=True):
        if not region.size:
            continue
        fitted = guided_scores(region, frame[rows, cols]) > 0
        window = reported[rows, cols]  # a view: written in place
        window[(window == object_id) & ~fitted] = 0
        window[(labels[rows, cols] == 0) & fitted] = object_id
    return reported


def tracker_disagrees(tracked: np.ndarray, box: np.ndarray, config: TrackerConfig) -> bool:
    """Does the tracker's box contradict the propagated mask's `box` (rule in TrackerConfig)?"""
    centred = corners(center_size(tracked)[0], center_size(box)[1])
    area_ratio = box_area(tracked) / box_area(box)
    limit = config.max_area_ratio
    return box_iou(centred, box) < config.min_box_iou or not 1 / limit <= area_ratio <= limit


class RoiTrackerPropagator:
    uses_references = False  # the paper's propagator reads only the previous frame
    network_name = "propagation"  # the shipped network it runs (trackprop/weights/<name>.pt)
    # The trackers' cheaper configuration (trackers/opencv.py): measured on val and calibration
    # videos, the paper's propagator gains J&F with it, the learned memory loses (README, "Speed").
    light_tracker = True

    def __init__(self, network: Network, roi: RoiConfig, tracking: TrackerConfig):
        self.network = network
        self.roi = replace(roi, size=network.size)  # the side the network was exported at
        self.tracking = tracking
        self.seconds: Counter[str] = Counter()  # time spent per phase, for the speed benchmark
        self._pool: ThreadPoolExecutor | None = None  # made when a frame has several objects
        # Where the trackers' early updates on the next frame run (trackers/ahead.py); a pool of
        # its own, since `_pool`'s re-initialisations wait for them.
        self._ahead_pool: ThreadPoolExecutor | None = None

    def start(
        self,
        frame: np.ndarray,
        labels: np.ndarray,
        object_ids: list[int],
        references: References,
    ) -> list[ObjectTrack]:
        """Tracks initialised from a frame's label map (an object absent there starts lost).

        The paper's propagator reads only the previous frame; a propagator with a memory keeps
        what `remember` takes from `references` (the user-annotated frames, label maps).
        """
        tracks = []
        frame_grey = self._grey(frame)
        for object_id in object_ids:
            mask = (labels == object_id).astype(np.uint8)
            track = ObjectTrack(object_id, self._tracker(), mask, previous_grey=frame_grey)
            box = mask_box(mask)
            if box is not None:
                track.tracker.init(frame, box)
                track.last_box, track.last_mask = box, mask
                seen_whole(track, frame, mask, box)
            else:
                track.lost_frames = 1
            track.memory = self.remember(references, object_id)
            tracks.append(track)
        return tracks

    def snapshot(self, tracks: list[ObjectTrack]) -> dict[str, np.ndarray]:
        """A pass's state as arrays (a keyframe a killed run can resume from)."""
        if not tracks:
            return {"ids": np.zeros(0, np.int64)}

        def box(value: np.ndarray | None) -> np.ndarray:
            return np.full(4, np.nan) if value is None else np.asarray(value, np.float64)

        return {
            "ids": np.array([t.object_id for t in tracks], np.int64),
            "masks": np.stack([t.mask for t in tracks]).astype(np.uint8),
            "last_masks": np.stack(
                [t.mask * 0 if t.last_mask is None else t.last_mask for t in tracks]
            ).astype(np.uint8),
            "whole_masks": np.stack(
                [t.mask * 0 if t.whole_mask is None else t.whole_mask for t in tracks]
            ).astype(np.uint8),
            "whole_colours": np.stack(  # zeros: not known
                [
                    np.zeros(BINS**3, np.float32) if whole_colours(t) is None else t.whole_colours
                    for t in tracks
                ]
            ),
            "partial": np.array([t.partial_frames for t in tracks], np.int64),
            "last_boxes": np.stack([box(t.last_box) for t in tracks]),
            "tracker_boxes": np.stack([box(t.tracker.box) for t in tracks]),
            "lost": np.array([t.lost_frames for t in tracks], np.int64),
        }

    def resume(
        self, frame: np.ndarray, state: dict[str, np.ndarray], references: References
    ) -> list[ObjectTrack]:
        """Tracks rebuilt from a `snapshot`: each tracker starts afresh on `frame` at its box.

        The uninterrupted run restarts its trackers the same way at every keyframe, so a resumed
        run gives exactly its result.
        """
        tracks = []
        frame_grey = self._grey(frame)
        for i, object_id in enumerate(state["ids"].tolist()):
            track = ObjectTrack(
                object_id, self._tracker(), state["masks"][i], previous_grey=frame_grey
            )
            track.lost_frames = int(state["lost"][i])
            if not np.isnan(state["last_boxes"][i]).any():
                track.last_box, track.last_mask = state["last_boxes"][i], state["last_masks"][i]
                # a keyframe written before the whole masks were kept (stop 53) resumes with
                # the last mask as the whole one and no colours to check a re-found mask by
                track.whole_mask = state.get("whole_masks", state["last_masks"])[i]
                track.whole_area = int(track.whole_mask.sum())
                colours = state.get("whole_colours", np.zeros((i + 1, BINS**3)))[i]
                track.whole_colours = colours if colours.any() else None
                track.partial_frames = int(state.get("partial", np.zeros(i + 1, int))[i])
                track.tracker.init(frame, state["tracker_boxes"][i])
            track.memory = self.remember(references, object_id)
            tracks.append(track)
        return tracks

    def _tracker(self) -> Tracker:
        tracker = make_tracker(self.tracking.name, light=self.light_tracker)
        if self.network.threads < 2 or tracker.whole_frame:
            return tracker  # one core: nothing to overlap with
        if self._ahead_pool is None:
            self._ahead_pool = ThreadPoolExecutor(self.network.threads, thread_name_prefix="ahead")
        return AheadTracker(tracker, self._ahead_pool)

    def remember(self, references: References, object_id: int) -> Any:
        """What this propagator keeps of the annotated frames for one object: nothing here."""
        return None

    def _grey(self, frame: np.ndarray) -> np.ndarray | None:
        """The frame in grey where the mask's flow moves the ROI (None where it does not)."""
        return grey(frame) if self.tracking.flow_weight else None

    def _region(
        self, track: ObjectTrack, frame: np.ndarray, frame_grey: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(ROI, previous-mask input) for one object in the current frame (`frame_grey`: the
        same frame in grey, for the mask's flow)."""
        height, width = frame.shape[:2]
        if track.tracker.whole_frame:
            full = np.array([0.0, 0.0, width, height])
            return expand_box(full, RoiConfig(enlarge=1.0, size=self.roi.size)), track.mask
        if track.last_box is None:  # never seen: nothing to look for
            return np.array([0.0, 0.0, 1.0, 1.0]), track.mask
        last_center, size = center_size(track.last_box)
        if self._tracking(track):
            box, score = track.tracker.update(frame)
            center = center_size(box)[0] if score >= self.tracking.min_score else last_center
            center = self._with_flow(center, last_center, track, frame_grey)
            return expand_box(corners(center, size), self.roi), track.mask
        whole = mask_box(track.whole_mask)
        found = self._find(track, frame)
        if found is not None:  # seen elsewhere in the frame: look there, at its whole size
            guess = corners(found, center_size(whole)[1])
            roi = expand_box(guess, self.roi)
        else:  # where it was last seen whole, at that size
            guess = whole
            growth = min(1 + LOST_GROWTH * track.lost_frames, self.roi.lost_max_growth)
            roi = search_region(guess, growth, self.roi, (height, width))
        return roi, shift_mask(track.whole_mask, whole, guess)

    def _with_flow(
        self,
        tracked: np.ndarray,
        last_center: np.ndarray,
        track: ObjectTrack,
        frame_grey: np.ndarray | None,
    ) -> np.ndarray:
        """The ROI centre: the tracker's `tracked` mixed (TrackerConfig.flow_weight) with the
        previous mask's centre moved by its pixels' optical flow. Each fails its own way (the
        tracker drifts with the background its box holds, the flow with an occluder passing over
        the mask)."""
        weight = self.tracking.flow_weight
        if not weight or frame_grey is None or track.previous_grey is None:
            return tracked
        moved = mask_displacement(track.previous_grey, frame_grey, track.mask, track.last_box)
        if moved is None:
            return tracked
        return (1 - weight) * np.asarray(tracked, float) + weight * (last_center + moved)

    @staticmethod
    def _tracking(track: ObjectTrack) -> bool:
        """Does the track's tracker follow its object (seen, not lost)?"""
        return track.last_box is not None and not track.lost_frames

    def _find(self, track: ObjectTrack, frame: np.ndarray) -> np.ndarray | None:
        """Where in the frame a lost object seems to be (centre), if this propagator can tell."""
        return None

    def step(
        self, frame: np.ndarray, tracks: list[ObjectTrack], upcoming: np.ndarray | None = None
    ) -> np.ndarray:
        """Propagate every track into `frame`; returns the (H,W) uint8 label map, fitted to the
        frame's edges (guided_scores.py), and updates the tracks with the network's own masks.

        `upcoming`, the next frame of the pass when the caller has it, lets the trackers start on
        it while the network runs on this one (trackers/ahead.py).
        """
        height, width = frame.shape[:2]
        labels = np.zeros((height, width), np.uint8)
        if not tracks:
            return labels
        clock = time.perf_counter()
        frame_grey = self._grey(frame)
        regions = self._each(lambda track: self._region(track, frame, frame_grey), tracks)
        # Only while the trackers leave a core free: with as many objects as threads they already
        # run side by side, and early updates then only contend with the network (measured:
        # 1 object 39-42 frames/s against 36, 4 objects 10.6-11.1 against 11.2-11.6).
        if upcoming is not None and len(tracks) < self.network.threads:
            for track in tracks:
                if isinstance(track.tracker, AheadTracker) and self._tracking(track):
                    track.tracker.update_early(upcoming)
        clock = self._lap("tracker", clock)
        images, previous = [], []
        for track, (roi, prev) in zip(tracks, regions, strict=True):
            track.roi = roi
            images.append(crop_roi(frame, roi, self.roi.size))
            previous.append(crop_roi(prev, roi, self.roi.size, nearest=True))
        inputs = self._inputs(np.stack(images), np.stack(previous), tracks)
        clock = self._lap("crop", clock)
        crops = object_scores(self.network.run(inputs))  # (N,S,S) object − background
        clock = self._lap("network", clock)
        crops = self._adjust(crops, np.stack(images), tracks)
        clock = self._lap("memory", clock)
        pasted = [
            paste_roi(c, t.roi, (height, width), fill=-np.inf)
            for c, t in zip(crops, tracks, strict=True)
        ]
        area = union_of([where for _, where in pasted])
        ids = [t.object_id for t in tracks]
        reported = labels
        if area is not None:  # outside every ROI all scores are −inf: background, not computed
            rows, cols = area
            scores = np.full(
                (len(tracks), rows.stop - rows.start, cols.stop - cols.start), -np.inf, np.float32
            )
            for i, (region, (r, c)) in enumerate(pasted):
                scores[
                    i,
                    r.start - rows.start : r.stop - rows.start,
                    c.start - cols.start : c.stop - cols.start,
                ] = region
            labels[area] = to_label_map(scores, ids)
            reported = fitted_to_edges(frame, labels, pasted, ids)
        clock = self._lap("merge", clock)
        masks = [(labels == track.object_id).astype(np.uint8) for track in tracks]
        for track, mask in zip(tracks, masks, strict=True):
            if mask.any() and not self._accept(track, mask, frame):
                labels[mask.astype(bool)] = 0  # not the object: it counts as lost
                reported[reported == track.object_id] = 0
                mask[:] = 0
            elif not mask.any():
                reported[reported == track.object_id] = 0  # lost by the network's own mask
        clock = self._lap("memory", clock)
        self._each(
            lambda pair: self._update(pair[0], frame, pair[1]),
            list(zip(tracks, masks, strict=True)),
        )
        for track in tracks:
            track.previous_grey = frame_grey
        self._lap("tracker", clock)  # re-initialisation is tracker work
        return reported

    def _each(self, work, items: list) -> list:
        """`work` on every item; on a thread per core when there are several (OpenCV and
        ONNX Runtime release the GIL, so one object's tracker runs beside another's)."""
        if len(items) < 2 or self.network.threads < 2:
            return [work(item) for item in items]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.network.threads, thread_name_prefix="tracks")
        return list(self._pool.map(work, items))

    def _inputs(
        self, images: np.ndarray, previous: np.ndarray, tracks: list[ObjectTrack]
    ) -> np.ndarray:
        """The network batch from the ROI crops (N,S,S,3) and previous masks (N,S,S)."""
        return encode_input(images, mask_channel(previous))

    def _adjust(
        self, scores: np.ndarray, images: np.ndarray, tracks: list[ObjectTrack]
    ) -> np.ndarray:
        """(N,S,S) scores of the ROI crops (N,S,S,3) before the merge; a memory corrects them."""
        return scores

    def _accept(self, track: ObjectTrack, mask: np.ndarray, frame: np.ndarray) -> bool:
        """Is the merged `mask` (in `frame`) the object? The paper's propagator tells only a
        lost object "found" many times its size (the network filled its search ROI with
        background) or in other colours (a look-alike)."""
        if not track.lost_frames or track.whole_mask is None:
            return True
        if mask.sum() > REFOUND_MAX_AREA * track.whole_area:
            return False
        colours = whole_colours(track)
        if colours is None:
            return True
        found = colour_signature(frame, mask)
        return colour_distance(colours, found) <= REFOUND_MAX_COLOUR_DISTANCE

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
        x0, y0, x1, y1 = box.astype(int)
        # a mask found again after a loss counts like any other: a sliver coming out stays a part
        if (
            track.whole_mask is None
            or mask[y0:y1, x0:x1].sum() >= WHOLE_SHARE * track.whole_area
            or track.partial_frames >= PARTIAL_LIMIT
        ):
            seen_whole(track, frame, mask, box)
        else:
            track.partial_frames += 1
        track.lost_frames = 0
        track.last_box, track.last_mask = box, mask
        if track.tracker.whole_frame:
            return
        if tracker_disagrees(track.tracker.box, box, self.tracking):
            track.tracker.init(frame, box)  # recover instead of drifting
