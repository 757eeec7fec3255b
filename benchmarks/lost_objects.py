"""What the learned memory's check sees: every merged mask, right or wrong, with its matching share.

    python -m benchmarks.lost_objects --root ~/tpdata/val20 --threads 1

Semi-supervised runs (first-frame ground truth, csrt) of `learned-memory`. Each mask the check
looks at is scored against the ground truth: right (IoU >= 0.5) or wrong (IoU < 0.1, or the
object is absent from the frame), separately for objects being tracked and for objects that
were lost (the mask comes from an ROI the search or the growing lost-object ROI placed). The
table says how many masks of each kind there are and how their matching shares spread, i.e.
whether the check can tell them apart, and how often a lost object's ROI yields the object.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from benchmarks.common import load_sequence, machine
from trackprop.config import RoiConfig, TrackerConfig
from trackprop.data.davis import DavisRoot
from trackprop.models.runtime import WEIGHTS, OnnxNetwork, onnx_for
from trackprop.propagators.memory import LearnedMemoryPropagator
from trackprop.session import Session


class RecordingPropagator(LearnedMemoryPropagator):
    """The learned memory, noting (frame, object, was it lost, share, mask) at every check."""

    def __init__(self, *args):
        super().__init__(*args)
        self.frame = 0
        self.records: list[tuple[int, int, bool, float, np.ndarray]] = []
        self._lost: dict[int, bool] = {}

    def step(self, frame, tracks, upcoming=None):
        self.frame += 1  # forward from frame 0: the n-th step propagates into frame n
        self._lost = {track.object_id: track.lost_frames > 0 for track in tracks}
        return super().step(frame, tracks, upcoming)

    def _accept(self, track, mask):
        share = 1.0 if track.memory is None else self.matching_share(track, mask)
        self.records.append(
            (self.frame, track.object_id, self._lost[track.object_id], share, mask.astype(bool))
        )
        return super()._accept(track, mask)


def outcomes(root: DavisRoot, names: list[str], network: OnnxNetwork, threads: int) -> list:
    """(lost, share, right, wrong) of every checked mask over the videos."""
    rows = []
    for name in names:
        frames, truth = load_sequence(root, name)
        propagator = RecordingPropagator(network, RoiConfig(), TrackerConfig(name="csrt"))
        session = Session(frames, tracker="csrt", propagator=propagator, threads=threads)
        session.add_mask(0, truth[0])
        for _ in session.propagate(0):
            pass
        for t, object_id, lost, share, mask in propagator.records:
            target = truth[t] == object_id
            iou = (mask & target).sum() / max((mask | target).sum(), 1)
            rows.append((lost, share, bool(target.any() and iou >= 0.5), bool(iou < 0.1)))
        print(name, flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", required=True)
    parser.add_argument("--split", default="val")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default="benchmarks/results/lost_objects.md")
    args = parser.parse_args()
    root = DavisRoot(args.root)
    names = root.sequences(args.split)
    network = OnnxNetwork(onnx_for(WEIGHTS / "propagation_memory.pt"), threads=args.threads)
    rows = outcomes(root, names, network, args.threads)
    lines = [
        f"Masks checked by learned-memory (csrt), {len(names)} videos ({args.root}, split "
        f"{args.split}), {machine(args.threads)}. Command: "
        f"`python -m benchmarks.lost_objects --root {args.root}`",
        "",
        "| object was | masks | right (IoU >= 0.5) | wrong (IoU < 0.1 or absent) "
        "| share of right: 25/50/75 % | share of wrong: 25/50/75 % |",
        "|---|---|---|---|---|---|",
    ]
    for lost, label in ((False, "tracked"), (True, "lost")):
        mine = [r for r in rows if r[0] == lost]

        def spread(kind: int, mine=mine) -> str:
            shares = [r[1] for r in mine if r[kind]]
            if not shares:
                return "-"
            return " / ".join(f"{q:.2f}" for q in np.percentile(shares, [25, 50, 75]))

        lines.append(
            f"| {label} | {len(mine)} | {sum(r[2] for r in mine)} | {sum(r[3] for r in mine)} "
            f"| {spread(2)} | {spread(3)} |"
        )
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
