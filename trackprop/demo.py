"""`trackprop demo`: the main job on a built-in example that needs no download."""

from __future__ import annotations

from pathlib import Path

from trackprop.data.builtin import builtin_pool
from trackprop.data.davis import DavisRoot
from trackprop.data.preview import contact_sheet
from trackprop.data.synth import SynthConfig, synthesize
from trackprop.data.video import VideoWriter
from trackprop.visual import overlay

DEMO_SEED = 7


def run_demo(out: Path) -> None:
    config = SynthConfig(frames=40, min_objects=2, max_objects=2)
    root = DavisRoot(out / "davis")
    [video] = synthesize(
        root.root, builtin_pool(), videos=1, seed=DEMO_SEED, split="demo", config=config, workers=1
    )
    name = video["name"]
    print(
        f"composited a {config.frames}-frame {config.width}x{config.height} clip with {video['objects']} objects from scikit-image photos: {root.frame_dir(name)}"
    )
    with VideoWriter(out / "ground_truth_overlay.mp4") as writer:
        for t in range(config.frames):
            writer.write(overlay(root.read_frame(name, t), root.read_annotation(name, t)))
    print(f"wrote the ground-truth overlay video: {out / 'ground_truth_overlay.mp4'}")
    sheet = contact_sheet(root.root, out / "contact_sheet.png", split="demo", sequences=1)
    print(f"wrote a contact sheet: {sheet}")
