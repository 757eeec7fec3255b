"""Propagation speed end to end from an 854x480 mp4, per tracker, with 1 and 4 objects.

    python -m benchmarks.speed --root ~/tpdata/val20 --out benchmarks/results/speed.md

Frames are decoded from an H.264 mp4 (written from a composited val video), the first frame's
ground truth is the given mask, and every other frame is propagated. The split of time between
decode, tracker, crop, network and merge comes from the propagator's own clocks.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from benchmarks.common import load_sequence, machine
from trackprop.data.davis import DavisRoot
from trackprop.data.video import VideoWriter, open_frames
from trackprop.models.runtime import OnnxNetwork, shipped
from trackprop.session import Session
from trackprop.trackers import TRACKERS


def pick(root: DavisRoot, split: str, objects: int) -> str:
    for name in root.sequences(split):
        if len(root.object_ids(name)) == objects:
            return name
    raise SystemExit(f"no sequence with {objects} objects in {root.root} ({split})")


def measure(video: Path, first_mask: np.ndarray, tracker: str, threads: int) -> dict:
    network = OnnxNetwork(shipped("propagation"), threads=threads)
    session = Session(video, tracker=tracker, network=network)
    session.add_mask(0, first_mask)
    start = time.perf_counter()
    count = sum(1 for _ in session.propagate(0))
    total = time.perf_counter() - start
    decode_start = time.perf_counter()
    for _ in open_frames(video):
        pass
    decode = (time.perf_counter() - decode_start) / count
    phases = {k: v / count * 1000 for k, v in session.propagator.seconds.items()}
    return {"fps": count / total, "decode": decode * 1000, **phases}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", required=True)
    parser.add_argument("--split", default="val")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default="benchmarks/results/speed.md")
    args = parser.parse_args()
    cv2.setNumThreads(args.threads)
    root = DavisRoot(args.root)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for objects in (1, 4):
            name = pick(root, args.split, objects)
            frames, labels = load_sequence(root, name)
            video = Path(tmp) / f"{name}.mp4"
            with VideoWriter(video) as writer:
                for frame in frames:
                    writer.write(frame)
            for tracker in TRACKERS:
                result = measure(video, labels[0], tracker, args.threads)
                rows.append((tracker, objects, name, result))
                print(tracker, objects, {k: round(v, 1) for k, v in result.items()})
    lines = [
        f"Propagation speed, 854x480 mp4, {machine(args.threads)}. Command: `python -m benchmarks.speed --root {args.root}`",
        "",
        "| tracker | objects | frames/s | decode ms | tracker ms | crop ms | network ms | merge ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for tracker, objects, _, r in rows:
        lines.append(
            f"| {tracker} | {objects} | {r['fps']:.1f} | {r['decode']:.1f} | {r.get('tracker', 0):.1f} | "
            f"{r.get('crop', 0):.1f} | {r.get('network', 0):.1f} | {r.get('merge', 0):.1f} |"
        )
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
