"""Clicks the networks ignore are honoured on the region of like colour; a frame's earlier clicks
are read with each new one, and undo, other prompts and object removal keep that record true."""

import numpy as np

from trackprop.click_honour import honour_clicks
from trackprop.prompts import CLICK_RADIUS
from trackprop.session import Session


def scene() -> np.ndarray:
    """(1,80,120,3) frames: grey ground, a red square at rows/cols 20-40, a green one at 50-70."""
    frame = np.full((80, 120, 3), 100, np.uint8)
    frame[20:40, 20:40] = (200, 30, 30)
    frame[50:70, 70:90] = (30, 200, 30)
    return frame[None]


class IgnoresPrompts:
    """A stand-in interaction network that changes nothing and records what it was shown."""

    def __init__(self):
        self.shown = []

    def segment(self, frame, strokes, touched, labels):
        self.shown.append({k: v.copy() for k, v in strokes.items()})
        return labels.copy()


def test_an_ignored_negative_click_removes_the_region_of_its_colour():
    frames = scene()
    labels = np.zeros(frames.shape[1:3], np.uint8)
    labels[15:45, 15:60] = 1  # the red square and grey ground beside it
    after = honour_clicks(frames[0], labels, {1: [(30.0, 30.0, False)]})
    # the red square left the object (but its one-pixel rim, which the blur mixed with grey)
    assert not after[21:39, 21:39].any() and after[15:45, 45:60].all()  # the grey part stayed


def test_an_ignored_positive_click_adds_the_region_of_its_colour():
    frames = scene()
    labels = np.zeros(frames.shape[1:3], np.uint8)
    labels[10:75, 5:100][labels[10:75, 5:100] == 0] = 1  # a big object of grey ground ...
    labels[50:70, 70:90] = 0  # ... that misses the green square
    after = honour_clicks(frames[0], labels, {1: [(80.0, 60.0, True)]})
    assert (after[51:69, 71:89] == 1).all()


def test_a_fill_larger_than_half_the_object_changes_only_the_clicked_disk():
    frames = scene()
    labels = np.zeros(frames.shape[1:3], np.uint8)
    labels[20:40, 20:40] = 1  # the red square; the click lands on the grey ground far away
    after = honour_clicks(frames[0], labels, {1: [(100.0, 10.0, True)]})
    added = (after == 1) & (labels == 0)
    assert added[10, 100] and added.sum() <= np.pi * (CLICK_RADIUS + 1) ** 2
    assert np.array_equal(after[20:40, 20:40], labels[20:40, 20:40])


def test_a_click_already_honoured_changes_nothing():
    frames = scene()
    labels = np.zeros(frames.shape[1:3], np.uint8)
    labels[20:40, 20:40] = 1
    clicks = {1: [(30.0, 30.0, True), (100.0, 70.0, False)]}
    assert np.array_equal(honour_clicks(frames[0], labels, clicks), labels)


def test_each_click_is_read_with_the_earlier_ones_of_its_frame_until_they_no_longer_hold():
    frames = np.repeat(scene(), 2, axis=0)
    network = IgnoresPrompts()
    session = Session(frames, interactor=network)
    start = np.zeros(frames.shape[1:3], np.uint8)
    start[20:40, 20:40] = 1
    session.interact(0, masks=start)
    session.interact(0, clicks={1: [(30, 30, True)]})
    undo = session.snapshot()
    session.interact(0, clicks={1: [(36, 36, False)]})
    shown = network.shown[-1]
    assert shown[1][26, 26] and shown[0][40, 40]  # the earlier positive beside the new negative
    assert session.clicks == {0: {1: [(30.0, 30.0, True), (36.0, 36.0, False)]}}
    session.restore(undo)
    assert session.clicks == {0: {1: [(30.0, 30.0, True)]}}
    session.interact(1, clicks={1: [(30, 30, True)]})
    height, width = start.shape
    scribble = [{"object_id": 1, "path": [[30 / width, 30 / height]] * 2}]
    session.interact(0, {"scribbles": [scribble]})  # a scribble redraws the object on frame 0
    assert session.clicks == {1: {1: [(30.0, 30.0, True)]}}
    session.remove_object(1)
    assert session.clicks == {1: {}}


def test_guided_scores_move_a_soft_boundary_onto_the_frame_edge():
    from trackprop.guided_scores import guided_scores

    guide = np.zeros((40, 100, 3), np.uint8)
    guide[:, 50:] = 255  # the object's edge in the frame: column 50
    # the network's soft boundary (an upsampled one): score 0 at column 47, 3 px off the edge
    scores = np.tile((np.arange(100, dtype=np.float32) - 47) * 0.8, (40, 1))
    scores[:, :5] = -np.inf  # outside the ROI
    fitted = guided_scores(scores, guide)
    assert np.isneginf(fitted[:, :5]).all()
    assert int(np.argmax(scores[20] > 0)) == 48
    assert 48 < int(np.argmax(fitted[20] > 0)) <= 50  # moved towards the edge, never past it
