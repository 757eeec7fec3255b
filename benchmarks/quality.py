"""Semi-supervised J&F on a composited val set: first-frame ground truth, then propagate.

    python -m benchmarks.quality --root ~/tpdata/val20 --out benchmarks/results/quality.md

One row per tracker, `none` (ROI = whole frame, the paper's "without tracking") included.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from benchmarks.common import load_sequence, machine
from trackprop.data.davis import DavisRoot
from trackprop.eval.metrics import video_j_and_f
from trackprop.models.runtime import OnnxNetwork, shipped
from trackprop.session import Session
from trackprop.trackers import TRACKERS


def evaluate(root: DavisRoot, names: list[str], tracker: str, network: OnnxNetwork) -> dict:
    """Mean J, F, J&F over videos (speed lives in benchmarks/speed.py, measured on an idle machine)."""
    scores = []
    for name in names:
        frames, truth = load_sequence(root, name)
        session = Session(frames, tracker=tracker, network=network)
        session.add_mask(0, truth[0])
        for _ in session.propagate(0):
            pass
        scores.append(video_j_and_f(session.masks, truth, skip={0}))
    return {key: float(np.mean([s[key] for s in scores])) for key in ("J", "F", "J&F")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", required=True)
    parser.add_argument("--split", default="val")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--trackers", default=",".join(TRACKERS))
    parser.add_argument("--out", default="benchmarks/results/quality.md")
    args = parser.parse_args()
    root = DavisRoot(args.root)
    names = root.sequences(args.split)
    network = OnnxNetwork(shipped("propagation"), threads=args.threads)
    lines = [
        f"Semi-supervised J&F, {len(names)} composited val videos ({args.root}, split {args.split}), "
        f"{machine(args.threads)}. Command: `python -m benchmarks.quality --root {args.root}`",
        "",
        "| tracker | J | F | J&F |",
        "|---|---|---|---|",
    ]
    for tracker in args.trackers.split(","):
        r = evaluate(root, names, tracker, network)
        lines.append(f"| {tracker} | {r['J']:.3f} | {r['F']:.3f} | {r['J&F']:.3f} |")
        print(lines[-1], flush=True)
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
