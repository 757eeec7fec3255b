"""Each prompt kind on the annotated frame alone, no propagation: how interaction constants and
candidate first-round checkpoints were chosen (on train-split videos, then confirmed on val).

    python -m benchmarks.first_frame_prompts --root ~/tpdata/calib10 --split train --first-floors 0.25,0.4,0.5

Per setting: the click robot's NoC@85 and mIoU after 1 and 5 clicks (the first-frame part of
`trackprop eval clicks`), the IoU of one scribble (the sequence's Scribbles/<seq>/001.json) and
the IoU of a ground-truth box (the first-frame part of `trackprop eval boxes`), and the mean wall
time of one click (the robot's choice, the network, the merge) on 1 thread.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from benchmarks.common import machine
from trackprop import interaction
from trackprop.boxes import mask_box
from trackprop.data.davis import DavisRoot
from trackprop.eval.prompt_protocols import at_click, click_object, clicks_needed, iou
from trackprop.interaction import Interactor
from trackprop.models.runtime import WEIGHTS, OnnxNetwork, limit_threads, onnx_for, shipped
from trackprop.session import Session


def open_session(root: DavisRoot, name: str, interactor: Interactor) -> Session:
    return Session(root.frame_dir(name), tracker="none", threads=1, interactor=interactor)


def measure(root: DavisRoot, split: str, interactor: Interactor) -> dict:
    curves, scribbled, boxed, click_seconds = [], [], [], 0.0
    for name in root.sequences(split):
        ids = root.object_ids(name)
        truth = root.read_annotation(name, 0)

        clicking = open_session(root, name, interactor)
        started = time.perf_counter()
        curves += [click_object(clicking, k, truth == k) for k in ids]
        click_seconds += time.perf_counter() - started
        boxes = open_session(root, name, interactor).interact(
            0, boxes={k: mask_box(truth == k).tolist() for k in ids}
        )
        boxed += [iou(boxes == k, truth == k) for k in ids]
        scribbles = root.read_scribbles(name)
        frame = next(t for t, items in enumerate(scribbles["scribbles"]) if items)
        labels = open_session(root, name, interactor).interact(frame, scribbles)
        scribbled += [iou(labels == k, root.read_annotation(name, frame) == k) for k in ids]
    return {
        "NoC@85": float(np.mean([clicks_needed(c, 0.85) for c in curves])),
        "mIoU@1": float(np.mean([at_click(c, 1) for c in curves])),
        "mIoU@5": float(np.mean([at_click(c, 5) for c in curves])),
        "scribble IoU": float(np.mean(scribbled)),
        "box IoU": float(np.mean(boxed)),
        "ms/click": 1000 * click_seconds / sum(len(c) for c in curves),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", required=True)
    parser.add_argument("--split", default="val")
    parser.add_argument("--first-floors", default="", help="e.g. 0.25,0.4: first-round ROI floors")
    parser.add_argument("--first-network", default="", help="a first-round checkpoint to score")
    parser.add_argument("--refine-network", default="", help="a refinement checkpoint to score")
    parser.add_argument(
        "--refine-size", type=int, default=0, help="run the refinement network at this side (px)"
    )
    args = parser.parse_args()
    limit_threads(1)
    root = DavisRoot(args.root)
    first = Path(args.first_network) if args.first_network else None
    refine = Path(args.refine_network) if args.refine_network else None
    interactor = Interactor(
        OnnxNetwork(onnx_for(first) if first else shipped("interaction_first"), 1),
        OnnxNetwork(
            onnx_for(refine or WEIGHTS / "interaction_refine.pt", args.refine_size or None), 1
        ),
    )
    shipped_floor = interaction.MIN_ROI_FRACTION["first"]
    floors = [float(f) for f in args.first_floors.split(",") if f] or [shipped_floor]
    print(
        f"{args.root} ({args.split}), {machine(1)}, first round {first or 'shipped'}, refinement {refine or 'shipped'}"
    )
    try:
        for floor in floors:
            interaction.MIN_ROI_FRACTION["first"] = floor
            result = measure(root, args.split, interactor)
            scores = ", ".join(f"{k} {v:.3f}" for k, v in result.items())
            print(f"first-round floor {floor:g}: {scores}")
    finally:  # the floor is module state: leave the shipped one behind, even on an error
        interaction.MIN_ROI_FRACTION["first"] = shipped_floor


if __name__ == "__main__":
    main()
