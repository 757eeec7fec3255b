"""Tracking benchmark: success AUC, precision and frames/s of every box tracker.

    python -m benchmarks.tracking --root ~/tpdata/val20 --out benchmarks/results/tracking.md

Each object of each val video is tracked from the first frame where it is visible, initialised
with its ground-truth box (one-pass evaluation, no re-initialisation). Scored on the frames where
the object is visible: success = fraction of frames whose box IoU exceeds a threshold, averaged
over thresholds 0, 0.05, ..., 1 (the area under the success curve); precision = fraction of
frames whose box centre is within 20 px of the truth. Frames/s: one object, the tracker's
update alone on 854x480 frames, with `--threads` threads.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from benchmarks.common import load_sequence, machine
from trackprop.boxes import box_iou, mask_box
from trackprop.data.davis import DavisRoot
from trackprop.models.runtime import limit_threads
from trackprop.trackers import TRACKERS, make_tracker

THRESHOLDS = np.linspace(0, 1, 21)
PRECISION_PIXELS = 20


def track_object(tracker_name: str, frames: np.ndarray, labels: np.ndarray, obj: int):
    """(IoUs, centre errors, seconds per update) over the frames where `obj` is visible."""
    boxes = [mask_box(labels[t] == obj) for t in range(len(frames))]
    start = next(t for t, box in enumerate(boxes) if box is not None)
    tracker = make_tracker(tracker_name)
    tracker.init(frames[start], boxes[start])
    ious, errors, seconds = [], [], []
    for t in range(start + 1, len(frames)):
        began = time.perf_counter()
        box, _ = tracker.update(frames[t])
        seconds.append(time.perf_counter() - began)
        truth = boxes[t]
        if truth is None:
            continue
        ious.append(box_iou(box, truth))
        errors.append(float(np.linalg.norm((box[:2] + box[2:]) / 2 - (truth[:2] + truth[2:]) / 2)))
    return ious, errors, seconds


def evaluate(root: DavisRoot, names: list[str], tracker: str) -> dict:
    ious, errors, seconds = [], [], []
    for name in names:
        frames, labels = load_sequence(root, name)
        for obj in np.unique(labels[0]):
            if obj == 0:
                continue
            i, e, s = track_object(tracker, frames, labels, int(obj))
            ious += i
            errors += e
            seconds += s
    ious, errors = np.array(ious), np.array(errors)
    return {
        "auc": float(np.mean([(ious > t).mean() for t in THRESHOLDS])),
        "precision": float((errors <= PRECISION_PIXELS).mean()),
        "fps": 1 / float(np.mean(seconds)),
        "frames": len(ious),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", required=True)
    parser.add_argument("--split", default="val")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--trackers", default=",".join(t for t in TRACKERS if t != "none"))
    parser.add_argument("--videos", type=int, help="only the first N videos (a quick look)")
    parser.add_argument("--out", default="benchmarks/results/tracking.md")
    args = parser.parse_args()
    limit_threads(args.threads)
    root = DavisRoot(args.root)
    names = root.sequences(args.split)[: args.videos]
    lines = [
        f"Box tracking on {len(names)} composited val videos ({args.root}, split {args.split}), "
        f"one pass from the first visible frame, {machine(args.threads)}. "
        f"Command: `python -m benchmarks.tracking --root {args.root}`",
        "",
        "| tracker | success AUC | precision @20px | frames/s (1 object, 854x480) | scored frames |",
        "|---|---|---|---|---|",
    ]
    for tracker in args.trackers.split(","):
        r = evaluate(root, names, tracker)
        lines.append(
            f"| {tracker} | {r['auc']:.3f} | {r['precision']:.3f} | {r['fps']:.1f} | {r['frames']} |"
        )
        print(lines[-1], flush=True)
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
