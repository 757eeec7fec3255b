"""`trackprop demo`: the main job on a built-in example that needs no download.

It composites a clip from photos that ship inside scikit-image (so the ground truth is known),
gives the session the first frame's mask, propagates it through the clip with a tracker, exports
DAVIS PNGs and an overlay mp4, and reports J&F against the ground truth.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from trackprop.config import DEFAULT_TRACKER
from trackprop.data.builtin import builtin_pool
from trackprop.data.davis import DavisRoot
from trackprop.data.synth import SynthConfig, synthesize
from trackprop.eval.metrics import video_j_and_f
from trackprop.session import Session

DEMO_SEED = 7


def run_demo(out: Path, tracker: str = DEFAULT_TRACKER) -> dict:
    config = SynthConfig(frames=40, min_objects=2, max_objects=2)
    root = DavisRoot(out / "davis")
    [video] = synthesize(
        root.root, builtin_pool(), videos=1, seed=DEMO_SEED, split="demo", config=config, workers=1
    )
    name = video["name"]
    print(
        f"composited a {config.frames}-frame {config.width}x{config.height} clip with {video['objects']} objects from scikit-image photos: {root.frame_dir(name)}"
    )
    session = Session(root.frame_dir(name), tracker=tracker)
    truth = np.stack([root.read_annotation(name, t) for t in range(config.frames)])
    session.add_mask(0, truth[0])
    start = time.perf_counter()
    count = sum(1 for _ in session.propagate(0))
    seconds = time.perf_counter() - start
    print(
        f"propagated frame 0's mask through {count} frames with tracker '{tracker}' in {seconds:.1f} s ({count / seconds:.1f} frames/s)"
    )
    for fmt in ("davis", "mp4"):
        print(f"exported {fmt}: {session.export(out / 'result' / fmt, fmt)}")
    scores = video_j_and_f(session.masks, truth, skip={0})
    print(
        f"against the ground truth: J {scores['J']:.3f}  F {scores['F']:.3f}  J&F {scores['J&F']:.3f}"
    )
    return scores
