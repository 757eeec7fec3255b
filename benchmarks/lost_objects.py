"""What a propagator's check sees: every merged mask, right or wrong, with the check's score.

    python -m benchmarks.lost_objects --root ~/tpdata/val20 --threads 1
    python -m benchmarks.lost_objects --root ~/tpdata/train400x --split train --propagator roi-tracker

Semi-supervised runs (first-frame ground truth, csrt). `learned-memory` checks every mask by its
matching share; `roi-tracker` checks a lost object's mask by its colours' distance to the
object's whole mask (colour_signature.py; a tracked object's mask is not checked, score 0). Each
mask the check looks at is scored against the ground truth: right (IoU >= 0.5) or wrong
(IoU < 0.1, or the object is absent from the frame), separately for objects being tracked and
for objects that were lost (the mask comes from an ROI the search or the growing lost-object ROI
placed). The table says how many masks of each kind there are and how their scores spread, i.e.
whether the check can tell them apart, and how often a lost object's ROI yields the object.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from benchmarks.common import load_sequence, machine
from trackprop.colour_signature import colour_distance, colour_signature
from trackprop.config import RoiConfig, TrackerConfig
from trackprop.data.davis import DavisRoot
from trackprop.models.runtime import WEIGHTS, OnnxNetwork, onnx_for
from trackprop.propagators.memory import LearnedMemoryPropagator
from trackprop.propagators.roi_tracker import (
    REFOUND_MAX_AREA,
    REFOUND_MAX_COLOUR_DISTANCE,
    RoiTrackerPropagator,
    whole_colours,
)
from trackprop.session import Session


class Recording:
    """A propagator noting (frame, object, was it lost, score, mask) at every check."""

    def __init__(self, *args):
        super().__init__(*args)
        self.frame = 0
        self.records: list[tuple[int, int, bool, float, np.ndarray]] = []
        self._lost: dict[int, bool] = {}

    def step(self, frame, tracks, upcoming=None):
        self.frame += 1  # forward from frame 0: the n-th step propagates into frame n
        self._lost = {track.object_id: track.lost_frames > 0 for track in tracks}
        return super().step(frame, tracks, upcoming)

    def _accept(self, track, mask, frame):
        score = self.score(track, mask, frame)
        self.records.append(
            (self.frame, track.object_id, self._lost[track.object_id], score, mask.astype(bool))
        )
        return super()._accept(track, mask, frame)


class RecordingMemory(Recording, LearnedMemoryPropagator):
    def score(self, track, mask, frame) -> float:
        return 1.0 if track.memory is None else self.matching_share(track, mask)


class RecordingRoiTracker(Recording, RoiTrackerPropagator):
    def score(self, track, mask, frame) -> float:
        colours = whole_colours(track)  # read when first needed, as `_accept` reads it
        if not track.lost_frames or colours is None:
            return 0.0
        return colour_distance(colours, colour_signature(frame, mask))


RECORDING = {"learned-memory": RecordingMemory, "roi-tracker": RecordingRoiTracker}


def outcomes(
    root: DavisRoot, names: list[str], network: OnnxNetwork, threads: int, propagator_name: str
) -> list:
    """(lost, score, right, wrong) of every checked mask over the videos."""
    rows = []
    for name in names:
        frames, truth = load_sequence(root, name)
        propagator = RECORDING[propagator_name](network, RoiConfig(), TrackerConfig(name="csrt"))
        session = Session(frames, tracker="csrt", propagator=propagator, threads=threads)
        session.add_mask(0, truth[0])
        for _ in session.propagate(0):
            pass
        for t, object_id, lost, score, mask in propagator.records:
            target = truth[t] == object_id
            iou = (mask & target).sum() / max((mask | target).sum(), 1)
            rows.append((lost, score, bool(target.any() and iou >= 0.5), bool(iou < 0.1)))
        print(name, flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", required=True)
    parser.add_argument("--split", default="val")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--propagator", choices=sorted(RECORDING), default="learned-memory")
    parser.add_argument("--out", default="benchmarks/results/lost_objects.md")
    args = parser.parse_args()
    root = DavisRoot(args.root)
    names = root.sequences(args.split)
    weights = RECORDING[args.propagator].network_name
    network = OnnxNetwork(onnx_for(WEIGHTS / f"{weights}.pt"), threads=args.threads)
    rows = outcomes(root, names, network, args.threads, args.propagator)
    score = "share" if args.propagator == "learned-memory" else "colour distance"
    lines = [
        f"Masks checked by {args.propagator} (csrt), {len(names)} videos ({args.root}, split "
        f"{args.split}), {machine(args.threads)}. Command: "
        f"`python -m benchmarks.lost_objects --root {args.root} --split {args.split} "
        f"--propagator {args.propagator}`",
        "",
        "| object was | masks | right (IoU >= 0.5) | wrong (IoU < 0.1 or absent) "
        f"| {score} of right: 25/50/75 % | {score} of wrong: 25/50/75 % |",
        "|---|---|---|---|---|---|",
    ]
    for lost, label in ((False, "tracked"), (True, "lost")):
        mine = [r for r in rows if r[0] == lost]

        def spread(kind: int, mine=mine) -> str:
            scores = [r[1] for r in mine if r[kind]]
            if not scores:
                return "-"
            return " / ".join(f"{q:.2f}" for q in np.percentile(scores, [25, 50, 75]))

        lines.append(
            f"| {label} | {len(mine)} | {sum(r[2] for r in mine)} | {sum(r[3] for r in mine)} "
            f"| {spread(2)} | {spread(3)} |"
        )
    if args.propagator == "roi-tracker":
        lost = [r for r in rows if r[0]]
        kept = [r for r in lost if r[1] <= REFOUND_MAX_COLOUR_DISTANCE]
        lines.append(
            f"\nLost objects' masks within the colour distance {REFOUND_MAX_COLOUR_DISTANCE:g} "
            f"(kept, unless {REFOUND_MAX_AREA:g} times the whole mask's area): right "
            f"{sum(r[2] for r in kept)} of {sum(r[2] for r in lost)}, wrong "
            f"{sum(r[3] for r in kept)} of {sum(r[3] for r in lost)}."
        )
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
