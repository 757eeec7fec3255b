"""Training samples for the interaction networks, with prompts simulated as people give them.

Each sample's prompt is scribbles, clicks or (first round only) a box, in PROMPT_SHARES; clicks
and boxes are rasterised by prompts.py exactly as at inference. Clicks follow the click robot
(first click well inside the object, a later one inside the largest error of the previous
round's mask, positive or negative); a box is the object's box jittered by BOX_JITTER of its
side. Scribbles:

First round (4 channels): strokes inside the object (positive); sometimes a background stroke
next to it and strokes inside other objects (negative). Later rounds (5 channels): the previous
round's mask is the object's mask corrupted (virtual previous mask + ellipse noise); the new
strokes go where the DAVIS robot puts them, on the largest error regions: inside the largest
missed part (positive) and the largest false-positive part (negative), next to the earlier
first-round stroke. Crops use the ROI rule of inference (trackprop.interaction.interaction_roi).

With `own_errors`, part of the later rounds start instead from the mask the shipped networks
themselves made after the click robot's first 1-3 clicks (RITM's iterative training, with the
shipped networks frozen): their errors are not blobs but whole parts they keep getting wrong
(an occluder taken in, a thin part left out), which a click must then fix.
"""

from __future__ import annotations

import cv2
import numpy as np

from trackprop.boxes import mask_box
from trackprop.click_robot import next_click
from trackprop.data.strokes import stroke_inside
from trackprop.guidance import draw_stroke
from trackprop.interaction import interaction_input, interaction_roi, shipped_interactor
from trackprop.progressive_merge import after_click
from trackprop.prompts import box_strokes, click_strokes
from trackprop.roi import crop_roi
from trackprop.train.augment import (
    AffineBounds,
    EllipseNoise,
    grow_into_neighbour,
    paint_ellipses,
    virtual_previous_mask,
)
from trackprop.train.propagation_data import VideoStore

# Earlier rounds' masks are worse than a previous frame's: wider corruption than propagation uses.
ROUND_BOUNDS = AffineBounds(rotation=20, scale=0.25, shear=0.15, translation=0.15)
ROUND_NOISE = EllipseNoise(count=(1, 5), axis=(0.05, 0.4))


def largest_component(region: np.ndarray) -> np.ndarray:
    count, components, stats, _ = cv2.connectedComponentsWithStats(
        region.astype(np.uint8), connectivity=8
    )
    if count <= 1:
        return np.zeros(region.shape, bool)
    return components == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))


def paint(
    size: tuple[int, int],
    region: np.ndarray,
    rng: np.random.Generator,
    canvas: np.ndarray | None = None,
) -> np.ndarray:
    """A stroke inside `region` painted on a (new or given) canvas."""
    canvas = np.zeros(size, np.uint8) if canvas is None else canvas
    draw_stroke(canvas, stroke_inside(region, rng))
    return canvas


def background_ring(labels: np.ndarray, target: np.ndarray) -> np.ndarray:
    side = int(np.sqrt(target.sum()) * 0.4) | 1
    grown = cv2.dilate(target.astype(np.uint8), np.ones((side, side), np.uint8)).astype(bool)
    return grown & (labels == 0)


PROMPT_SHARES = {"scribbles": 0.5, "clicks": 0.3, "boxes": 0.2}  # boxes: first round only
BOX_JITTER = 0.05


# Share of refinement samples whose earlier mask also took in (part of) another object: the
# error a negative correction must remove whole, which blob-shaped noise alone never shows.
NEIGHBOUR_SHARE = 0.3


def previous_round(
    target: np.ndarray, rng: np.random.Generator, labels: np.ndarray | None = None
) -> np.ndarray:
    """An earlier round's mask: the object's mask, corrupted; sometimes grown into another
    object of `labels` (the frame's label map)."""
    mask = paint_ellipses(
        virtual_previous_mask(target, rng, ROUND_BOUNDS), rng, ROUND_NOISE
    ).astype(bool)
    if labels is not None and rng.random() < NEIGHBOUR_SHARE:
        mask = grow_into_neighbour(mask, target, labels, rng)
    return mask


OWN_ERROR_SHARE = 0.5  # of refinement samples, with `own_errors`
OWN_CLICKS = (1, 3)  # the robot's clicks before the sample's round (inclusive range)


class OwnErrors:
    """Earlier rounds' masks as the shipped interaction networks make them from the robot's clicks."""

    def __init__(self) -> None:
        self.interactor = shipped_interactor(threads=1)

    def mask(self, frame: np.ndarray, target: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        labels = np.zeros(target.shape, np.uint8)
        for _ in range(rng.integers(OWN_CLICKS[0], OWN_CLICKS[1] + 1)):
            click = next_click(labels == 1, target, rng)
            if click is None:
                break
            strokes = click_strokes({1: [click]}, target.shape, 0)
            segmented = self.interactor.segment(frame, strokes, [1], labels)
            labels = after_click(labels, segmented, strokes, [1])  # as Session does
        return labels == 1


def earlier_mask(
    frame: np.ndarray,
    target: np.ndarray,
    labels: np.ndarray,
    rng: np.random.Generator,
    own: OwnErrors | None,
) -> np.ndarray:
    """An earlier round's mask: the shipped networks' own (when it found something) or virtual."""
    if own is not None and rng.random() < OWN_ERROR_SHARE:
        mask = own.mask(frame, target, rng)
        if mask.any():
            return mask
    return previous_round(target, rng, labels)


def prompt_strokes(
    kind: str, target: np.ndarray, mask: np.ndarray | None, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(positive, negative) uint8 strokes of a click or a box prompt, as prompts.py draws them."""
    shape = target.shape
    if kind == "clicks":
        predicted = mask if mask is not None else np.zeros(shape, bool)
        click = next_click(predicted, target, rng) or next_click(np.zeros(shape, bool), target, rng)
        strokes = click_strokes({1: [click]}, shape, 0)
    else:
        limits = [shape[1], shape[0]] * 2
        # prompts.py refuses boxes under 2 px a side: a sliver of an object gets a box padded to 3
        tight = np.clip(mask_box(target) + np.array([-1, -1, 1, 1]), 0, limits)
        side = tight[2:] - tight[:2]
        box = np.clip(tight + rng.uniform(-BOX_JITTER, BOX_JITTER, 4) * np.tile(side, 2), 0, limits)
        if (box[2:] - box[:2]).min() < 2:
            box = tight
        strokes = box_strokes({1: box.tolist()}, shape, 0)
    empty = np.zeros(shape, bool)
    return strokes.get(1, empty).astype(np.uint8), strokes.get(0, empty).astype(np.uint8)


def sample_interaction(
    store: VideoStore,
    rng: np.random.Generator,
    size: int,
    refine: bool,
    own: OwnErrors | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(input (C,S,S) float32, target (S,S) uint8) for the first-round or refinement network."""
    v, t, obj = store.index[rng.integers(len(store.index))]
    frame, labels = store.frame(v, t), store.label_map(v, t)
    target = labels == obj
    shape = target.shape
    kinds = [k for k in PROMPT_SHARES if not (refine and k == "boxes")]
    shares = np.array([PROMPT_SHARES[k] for k in kinds])
    kind = kinds[rng.choice(len(kinds), p=shares / shares.sum())]
    if kind != "scribbles":
        mask = earlier_mask(frame, target, labels, rng, own) if refine else None
        positive, negative = prompt_strokes(kind, target, mask, rng)
        roi = interaction_roi(shape, positive.astype(bool), mask)
        sample = interaction_input(
            frame, roi, size, positive.astype(bool), negative.astype(bool), mask
        )
        return sample, crop_roi(target.astype(np.uint8), roi, size, nearest=True)
    positive = paint(shape, target, rng)
    if rng.random() < 0.3:
        paint(shape, target, rng, positive)
    negative = np.zeros(shape, np.uint8)
    if rng.random() < 0.5:
        paint(shape, background_ring(labels, target), rng, negative)
    for other in np.unique(labels):
        if other not in (0, obj) and rng.random() < 0.7:
            paint(shape, labels == other, rng, negative)
    mask = None
    if refine:
        mask = earlier_mask(frame, target, labels, rng, own)
        if rng.random() < 0.3:
            positive[:] = 0  # only this round's corrections on this frame
        if rng.random() < 0.85:
            paint(shape, largest_component(target & ~mask), rng, positive)
        if rng.random() < 0.6:
            paint(shape, largest_component(mask & ~target), rng, negative)
    roi = interaction_roi(shape, positive.astype(bool), mask)
    sample = interaction_input(frame, roi, size, positive.astype(bool), negative.astype(bool), mask)
    return sample, crop_roi(target.astype(np.uint8), roi, size, nearest=True)


def interaction_sampler(store: VideoStore, size: int, refine: bool, own_errors: bool = False):
    own = OwnErrors() if own_errors and refine else None

    def sample(rng: np.random.Generator, batch: int):
        pairs = [sample_interaction(store, rng, size, refine, own) for _ in range(batch)]
        return np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])

    return sample
