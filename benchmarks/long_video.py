"""Long videos in constant memory: wall time and peak RSS of `trackprop propagate`'s pipeline on
1,000, 3,000 and 10,000-frame 854x480 mp4s.

    python -m benchmarks.long_video --root ~/tpdata/val20 --out benchmarks/results/long_video.md

The long video is a composited val sequence played forwards and backwards until it is long
enough (so the motion stays continuous), encoded to H.264. Each length runs in a fresh process
(the same pipeline as `trackprop propagate ... --format davis`: decode, track, propagate, a PNG per
frame written as it is done, keyframes), which reports its own peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import load_sequence, machine
from trackprop.data.davis import DavisRoot, write_label_png
from trackprop.data.video import VideoWriter
from trackprop.pipeline import Job, run_job


def write_long_video(root: DavisRoot, name: str, frames: int, folder: Path) -> tuple[Path, Path]:
    """(mp4, first-frame mask) of `frames` frames made from sequence `name`, back and forth."""
    images, labels = load_sequence(root, name)
    order = list(range(len(images))) + list(range(len(images) - 2, 0, -1))
    video, mask = folder / f"long{frames}.mp4", folder / "mask.png"
    with VideoWriter(video) as writer:
        for t in range(frames):
            writer.write(images[order[t % len(order)]])
    write_label_png(mask, labels[0])
    return video, mask


def child(video: str, mask: str, out: str, tracker: str, threads: int) -> None:
    """One measured run, in its own process so its peak RSS is its own."""
    start = time.perf_counter()
    result = run_job(Job(video=video, out=out, mask=mask, tracker=tracker), threads=threads)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB
    print(json.dumps({"frames": result.frames, "seconds": seconds, "peak_mb": peak_mb}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", help="DAVIS root holding the sequence to loop")
    parser.add_argument("--split", default="val")
    parser.add_argument("--lengths", default="1000,3000,10000")
    parser.add_argument("--tracker", default="csrt")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default="benchmarks/results/long_video.md")
    parser.add_argument(
        "--child", nargs=3, metavar=("VIDEO", "MASK", "OUT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        child(*args.child, args.tracker, args.threads)
        return
    root = DavisRoot(args.root)
    name = root.sequences(args.split)[0]
    lines = [
        f"Long videos: `trackprop propagate`'s pipeline (csrt unless said, davis PNGs written as it "
        f"goes) on sequence {name} of {args.root} looped to length, 854x480 H.264, "
        f"{machine(args.threads)}. Command: `python -m benchmarks.long_video --root {args.root}`",
        "",
        "| frames | tracker | wall s | frames/s | peak RSS MB |",
        "|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for length in map(int, args.lengths.split(",")):
            video, mask = write_long_video(root, name, length, Path(tmp))
            command = [sys.executable, "-m", "benchmarks.long_video", "--tracker", args.tracker]
            command += ["--threads", str(args.threads), "--child", str(video), str(mask)]
            command += [str(Path(tmp) / f"out{length}")]
            report = json.loads(
                subprocess.run(
                    command, capture_output=True, text=True, check=True
                ).stdout.splitlines()[-1]
            )
            lines.append(
                f"| {report['frames']} | {args.tracker} | {report['seconds']:.0f} | "
                f"{report['frames'] / report['seconds']:.1f} | {report['peak_mb']:.0f} |"
            )
            print(lines[-1], flush=True)
            video.unlink()
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
