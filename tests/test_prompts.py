"""Every way to mark an object: scribbles, clicks, boxes and masks, through the API and the CLI;
bad prompts are one line naming the object and the field; the alpha export."""

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image
from web_fixtures import make_clip, stroke_inside_object

from trackprop.boxes import mask_box
from trackprop.click_robot import next_click
from trackprop.data.video import open_frames
from trackprop.errors import TrackpropError
from trackprop.session import Session

# Measured on this clip (the horse, far from box-shaped): box 0.65, 3 robot clicks 0.87,
# scribble 0.8+; the bounds leave room for the CPU's rounding.
MIN_BOX_IOU, MIN_CLICKS_IOU, MIN_SCRIBBLE_IOU = 0.55, 0.75, 0.6


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clip")
    video, truth = make_clip(folder)
    return video, np.stack(list(open_frames(video))), truth


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))


def test_each_prompt_kind_finds_the_object(clip):
    _, frames, truth = clip
    horse = truth[0] == 1
    box = Session(frames).interact(0, boxes={1: mask_box(horse).tolist()})
    assert iou(box == 1, horse) > MIN_BOX_IOU
    session, predicted = Session(frames), np.zeros_like(horse)
    for _ in range(3):  # one click at a time, as a click robot sends them
        x, y, positive = next_click(predicted, horse)
        predicted = session.interact(0, clicks={1: [(x, y, positive)]}) == 1
    assert iou(predicted, horse) > MIN_CLICKS_IOU
    scribbles = {"scribbles": [[{"object_id": 1, "path": stroke_inside_object(truth)}]]}
    assert iou(Session(frames).interact(0, scribbles) == 1, horse) > MIN_SCRIBBLE_IOU
    masked = Session(frames)
    assert np.array_equal(masked.interact(0, masks=truth[0]), truth[0])
    assert masked.annotated == {0} and masked.object_ids == [1]


def test_a_box_prompt_keeps_its_object_inside_the_box(clip):
    from trackprop.prompts import box_strokes

    _, frames, truth = clip
    x0, y0, x1, y1 = mask_box(truth[0] == 1)
    cut = [x0, y0, x1, round((y0 + y1) / 2)]  # a box over the horse's upper half only
    session = Session(frames)
    strokes = box_strokes({1: cut}, truth[0].shape, 0)
    alone = session.interactor.segment(frames[0], strokes, [1], np.zeros_like(truth[0]))
    assert (alone == 1)[cut[3] :].sum() > 500  # the networks alone find the legs below it
    labels = session.interact(0, boxes={1: cut}) == 1
    assert labels[: cut[3]].sum() > 3000 and not labels[cut[3] :].any()


def test_a_negative_click_removes_what_it_marks(clip):
    _, frames, truth = clip
    session = Session(frames)
    labels = session.interact(0, masks=np.where(truth[0] == 1, 1, 0).astype(np.uint8))
    wrong = np.zeros_like(labels)
    wrong[5:25, 5:25] = 1  # a false part, far from the horse
    session.interact(0, masks=np.maximum(labels, wrong))
    after = session.interact(0, clicks={1: [(15, 15, 0)]})
    assert after[15, 15] == 0 and iou(after == 1, truth[0] == 1) > 0.7


class ChangesNearAndFar:
    """A stand-in refinement that fixes the clicked spot and also moves a far-away boundary."""

    def segment(self, frame, strokes, touched, labels):
        out = labels.copy()
        out[40:50, 40:50] = 1  # around the click at (45, 45)
        out[0:5, 0:5] = 1  # nowhere near it
        return out


def test_a_refining_click_keeps_only_the_change_it_touches(clip):
    _, frames, _ = clip
    start = np.zeros(frames.shape[1:3], np.uint8)
    start[48:70, 48:70] = 1
    session = Session(frames, interactor=ChangesNearAndFar())
    session.interact(0, masks=start)
    clicked = session.interact(0, clicks={1: [(45, 45, 1)]})
    assert clicked[40:50, 40:50].all() and not clicked[0:5, 0:5].any()
    assert np.array_equal(clicked[5:], np.maximum(start, clicked)[5:])  # nothing else lost
    # a scribble (or a box) is the user's whole statement about the frame: no restriction
    drawn = Session(frames, interactor=ChangesNearAndFar())
    drawn.interact(0, masks=start)
    height, width = start.shape
    scribble = {"scribbles": [[{"object_id": 1, "path": [[45 / width, 45 / height]] * 2}]]}
    assert drawn.interact(0, scribble)[0:5, 0:5].all()


@pytest.mark.parametrize(
    ("prompt", "words"),
    [
        ({"clicks": {"a": [[1, 1, 1]]}}, "clicks on frame 0: object id 'a' is not an integer"),
        ({"clicks": {1: [[1e9, 1, 1]]}}, "clicks of object 1, x on frame 0: 1000000000.0 lies off"),
        ({"clicks": {1: [[float("nan"), 1, 1]]}}, "x on frame 0: nan is not a finite number"),
        ({"clicks": {1: [[1, 1]]}}, "is not [x, y, positive]"),
        ({"clicks": {1: [[1, 1, 2]]}}, "positive must be 1 or 0"),
        ({"clicks": {300: [[1, 1, 1]]}}, "object id 300 is not an integer in 1..255"),
        ({"boxes": {1: [50, 50, 50, 80]}}, "box of object 1 on frame 0: [50, 50, 50, 80] is empty"),
        ({"boxes": {1: [60, 50, 10, 80]}}, "is empty or inverted"),
        ({"boxes": {2: [0, 0, 9000, 10]}}, "box of object 2, x on frame 0: 9000 lies off"),
        ({"boxes": {1: [0, 0, 10]}}, "give [x0, y0, x1, y1]"),
        ({"boxes": {}}, "boxes on frame 0: give"),
        ({}, "no prompt for frame 0"),
    ],
)
def test_bad_prompts_name_the_object_and_field(clip, prompt, words):
    _, frames, _ = clip
    session = Session(frames)
    with pytest.raises(TrackpropError) as error:
        session.interact(0, **prompt)
    assert words in str(error.value)
    assert session.annotated == set() and session.object_ids == []


def propagate(clip, tmp_path, *prompt):
    video = clip[0]
    out = tmp_path / "out"
    command = [sys.executable, "-m", "trackprop.cli", "propagate", str(video), *prompt]
    command += ["--out", str(out), "--tracker", "kcf", "--format", "davis,alpha", "--feather", "0"]
    return subprocess.run(command, capture_output=True, text=True), out


def test_cli_boxes_and_clicks_and_the_alpha_export(clip, tmp_path):
    _, frames, truth = clip
    boxes = tmp_path / "boxes.json"
    boxes.write_text(json.dumps({"1": mask_box(truth[0] == 1).tolist()}))
    result, out = propagate(clip, tmp_path, "--boxes", str(boxes))
    assert result.returncode == 0, result.stderr
    first = np.asarray(Image.open(out / "davis" / "00000.png"))
    assert iou(first == 1, truth[0] == 1) > MIN_BOX_IOU
    cutout = np.asarray(Image.open(out / "alpha" / "1" / "00003.png"))
    davis = np.asarray(Image.open(out / "davis" / "00003.png"))
    assert cutout.shape == (*truth.shape[1:], 4)
    assert np.array_equal(cutout[..., 3], (davis == 1) * 255)  # the mask is the alpha channel
    assert np.array_equal(cutout[..., :3], frames[3])

    clicks = tmp_path / "clicks.json"
    ys, xs = np.nonzero(truth[0] == 1)
    clicks.write_text(json.dumps({"1": [[int(np.median(xs)), int(np.median(ys)), 1]]}))
    result, out = propagate(clip, tmp_path / "c", "--clicks", str(clicks))
    assert result.returncode == 0, result.stderr
    assert (np.asarray(Image.open(out / "davis" / "00000.png")) == 1).any()


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ({"1": [0, 0, 0, 0]}, "box of object 1 on frame 0: [0, 0, 0, 0] is empty or inverted"),
        ({"x": [0, 0, 10, 10]}, "object id 'x' is not an integer"),
        ({"1": [0, 0, 10, 10000]}, "box of object 1, y on frame 0: 10000 lies off the frame"),
        ("not json", "not a readable JSON boxes file"),
    ],
)
def test_cli_bad_prompts_write_nothing(clip, tmp_path, content, words):
    boxes = tmp_path / "boxes.json"
    boxes.write_text(content if isinstance(content, str) else json.dumps(content))
    result, out = propagate(clip, tmp_path, "--boxes", str(boxes))
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert words in result.stderr and not out.exists()


def test_two_prompts_at_once_are_refused(clip, tmp_path):
    boxes = tmp_path / "boxes.json"
    boxes.write_text(json.dumps({"1": [0, 0, 10, 10]}))
    result, out = propagate(clip, tmp_path, "--boxes", str(boxes), "--clicks", str(boxes))
    assert result.returncode == 2 and "give exactly one prompt" in result.stderr
    assert not out.exists()


def test_feathered_alpha_is_soft_at_the_edge(clip, tmp_path):
    _, frames, truth = clip
    session = Session(frames[:2])
    session.add_mask(0, truth[0])
    session.add_mask(1, truth[1])
    out = session.export(tmp_path / "alpha", "alpha", feather=4)
    alpha = np.asarray(Image.open(out / "1" / "00000.png"))[..., 3]
    inside = truth[0] == 1
    assert ((alpha > 0) & (alpha < 255)).any()  # a soft edge
    assert alpha[~inside].max() > 0 and alpha[inside].min() < 255
    assert abs(float(alpha.astype(float).sum()) / 255 - inside.sum()) < 0.05 * inside.sum()
