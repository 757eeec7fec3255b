import numpy as np
import pytest
from tracking_fixtures import moving_patch_clip

from trackprop.boxes import box_iou
from trackprop.config import TrackerConfig
from trackprop.errors import TrackpropError
from trackprop.propagators.roi_tracker import tracker_disagrees
from trackprop.trackers import TRACKERS, make_tracker

# Mean IoU measured over seeds 0-4 of this clip: csrt 0.85-0.91, kcf 0.66 (fixed box size),
# mil 0.41-0.46 (drifts by a few pixels on a 15-pixel patch at half scale), medianflow 0.88-0.97,
# atom 0.81-0.85, dasiamrpn 0.91-0.93. The light csrt is held to the same bound as csrt.
MIN_MEAN_IOU = {
    "csrt": 0.75,
    "kcf": 0.55,
    "mil": 0.3,
    "medianflow": 0.75,
    "atom": 0.7,
    "dasiamrpn": 0.8,
}


@pytest.mark.parametrize(
    ("name", "light"), [(name, False) for name in sorted(TRACKERS)] + [("csrt", True)]
)
def test_each_tracker_follows_a_textured_patch(name, light, rng):
    clip, boxes = moving_patch_clip(rng)
    tracker = make_tracker(name, light=light)
    tracker.init(clip[0], boxes[0])
    ious = []
    for frame, truth in zip(clip[1:], boxes[1:], strict=True):
        box, score = tracker.update(frame)
        assert 0 <= score <= 1
        ious.append(box_iou(box, truth))
    if name == "none":
        assert np.allclose(box, [0, 0, 160, 120])  # the whole frame, by definition
    else:
        assert np.mean(ious) > MIN_MEAN_IOU[name]


def test_unknown_tracker_is_named():
    with pytest.raises(TrackpropError, match="unknown tracker 'atomic'; choose one of: none"):
        make_tracker("atomic")


def test_box_iou_known_values():
    assert box_iou(np.array([0, 0, 10, 10]), np.array([5, 0, 15, 10])) == pytest.approx(1 / 3)
    assert box_iou(np.array([0, 0, 1, 1]), np.array([2, 2, 3, 3])) == 0


def test_a_tracker_is_judged_by_its_centre_and_gross_scale_errors():
    config = TrackerConfig()
    mask_box = np.array([100.0, 100.0, 200.0, 200.0])
    # A fixed-scale tracker still on the object's centre while the object doubled: kept.
    assert not tracker_disagrees(np.array([125.0, 125.0, 175.0, 175.0]), mask_box, config)
    # Its centre 60% of the object's side away: re-initialised.
    assert tracker_disagrees(np.array([160.0, 100.0, 260.0, 200.0]), mask_box, config)
    # Right centre, but a fifth of the area: re-initialised (re-sized).
    small = 50 / np.sqrt(5) / 2 * 2
    assert tracker_disagrees(
        np.array([150 - small, 150 - small, 150 + small, 150 + small]), mask_box, config
    )


@pytest.mark.parametrize("name", ["csrt", "kcf", "mil", "medianflow"])
def test_a_tiny_box_leaves_an_opencv_tracker_lost_instead_of_hanging(name, rng):
    frame = rng.integers(0, 255, (120, 160, 3)).astype(np.uint8)
    tracker = make_tracker(name)
    tracker.init(frame, np.array([50.0, 50.0, 57.0, 57.0]))  # 3.5 px at the trackers' half scale
    box, score = tracker.update(frame)
    assert score == 0 and np.array_equal(box, [50, 50, 57, 57])


def test_mil_is_not_started_on_a_box_its_init_never_returns_from(rng):
    frame = rng.integers(0, 255, (120, 160, 3)).astype(np.uint8)
    tracker = make_tracker("mil")
    tracker.init(frame, np.array([50.0, 50.0, 60.0, 60.0]))  # 5 px at half scale: hung before
    assert tracker.update(frame)[1] == 0


def test_only_the_papers_propagator_asks_for_the_light_csrt():
    from trackprop.propagators import PROPAGATORS
    from trackprop.trackers.opencv import light_csrt

    assert make_tracker("csrt", light=True).constructor is light_csrt
    assert make_tracker("csrt").constructor is not light_csrt
    assert make_tracker("kcf", light=True).kind == "kcf"  # no light form: the usual one
    assert PROPAGATORS["roi-tracker"].light_tracker
    assert not PROPAGATORS["learned-memory"].light_tracker


def test_a_tracker_started_early_answers_as_it_would_have_and_a_restart_drops_it(rng):
    from concurrent.futures import ThreadPoolExecutor

    from trackprop.trackers.ahead import AheadTracker

    clip, boxes = moving_patch_clip(rng)
    plain = make_tracker("csrt")
    plain.init(clip[0], boxes[0])
    expected = [plain.update(frame)[0].copy() for frame in clip[1:]]
    with ThreadPoolExecutor(2) as pool:
        early = AheadTracker(make_tracker("csrt"), pool)
        early.init(clip[0], boxes[0])
        answers = []
        for t in range(1, len(clip)):
            if t + 1 < len(clip):
                answers.append(early.update(clip[t])[0].copy())
                early.update_early(clip[t + 1])
                assert np.array_equal(early.box, answers[-1])  # not the early box
            else:
                answers.append(early.update(clip[t])[0].copy())
        np.testing.assert_array_equal(np.stack(answers), np.stack(expected))

        # Re-initialised while its early update runs: the next update starts from the new box.
        early.update_early(clip[5])
        early.init(clip[3], boxes[3])
        fresh = make_tracker("csrt")
        fresh.init(clip[3], boxes[3])
        np.testing.assert_array_equal(early.update(clip[5])[0], fresh.update(clip[5])[0])
