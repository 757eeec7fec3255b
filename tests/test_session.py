import json

import numpy as np
import pytest
from PIL import Image

from trackprop import rle
from trackprop.data.builtin import builtin_pool
from trackprop.data.davis import DavisRoot, read_label_png
from trackprop.data.synth import SynthConfig, synthesize
from trackprop.data.video import open_frames
from trackprop.errors import TrackpropError
from trackprop.eval.metrics import video_j_and_f
from trackprop.models.runtime import OnnxNetwork, shipped
from trackprop.session import Session

CLIP = SynthConfig(frames=16, height=240, width=428, min_objects=2, max_objects=2)
# J&F of the shipped propagation network on this clip with csrt, measured: 0.62.
MIN_J_AND_F = 0.55


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    out = tmp_path_factory.mktemp("clip")
    [info] = synthesize(out, builtin_pool(), videos=1, seed=5, config=CLIP, workers=1)
    root = DavisRoot(out)
    frames = np.stack([root.read_frame(info["name"], t) for t in range(CLIP.frames)])
    truth = np.stack([root.read_annotation(info["name"], t) for t in range(CLIP.frames)])
    return frames, truth


def test_end_to_end_propagation_reaches_the_measured_quality(clip):
    frames, truth = clip
    session = Session(frames, tracker="csrt")
    session.add_mask(0, truth[0])
    visited = [t for t, _ in session.propagate(0)]
    assert visited == list(range(1, CLIP.frames))
    scores = video_j_and_f(session.masks, truth, skip={0})
    assert scores["J&F"] > MIN_J_AND_F


def test_trackers_started_early_on_the_next_frame_change_no_mask_until_an_object_vanishes(
    clip, monkeypatch
):
    """Until an object vanishes, starting the trackers on the next frame early changes nothing;
    then its resting tracker has seen one frame more (trackers/ahead.py)."""
    from trackprop.trackers.ahead import AheadTracker

    frames, truth = clip
    views = list(frames)  # one object per frame, as the session's frame loop passes them
    propagator = Session(frames, tracker="csrt", threads=2).propagator
    taken = []
    update = AheadTracker.update

    def spy(self, frame):
        taken.append(self._early is not None and self._early[0] is frame)
        return update(self, frame)

    monkeypatch.setattr(AheadTracker, "update", spy)
    runs, lost = [], []
    for early in (False, True):
        taken.clear()
        tracks = propagator.start(views[0], truth[0], [1], [])  # one object leaves a core free
        labels = []
        for t in range(1, len(views)):
            upcoming = views[t + 1] if early and t + 1 < len(views) else None
            labels.append(propagator.step(views[t], tracks, upcoming))
            lost.append(any(track.lost_frames for track in tracks))
        runs.append(np.stack(labels))
    vanished = lost.index(True)  # in the run without early starts: 8 frames in on this clip
    assert vanished >= 5
    assert sum(taken) > len(taken) // 2  # most of the early run's updates were early ones
    np.testing.assert_array_equal(runs[0][: vanished + 1], runs[1][: vanished + 1])


def test_objects_never_share_a_pixel_and_ids_are_kept(clip):
    frames, truth = clip
    session = Session(frames[:6], tracker="none")
    session.add_mask(0, truth[0])
    for _t, labels in session.propagate(0):
        assert set(np.unique(labels)) <= {0, 1, 2}
    assert session.object_ids == [1, 2]


def test_propagation_stops_before_frames_the_user_annotated(clip):
    frames, truth = clip
    session = Session(frames[:10], tracker="kcf")
    session.add_mask(2, truth[2])
    session.add_mask(7, truth[7])
    visited = [t for t, _ in session.propagate(from_frame=2)]
    assert visited == [3, 4, 5, 6, 1, 0]  # forward until 7, then backward
    assert np.array_equal(session.labels(7), truth[7])  # the user's frame is untouched
    kept = session.masks[3:5].copy()
    visited = [t for t, _ in session.propagate(from_frame=7)]
    assert visited == [8, 9, 6, 5]  # 3 and 4 are nearer to 2, whose propagation they hold
    assert np.array_equal(session.masks[3:5], kept)


def test_frames_never_propagated_are_reached_whatever_annotation_is_nearer(clip):
    frames, truth = clip
    session = Session(frames[:10], tracker="kcf")
    session.add_mask(2, truth[2])
    session.add_mask(7, truth[7])
    visited = [t for t, _ in session.propagate(from_frame=7)]
    assert visited == [8, 9, 6, 5, 4, 3]
    session.restore(session.snapshot())  # where restored masks came from is forgotten
    assert [t for t, _ in session.propagate(from_frame=2)] == [3, 4, 5, 6, 1, 0]


def test_exports_round_trip(clip, tmp_path):
    frames, truth = clip
    session = Session(frames[:4], tracker="medianflow")
    session.add_mask(0, truth[0])
    list(session.propagate(0))
    masks = session.masks
    davis = session.export(tmp_path / "davis", "davis")
    assert np.array_equal(read_label_png(davis / "00003.png"), masks[3])
    png = session.export(tmp_path / "png", "png")
    assert np.array_equal(np.asarray(Image.open(png / "2" / "00001.png")) > 0, masks[1] == 2)
    coco = json.loads(session.export(tmp_path / "coco", "coco-rle").read_text())
    for annotation in coco["annotations"]:
        decoded = rle.decode(annotation["segmentation"])
        assert np.array_equal(decoded, masks[annotation["image_id"]] == annotation["object_id"])
    assert len(coco["images"]) == 4
    video = session.export(tmp_path / "mp4", "mp4")
    assert open_frames(video).num_frames == 4


def test_video_file_input(clip, tmp_path):
    from trackprop.data.video import VideoWriter

    frames, truth = clip
    with VideoWriter(tmp_path / "clip.mp4") as writer:
        for frame in frames[:5]:
            writer.write(frame)
    session = Session(tmp_path / "clip.mp4", tracker="csrt")
    session.add_mask(4, truth[4])
    assert [t for t, _ in session.propagate(4)] == [3, 2, 1, 0]


def test_bad_input_gives_one_line_errors(clip):
    frames, truth = clip
    session = Session(frames[:3])
    with pytest.raises(
        TrackpropError,
        match=r"the mask for frame 0 is 10x5 \(shape \(5, 10\)\), the video is 428x240",
    ):
        session.add_mask(0, np.ones((5, 10), np.uint8))
    with pytest.raises(TrackpropError, match="frame 9 is out of range"):
        session.add_mask(9, truth[0])
    with pytest.raises(TrackpropError, match="the mask for frame 1 is empty"):
        session.add_mask(1, np.zeros_like(truth[0]))
    with pytest.raises(TrackpropError, match="nothing to propagate"):
        list(session.propagate())
    session.add_mask(0, truth[0])
    with pytest.raises(TrackpropError, match=r"object 7 does not exist \(objects: 1, 2\)"):
        session.object_mask(0, 7)
    with pytest.raises(TrackpropError, match="unknown export format 'gif'"):
        session.export("/tmp/never", "gif")
    with pytest.raises(TrackpropError, match="unknown tracker 'atom2'"):
        Session(frames[:3], tracker="atom2")
    given = OnnxNetwork(shipped("propagation"), threads=1)
    with pytest.raises(TrackpropError, match=r"propagation-\w+\.onnx: int8 runs the shipped"):
        Session(frames[:3], network=given, int8=True)  # not silently fp32


def test_an_object_absent_from_the_start_frame_is_carried_along(clip):
    frames, truth = clip
    session = Session(frames[:6], tracker="csrt")
    session.add_mask(0, truth[0])
    only_first = np.where(truth[3] == 1, 1, 0).astype(np.uint8)
    session.add_mask(3, only_first)  # object 2 is not on frame 3
    visited = [t for t, _ in session.propagate(3)]
    assert visited == [4, 5, 2, 1]
    assert session.object_ids == [1, 2]
