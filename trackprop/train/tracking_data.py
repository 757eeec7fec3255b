"""Box pairs for the learned trackers, from composited videos (DAVIS format).

A pair is a reference frame with one object's box and a test frame up to `max_gap` frames away
with the same object's box. A negative pair puts a different object in the test frame instead:
another object of the same video when there is one (the distractors DaSiamRPN is trained to
reject), else an object of another video.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trackprop.boxes import mask_box
from trackprop.train.propagation_data import VideoStore

MIN_SIDE = 8  # boxes smaller than this (objects leaving the frame) are not trained on


@dataclass(frozen=True)
class TrackPair:
    reference: np.ndarray  # (H,W,3) uint8
    reference_box: np.ndarray  # (4,) x0, y0, x1, y1
    test: np.ndarray
    test_box: np.ndarray  # the object's box, or the other object's for a negative pair
    negative: bool


def object_box(store: VideoStore, video: int, t: int, obj: int) -> np.ndarray | None:
    box = mask_box(store.label_map(video, t) == obj)
    if box is None or min(box[2] - box[0], box[3] - box[1]) < MIN_SIDE:
        return None
    return box


def other_object(
    store: VideoStore, rng: np.random.Generator, video: int, t: int, obj: int
) -> tuple[int, int, int]:
    others = [int(o) for o in np.unique(store.label_map(video, t)) if o not in (0, obj)]
    if others:
        return video, t, int(rng.choice(others))
    return store.index[rng.integers(len(store.index))]


def sample_track_pair(
    store: VideoStore, rng: np.random.Generator, max_gap: int, negative_probability: float = 0.0
) -> TrackPair:
    while True:
        video, t, obj = store.index[rng.integers(len(store.index))]
        reference_box = object_box(store, video, t, obj)
        if reference_box is None:
            continue
        count = store.labels[video].num_frames
        t_test = int(np.clip(t + rng.integers(-max_gap, max_gap + 1), 0, count - 1))
        negative = rng.random() < negative_probability
        test_video, test_t, test_obj = (
            other_object(store, rng, video, t_test, obj) if negative else (video, t_test, obj)
        )
        test_box = object_box(store, test_video, test_t, test_obj)
        if test_box is None:
            continue
        return TrackPair(
            store.frame(video, t),
            reference_box,
            store.frame(test_video, test_t),
            test_box,
            negative,
        )
