"""Semi-supervised J&F on a composited val set: first-frame ground truth, then propagate.

    python -m benchmarks.quality --root ~/tpdata/val20 --out benchmarks/results/quality.md

One row per (propagator, tracker), `none` (ROI = whole frame, the paper's "without tracking")
included. `--keyframes 25` restarts the trackers every 25 frames as `trackprop propagate` does
(its resumable runs). `--network runs/x.pt` scores a candidate checkpoint before it ships; `--memory-weights`
scores the memory propagator at several weights (how its default was chosen, on train-split
videos); `--int8` runs it in int8 (`models/quantize.py`), `--bf16` in bf16 (`models/bf16.py`); `--size 160` runs the network at another input side than it was trained at (README, "Speed");
`--videos-out FILE.json` keeps each video's scores, for `python -m benchmarks.paired`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from benchmarks.common import load_sequence, machine, precision
from trackprop.config import DEFAULT_PROPAGATOR, RoiConfig, TrackerConfig
from trackprop.data.davis import DavisRoot
from trackprop.eval.metrics import video_j_and_f
from trackprop.models.runtime import WEIGHTS, int8_for, onnx_for, open_network
from trackprop.propagators import PROPAGATORS
from trackprop.session import Session
from trackprop.trackers import TRACKERS


class Restarts:
    """Keyframes kept nowhere: the trackers restart every `every` frames as in `trackprop
    propagate`'s resumable runs, so their effect on quality can be measured."""

    def __init__(self, every: int):
        self.every = every

    def load(self, direction: str) -> None:
        return None

    def save(self, direction: str, frame: int, state: dict) -> None:
        pass

    def finish(self, direction: str) -> None:
        pass


def evaluate(
    root: DavisRoot, names: list[str], make_session, keyframes: Restarts | None = None
) -> dict:
    """Mean J, F, J&F over videos, and under "videos" each video's (speed lives in
    benchmarks/speed.py, measured on an idle machine)."""
    scores = {}
    for name in names:
        frames, truth = load_sequence(root, name)
        session = make_session(frames, truth)  # the truth is for oracles (benchmarks.roi_oracle)
        session.add_mask(0, truth[0])
        for _ in session.propagate(0, keyframes):
            pass
        scores[name] = video_j_and_f(session.masks, truth, skip={0})  # plain floats, int count
    means = {key: float(np.mean([s[key] for s in scores.values()])) for key in ("J", "F", "J&F")}
    return {**means, "videos": scores}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", required=True)
    parser.add_argument("--split", default="val")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--trackers", default=",".join(TRACKERS))
    parser.add_argument("--propagators", default=DEFAULT_PROPAGATOR)
    parser.add_argument("--memory-weights", default="", help="e.g. 0,4,8,16: memory rows only")
    parser.add_argument(
        "--network", help="checkpoint (.pt) to measure; default: each propagator's shipped one"
    )
    parser.add_argument(
        "--keyframes", type=int, default=0, help="restart trackers every N frames (CLI: 25)"
    )
    parser.add_argument(
        "--size", type=int, help="input side to run the network at; default: its training side"
    )
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument(
        "--int8", action="store_true", help="in int8, with the ranges beside the checkpoint"
    )
    choice.add_argument(
        "--bf16", action="store_true", help="in bf16 (--device cpu-bf16), where the CPU has it"
    )
    parser.add_argument(
        "--lost-max-growth",
        type=float,
        default=RoiConfig().lost_max_growth,
        help="how far a lost object's search ROI grows (times its side)",
    )
    parser.add_argument(
        "--flow-weight",
        type=float,
        default=TrackerConfig().flow_weight,
        help="share of the mask's optical flow in the ROI's centre (0: the tracker's alone)",
    )
    parser.add_argument("--out", default="benchmarks/results/quality.md")
    parser.add_argument(
        "--videos-out",
        type=Path,
        help="each video's J, F, J&F as JSON, for `python -m benchmarks.paired` (one row only)",
    )
    args = parser.parse_args()
    if args.videos_out and ("," in args.trackers or "," in args.propagators or args.memory_weights):
        parser.error("--videos-out scores one row: give one tracker and one propagator")
    device = "cpu-bf16" if args.bf16 else "cpu"
    root = DavisRoot(args.root)
    names = root.sequences(args.split)

    def checkpoint(propagator: str) -> Path:
        return Path(args.network or WEIGHTS / f"{PROPAGATORS[propagator].network_name}.pt")

    lines = [
        f"Semi-supervised J&F, {len(names)} composited videos ({args.root}, split {args.split}), "
        f"{machine(args.threads)}. Command: "
        f"`python -m benchmarks.quality --root {args.root} --propagators {args.propagators}"
        + (f" --network {args.network}" if args.network else "")
        + (f" --keyframes {args.keyframes}" if args.keyframes else "")
        + (f" --size {args.size}" if args.size else "")
        + (" --int8" if args.int8 else "")
        + (" --bf16" if args.bf16 else "")
        + f" --lost-max-growth {args.lost_max_growth:g} --flow-weight {args.flow_weight:g}`",
        "",
        "| propagator | network | tracker | J | F | J&F |",
        "|---|---|---|---|---|---|",
    ]
    rows = [(p, {}) for p in args.propagators.split(",")]
    if args.memory_weights:
        rows = [("memory", {"weight": float(w)}) for w in args.memory_weights.split(",")]
    for propagator, options in rows:
        path = onnx_for(checkpoint(propagator), args.size)
        if args.int8:
            path = int8_for(checkpoint(propagator), path)
        network = open_network(path, args.threads, device, args.int8)
        for tracker in args.trackers.split(","):
            built = PROPAGATORS[propagator](
                network,
                RoiConfig(lost_max_growth=args.lost_max_growth),
                TrackerConfig(name=tracker, flow_weight=args.flow_weight),
                **options,
            )

            def make_session(frames, truth, built=built, tracker=tracker):
                return Session(frames, tracker=tracker, propagator=built, threads=args.threads)

            r = evaluate(
                root, names, make_session, Restarts(args.keyframes) if args.keyframes else None
            )
            label = propagator + (f" (weight {options['weight']:g})" if options else "")
            lines.append(
                f"| {label} | {checkpoint(propagator).name}, {precision(device, args.int8)} | {tracker} "
                f"| {r['J']:.3f} | {r['F']:.3f} | {r['J&F']:.3f} |"
            )
            print(lines[-1], flush=True)
            if args.videos_out:
                report = {
                    "root": Path(args.root).name,
                    "command": lines[0],
                    "propagator": label,
                    "network": checkpoint(propagator).name,
                    "precision": precision(device, args.int8),
                    "tracker": tracker,
                }
                args.videos_out.write_text(json.dumps({**report, "videos": r["videos"]}, indent=1))
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
