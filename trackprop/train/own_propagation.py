"""Propagation samples from the shipped propagator's own errors (RITM's iterative training,
applied to propagation).

The made-up previous masks of `cut_pair` (affine moves, ellipses, a grown neighbour) are blobs;
the errors that cost J&F on held-out videos are the propagator's own: a mask that slides onto a
neighbour over several frames while the tracker follows it, a ROI that lags behind a fast object.
Here the shipped paper's propagator starts from a ground-truth label map a few frames away and
runs, with every object of the video and its tracker, up to the sample's frame; the sample is
that frame cut at the ROI the propagator chose, with the mask it carried there as the previous
mask and the ground truth as the target.
"""

from __future__ import annotations

import numpy as np

from trackprop.config import RoiConfig, TrackerConfig
from trackprop.models.runtime import OnnxNetwork, shipped
from trackprop.propagators.roi_tracker import RoiTrackerPropagator
from trackprop.train.propagation_data import Item, Pair, VideoStore, cut_at

OWN_STEPS = (1, 5)  # frames propagated before the sample's (more cost more sampling time)
OWN_TRACKER = "csrt"  # the default tracker, whose ROIs the network meets at run time


class OwnPropagation:
    def __init__(self, roi: RoiConfig) -> None:
        network = OnnxNetwork(shipped("propagation"), threads=1)
        self.propagator = RoiTrackerPropagator(network, roi, TrackerConfig(OWN_TRACKER))
        self.roi = roi  # the side of the network being trained, which may differ

    def pair(self, store: VideoStore, item: Item, rng: np.random.Generator) -> Pair | None:
        """The item's sample, or None when no start frame a few frames away shows the object."""
        v, t, obj = item
        steps = int(rng.integers(OWN_STEPS[0], OWN_STEPS[1] + 1))
        directions = [1, -1] if rng.random() < 0.5 else [-1, 1]
        starts = [t - d * steps for d in directions]
        count = store.labels[v].num_frames
        start = next((s for s in starts if 0 <= s < count), None)
        if start is None:
            return None
        labels = store.label_map(v, start)
        if not (labels == obj).any():
            return None
        ids = [int(k) for k in np.unique(labels) if k]
        tracks = self.propagator.start(store.frame(v, start), labels, ids, [])
        direction = 1 if t > start else -1
        for u in range(start + direction, t, direction):
            self.propagator.step(store.frame(v, u), tracks)
        [track] = [track for track in tracks if track.object_id == obj]
        if track.lost_frames:
            return None  # searched for, not propagated: cut_pair's hidden samples cover it
        previous = track.mask.copy()
        frame = store.frame(v, t)
        self.propagator.step(frame, tracks)  # only for the ROI it chooses at t
        target = (store.label_map(v, t) == obj).astype(np.uint8)
        return cut_at(frame, previous, target, track.roi, rng, self.roi)
