"""The memory propagator reads the annotated frames: what the previous mask got wrong, the
annotation corrects; an object lost from view is found again where it reappears."""

import cv2
import numpy as np
import pytest
from skimage import data

from trackprop.config import RoiConfig, TrackerConfig
from trackprop.data.builtin import builtin_pool
from trackprop.models.matching import (
    ObjectMemory,
    matching_channel,
    matching_map,
    object_memory,
)
from trackprop.models.runtime import OnnxNetwork, shipped
from trackprop.propagators import PROPAGATORS
from trackprop.propagators.memory import RECENT_FRAMES
from trackprop.roi import crop_roi

HEIGHT, WIDTH = 240, 427


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))


def paste(frame: np.ndarray, cutout: np.ndarray, x: int, y: int) -> np.ndarray:
    """`frame` with the RGBA `cutout` at (x, y); returns the cut-out's (H,W) bool mask."""
    height, width = cutout.shape[:2]
    alpha = cutout[..., 3:] / 255
    region = frame[y : y + height, x : x + width]
    region[:] = (alpha * cutout[..., :3] + (1 - alpha) * region).astype(np.uint8)
    mask = np.zeros(frame.shape[:2], bool)
    mask[y : y + height, x : x + width] = cutout[..., 3] > 127
    return mask


@pytest.fixture(scope="module")
def network():
    return OnnxNetwork(shipped("propagation"), threads=1)


@pytest.fixture(scope="module")
def learned_network():
    return OnnxNetwork(shipped("propagation_memory"), threads=1)


@pytest.fixture(scope="module")
def cutouts():
    horse, cup = builtin_pool().photos
    return (
        cv2.resize(horse, (90, 75), interpolation=cv2.INTER_AREA),
        cv2.resize(cup, (80, 66), interpolation=cv2.INTER_AREA),
    )


def background() -> np.ndarray:
    return cv2.resize(data.rocket(), (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA)


def run(network, name: str, start, references, frames) -> list[np.ndarray]:
    """Masks of object 1 after each of `frames`, propagated from `start` (frame, labels)."""
    propagator = PROPAGATORS[name](network, RoiConfig(), TrackerConfig(name="csrt"))
    tracks = propagator.start(*start, [1], references=references)
    return [propagator.step(frame, tracks) == 1 for frame in frames]


def horse_beside_cup(cutouts):
    """A frame, the horse's true mask, the cup's, a previous mask holding both, and the
    annotated frame that says the horse alone is the object."""
    horse, cup = cutouts
    frame = background()
    truth = paste(frame, horse, 130, 80)
    cup_mask = paste(frame, cup, 215, 85) & ~truth
    truth &= ~cup_mask
    wrong = (truth | cup_mask).astype(np.uint8)
    return frame, truth, cup_mask, wrong, [(frame, truth.astype(np.uint8))]


@pytest.mark.parametrize(
    ("propagator", "weights"), [("memory", "network"), ("learned-memory", "learned_network")]
)
def test_the_annotation_corrects_a_previous_mask_that_holds_another_object(
    propagator, weights, request, cutouts
):
    """The previous mask wrongly holds a cup beside the horse. Run once with the annotated frame
    that says the horse alone is the object and once with one that (wrongly) holds the cup too:
    what the annotation says moves the mask. Compared within each memory propagator, since the
    paper's propagator runs a network that improves apart (the one of stop 40 drops this cup by
    itself: 47 cup pixels, against 1754 before). Measured with the shipped networks: memory cup
    pixels 1985 -> 1, IoU 0.40 -> 0.72; learned memory 2024 -> 1674, IoU 0.41 -> 0.46."""
    network = request.getfixturevalue(weights)
    frame, truth, cup_mask, wrong, references = horse_beside_cup(cutouts)
    [told] = run(network, propagator, (frame, wrong), references, [frame])
    [misled] = run(network, propagator, (frame, wrong), [(frame, wrong)], [frame])
    assert (told & cup_mask).sum() < (misled & cup_mask).sum()
    assert iou(told, truth) > iou(misled, truth)


def test_an_object_that_jumped_away_is_found_again(network, cutouts):
    """After a cut the horse is elsewhere in the frame: the memory's whole-frame matching finds
    it within a few frames (measured: IoU 0.81); the paper's propagator, searching near its last
    place, does not (0.0)."""
    horse, _ = cutouts
    before, after = background(), background()
    start = paste(before, horse, 20, 20)
    moved = paste(after, horse, 320, 150)
    references = [(before, start.astype(np.uint8))]
    frames = [after] * 4
    paper = run(network, "roi-tracker", (before, start.astype(np.uint8)), references, frames)
    memory = run(network, "memory", (before, start.astype(np.uint8)), references, frames)
    assert iou(memory[-1], moved) > 0.5
    assert iou(paper[-1], moved) < 0.1


def test_the_learned_memory_lets_go_of_an_occluder_and_finds_the_object_again(
    network, learned_network, cutouts
):
    """The horse passes behind a large cup, then shows again elsewhere: the masks held on to the
    occluder fail the annotation's check, the object counts as lost and the whole-frame search
    finds it (measured with the shipped networks: IoU 0.85 one frame after it shows); the paper's
    propagator stays where the cup was (0.0)."""
    horse, cup = cutouts
    first, hidden, back = background(), background(), background()
    start = paste(first, horse, 130, 80).astype(np.uint8)
    paste(hidden, horse, 130, 80)
    paste(hidden, cv2.resize(cup, (130, 110), interpolation=cv2.INTER_AREA), 110, 62)
    shown = paste(back, horse, 300, 140)
    frames = [hidden] * 3 + [back] * 3
    references = [(first, start)]
    paper = run(network, "roi-tracker", (first, start), references, frames)
    learned = run(learned_network, "learned-memory", (first, start), references, frames)
    assert iou(learned[-1], shown) > 0.6
    assert iou(paper[-1], shown) < 0.1


def test_matching_prefers_the_nearest_kind_of_key():
    memory = ObjectMemory(
        object_keys=np.array([[1.0, 0.0]]), background_keys=np.array([[0.0, 1.0]])
    )
    cells = np.array([[[1.0, 0.0], [0.0, 1.0]]])  # (h=1, w=2, C=2): one object cell, one background
    assert list(matching_map(cells, memory)[0]) == [1.0, -1.0]


def test_memory_keys_are_the_cells_inside_and_those_clear_of_the_object():
    cells = np.zeros((1, 2, 2, 2))
    cells[0, 0, 0], cells[0, 0, 1], cells[0, 1, 0], cells[0, 1, 1] = (
        [1, 0],
        [0, 1],
        [0.6, 0.8],
        [0.8, 0.6],
    )
    mask = np.zeros((1, 32, 32), np.uint8)
    mask[0, :16, :16] = 1  # the top-left cell is the object
    mask[0, 16:, 16:20] = 1  # a quarter of the bottom-right cell: neither kind
    memory = object_memory(cells, mask)
    assert memory.object_keys.tolist() == [[1, 0]]
    assert memory.background_keys.tolist() == [[0, 1], [0.6, 0.8]]
    assert object_memory(cells, np.ones_like(mask)) is None  # nothing clear of the object


def test_the_memory_keeps_up_with_an_object_whose_look_changes(learned_network, cutouts):
    """The horse darkens and turns bluer frame by frame: the annotated frame no longer looks
    like it, the memory's recent frames do. The object's memory holds the keys of its last
    RECENT_FRAMES confident frames (no more: constant in the video's length), and with them the
    true mask of the last frame matches the object better than with the annotated keys alone."""
    horse, _ = cutouts
    frames, truths = [], []
    for t in range(31):
        frame = background()
        drifted = horse.copy()
        fade = 1 - 0.02 * t  # 1.0 -> 0.4
        drifted[..., :3] = (drifted[..., :3] * [fade * 0.8, fade * 0.9, 1.0]).astype(np.uint8)
        truths.append(paste(frame, drifted, 100 + 4 * t, 80))
        frames.append(frame)
    propagator = PROPAGATORS["learned-memory"](
        learned_network, RoiConfig(), TrackerConfig(name="csrt")
    )
    references = [(frames[0], truths[0].astype(np.uint8))]
    [track] = propagator.start(frames[0], truths[0].astype(np.uint8), [1], references)
    for frame in frames[1:]:
        propagator.step(frame, [track])
    assert len(track.memory.recent) == RECENT_FRAMES
    keys = track.memory.keys
    assert len(keys.object_keys) == len(track.memory.annotated.object_keys) + sum(
        len(m.object_keys) for m in track.memory.recent
    )
    crop = crop_roi(frames[-1], track.roi, propagator.roi.size)
    inside = crop_roi(truths[-1].astype(np.uint8), track.roi, propagator.roi.size, nearest=True)
    cells = propagator._cells(crop[None])[0]
    size = propagator.roi.size

    def share(memory):
        return (matching_channel(cells, memory, size)[inside > 0] > 0).mean()

    assert share(keys) > share(track.memory.annotated) + 0.08  # measured: 0.89 vs 0.73
