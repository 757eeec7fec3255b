"""Where the paper's propagator looks: at the tracker's centre (mixed with the mask's optical
flow when asked), at the mask's size, while the object is tracked; where it was last seen whole,
in a bounded growing ROI, while it is lost."""

from types import SimpleNamespace

import numpy as np
from test_mask_flow import texture

from trackprop.boxes import center_size
from trackprop.config import RoiConfig, TrackerConfig
from trackprop.mask_flow import grey
from trackprop.propagators.roi_tracker import (
    PARTIAL_LIMIT,
    REFOUND_MAX_AREA,
    ObjectTrack,
    RoiTrackerPropagator,
    seen_whole,
)
from trackprop.roi import expand_box

FRAME = np.zeros((480, 854, 3), np.uint8)


class ScriptedTracker:
    """Answers `update` with the boxes it was given, in order, and counts the calls."""

    whole_frame = False

    def __init__(self, box, answers):
        self.box, self.answers, self.updates = np.asarray(box, float), list(answers), 0

    def init(self, frame, box):
        self.box = np.asarray(box, float)

    def update(self, frame):
        self.updates += 1
        self.box = np.asarray(self.answers.pop(0), float)
        return self.box, 1.0


def propagator(flow_weight: float = TrackerConfig().flow_weight) -> RoiTrackerPropagator:
    network = SimpleNamespace(size=64, threads=1, device="cpu")  # _region never runs it
    return RoiTrackerPropagator(
        network, RoiConfig(), TrackerConfig(name="csrt", flow_weight=flow_weight)
    )


def box_mask(box) -> np.ndarray:
    mask = np.zeros(FRAME.shape[:2], np.uint8)
    x0, y0, x1, y1 = box
    mask[y0:y1, x0:x1] = 1
    return mask


def track_with(mask_box, tracker) -> ObjectTrack:
    mask = box_mask(mask_box)
    track = ObjectTrack(1, tracker, mask)
    track.last_box, track.last_mask = np.array(mask_box, float), mask
    seen_whole(track, FRAME, mask, track.last_box)
    return track


def test_a_tracked_object_s_roi_is_centred_on_its_tracker_and_sized_by_its_mask():
    tracker = ScriptedTracker([130, 100, 190, 160], [[130, 110, 190, 170]])
    track = track_with((100, 100, 140, 140), tracker)
    roi, previous = propagator()._region(track, FRAME)
    assert np.allclose(roi, expand_box(np.array([140, 120, 180, 160]), RoiConfig()))
    assert previous is track.mask


def test_a_tracked_object_s_roi_centre_mixes_in_its_mask_s_flow_when_asked():
    patch = texture((100, 100, 3), 0)
    before, after = FRAME.copy(), FRAME.copy()
    before[100:200, 100:200] = patch
    after[96:196, 108:208] = patch  # the object moved 8 px right and 4 up

    def centre(built: RoiTrackerPropagator) -> np.ndarray:
        tracker = ScriptedTracker([100, 100, 200, 200], [[130, 100, 230, 200]])  # 30 px right
        track = track_with((100, 100, 200, 200), tracker)
        track.previous_grey = grey(before)
        return center_size(built._region(track, after, grey(after))[0])[0]

    assert np.allclose(centre(propagator(0.5)), [150 + (30 + 8) / 2, 150 - 4 / 2], atol=1.0)
    assert np.allclose(centre(propagator()), [180, 150])  # the default, the paper's: the tracker's


def test_a_lost_object_is_searched_where_it_was_last_seen_in_a_bounded_roi():
    tracker = ScriptedTracker([600, 300, 640, 340], [])  # it drifted away with an occluder
    track = track_with((100, 100, 140, 140), tracker)
    normal = expand_box(track.last_box, RoiConfig())
    normal_side = normal[2] - normal[0]
    sides = []
    for lost in range(1, 8):
        track.lost_frames = lost
        roi, previous = propagator()._region(track, FRAME)
        assert np.allclose(center_size(roi)[0], [120, 120])
        assert previous.sum() == track.last_mask.sum()  # its last (whole) mask, where it was
        sides.append(roi[2] - roi[0])
    assert tracker.updates == 0  # a lost object's tracker rests
    assert sides == sorted(sides) and sides[0] > normal_side
    assert np.isclose(sides[-1], normal_side * RoiConfig().lost_max_growth)


def test_a_lost_object_is_searched_for_as_it_was_before_an_occluder_ate_it():
    track = track_with((100, 100, 200, 200), ScriptedTracker([100, 100, 200, 200], []))
    built = propagator()
    for right in (160, 120, 104):  # an occluder covers it from the right, then it vanishes
        built._update(track, FRAME, box_mask((100, 100, right, 200)))
    built._update(track, FRAME, box_mask((0, 0, 0, 0)))
    roi, previous = built._region(track, FRAME)
    assert np.allclose(center_size(roi)[0], [150, 150])  # the whole object's centre
    assert previous.sum() == 100 * 100  # its whole mask, not the last sliver
    assert np.array_equal(track.last_mask, box_mask((100, 100, 104, 200)))


def test_a_mask_that_stays_small_becomes_the_whole_object():
    track = track_with((100, 100, 200, 200), ScriptedTracker([100, 100, 200, 200], []))
    built = propagator()
    for _ in range(PARTIAL_LIMIT + 1):  # it moved away and stays small
        built._update(track, FRAME, box_mask((100, 100, 140, 140)))
    assert track.whole_mask.sum() == 40 * 40


def test_a_lost_object_found_many_times_its_size_or_in_other_colours_stays_lost():
    frame = FRAME.copy()
    frame[100:140, 100:140] = (200, 40, 40)  # the object: red
    frame[300:340, 500:540] = (200, 40, 40)  # the object again, elsewhere
    frame[300:340, 600:640] = (40, 40, 200)  # a blue look-alike of its size
    track = track_with((100, 100, 140, 140), ScriptedTracker([100, 100, 140, 140], []))
    seen_whole(track, frame, track.whole_mask, track.last_box)  # red
    built = propagator()
    track.lost_frames = 3
    assert built._accept(track, box_mask((500, 300, 540, 340)), frame)
    assert not built._accept(track, box_mask((600, 300, 640, 340)), frame)
    side = int(40 * np.sqrt(REFOUND_MAX_AREA)) + 2  # red inside, black around: the background
    assert not built._accept(track, box_mask((100, 100, 100 + side, 100 + side)), frame)
    track.lost_frames = 0
    assert built._accept(track, box_mask((600, 300, 640, 340)), frame)  # tracked: any mask


def test_a_frame_reports_masks_fitted_to_its_edges_and_carries_the_network_s_own():
    frame = np.zeros((120, 160, 3), np.uint8)
    frame[40:80, 80:120] = 255  # the object: a bright square, left edge at column 80
    # its 64 px ROI starts at column 68 and row 28, at the crop's own scale
    columns = np.arange(64, dtype=np.float32)

    def run(inputs):  # a soft boundary (as upsampled), at 0 in column 77: 3 px off the edge
        rows = inputs[:, 3].max(axis=2, keepdims=True) > 0  # the previous mask's rows
        score = np.where(rows, 0.8 * (columns - 9), -5.0).astype(np.float32)
        score[:, :, 52:] = -5.0  # and its right edge where the object's is
        return np.stack([-score / 2, score / 2], axis=1)

    network = SimpleNamespace(size=64, threads=1, device="cpu", in_channels=4, run=run)
    built = RoiTrackerPropagator(network, RoiConfig(size=64), TrackerConfig(name="csrt"))
    track = ObjectTrack(1, ScriptedTracker([80, 40, 120, 80], [[80, 40, 120, 80]]), None)
    track.mask = np.zeros(frame.shape[:2], np.uint8)
    track.mask[40:80, 80:120] = 1
    track.last_box, track.last_mask = np.array([80.0, 40, 120, 80]), track.mask
    reported = built.step(frame, [track])
    assert int(np.argmax(track.mask[60])) <= 78  # carried: the network's own boundary
    assert 79 <= int(np.argmax(reported[60] == 1)) <= 80  # reported: at the frame's edge


def test_a_keyframe_keeps_the_whole_mask_and_an_older_one_resumes_without_it():
    frame = FRAME.copy()
    frame[100:200, 100:200] = (200, 40, 40)
    built = propagator()
    track = track_with((100, 100, 200, 200), ScriptedTracker([100, 100, 200, 200], []))
    seen_whole(track, frame, track.whole_mask, track.last_box)
    built._update(track, frame, box_mask((100, 100, 120, 200)))  # partly hidden
    state = built.snapshot([track])
    [again] = built.resume(frame, state, [])
    assert np.array_equal(again.whole_mask, box_mask((100, 100, 200, 200)))
    assert again.partial_frames == 1
    assert np.allclose(again.whole_colours, track.whole_colours)
    for key in ("whole_masks", "whole_colours", "partial"):  # written before stop 53
        del state[key]
    [old] = built.resume(frame, state, [])
    assert np.array_equal(old.whole_mask, box_mask((100, 100, 120, 200)))
    old.lost_frames = 2
    assert built._accept(old, box_mask((600, 300, 640, 340)), frame)  # no colours to check by
