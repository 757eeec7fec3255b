"""A small composited clip as an mp4 plus its ground truth, for the GUI tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from trackprop.data.builtin import builtin_pool
from trackprop.data.davis import DavisRoot
from trackprop.data.synth import SynthConfig, synthesize
from trackprop.data.video import VideoWriter

GUI_CLIP = SynthConfig(frames=8, height=240, width=428, min_objects=1, max_objects=1)


def make_clip(folder: Path) -> tuple[Path, np.ndarray]:
    """(mp4 path, (T,H,W) ground-truth labels) of a one-object clip (seed 20: the horse, whose
    silhouette is far from its box, so a box-shaped answer scores low)."""
    [info] = synthesize(
        folder / "davis", builtin_pool(), videos=1, seed=20, split="val", config=GUI_CLIP, workers=1
    )
    root = DavisRoot(folder / "davis")
    video = folder / "clip.mp4"
    with VideoWriter(video) as writer:
        for t in range(GUI_CLIP.frames):
            writer.write(root.read_frame(info["name"], t))
    truth = np.stack([root.read_annotation(info["name"], t) for t in range(GUI_CLIP.frames)])
    return video, truth


def stroke_inside_object(truth: np.ndarray) -> list[list[float]]:
    """A short horizontal DAVIS path through the object's centre on frame 0."""
    ys, xs = np.nonzero(truth[0] == 1)
    cy, cx = np.median(ys), np.median(xs)
    h, w = truth.shape[1:]
    span = 0.25 * (xs.max() - xs.min())
    row = [x for x in np.linspace(cx - span, cx + span, 8) if truth[0, int(cy), int(x)] == 1]
    return [[x / (w - 1), cy / (h - 1)] for x in row]
