"""Propagation speed end to end from an 854x480 mp4, per tracker, with 1 and 4 objects.

    python -m benchmarks.speed --root ~/tpdata/val20 --out benchmarks/results/speed.md

Frames are decoded from an H.264 mp4 (written from a composited val video), the first frame's
ground truth is the given mask, and every other frame is propagated. The split of time between
decode, tracker, crop, network and merge comes from the propagator's own clocks. `--int8` and
`--bf16` run the propagation network in those (`models/quantize.py`, `models/bf16.py`).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from benchmarks.common import load_sequence, machine, precision
from trackprop.config import DEFAULT_PROPAGATOR
from trackprop.data.davis import DavisRoot
from trackprop.data.video import VideoWriter, open_frames
from trackprop.session import Session
from trackprop.trackers import TRACKERS


def pick(root: DavisRoot, split: str, objects: int) -> str:
    for name in root.sequences(split):
        if len(root.object_ids(name)) == objects:
            return name
    raise SystemExit(f"no sequence with {objects} objects in {root.root} ({split})")


def measure(
    video: Path,
    first_mask: np.ndarray,
    tracker: str,
    propagator: str,
    threads: int,
    device: str = "cpu",
    int8: bool = False,
) -> dict:
    session = Session(
        video, tracker, threads=threads, propagator=propagator, device=device, int8=int8
    )
    session.add_mask(0, first_mask)
    start = time.perf_counter()
    count = sum(1 for _ in session.propagate(0))
    total = time.perf_counter() - start
    decode_start = time.perf_counter()
    for _ in open_frames(video):
        pass
    decode = (time.perf_counter() - decode_start) / count
    phases = {k: v / count * 1000 for k, v in session.propagator.seconds.items()}
    return {
        "precision": precision(device, int8),
        "fps": count / total,
        "decode": decode * 1000,
        **phases,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", required=True)
    parser.add_argument("--split", default="val")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--trackers", default=",".join(TRACKERS))
    parser.add_argument("--propagators", default=DEFAULT_PROPAGATOR)
    parser.add_argument("--out", default="benchmarks/results/speed.md")
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument(
        "--int8", action="store_true", help="the propagation network in int8 (where it ships)"
    )
    choice.add_argument(
        "--bf16", action="store_true", help="in bf16 (--device cpu-bf16), where the CPU has it"
    )
    args = parser.parse_args()
    device = "cpu-bf16" if args.bf16 else "cpu"
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
            for propagator in args.propagators.split(","):
                for tracker in args.trackers.split(","):
                    result = measure(
                        video, labels[0], tracker, propagator, args.threads, device, args.int8
                    )
                    rows.append((propagator, tracker, objects, result))
                    shown = {
                        k: round(v, 1) if isinstance(v, float) else v for k, v in result.items()
                    }
                    print(propagator, tracker, objects, shown)
    lines = [
        f"Propagation speed, 854x480 mp4, {machine(args.threads)}. Command: `python -m benchmarks.speed --root {args.root} --propagators {args.propagators}"
        + (" --int8" if args.int8 else " --bf16" if args.bf16 else "")
        + "`",
        "",
        "| propagator | network in | tracker | objects | frames/s | decode ms | tracker ms | crop ms | network ms | memory ms | merge ms |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for propagator, tracker, objects, r in rows:
        phases = " | ".join(
            f"{r.get(phase, 0):.1f}" for phase in ("tracker", "crop", "network", "memory", "merge")
        )
        lines.append(
            f"| {propagator} | {r['precision']} | {tracker} | {objects} | {r['fps']:.1f} | {r['decode']:.1f} | {phases} |"
        )
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
