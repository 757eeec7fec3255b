"""How much of the semi-supervised error is the ROI's: the paper's propagator with oracle ROIs.

    python -m benchmarks.roi_oracle --root ~/tpdata/val20 --oracles none,box,centre,size

Per object and frame the ROI is built as `roi-tracker` builds it, except for what the oracle
gives from the ground truth of that frame: `box` the object's box (centre and size), `centre`
its centre with the size the propagator takes from the previous mask, `size` its size around
the tracker's centre; `none` is the propagator as it ships. Where the object is absent the
propagator's own ROI is kept. The gap between `none` and `box` is what a better tracker (or
re-detection) could gain with today's network; the rest is the network's.

Two oracles leave the ROI alone and check identity instead, as a perfect re-identification
head would: `check-refound` drops a re-found object's mask (the object was lost) unless at
least half of it lies on the object, `check-every` does so on every frame; a dropped mask makes
the object lost, as the propagator's own checks do. They bound what such a head could gain.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from benchmarks.common import machine
from benchmarks.quality import evaluate
from trackprop.boxes import center_size, corners, mask_box
from trackprop.config import RoiConfig, TrackerConfig
from trackprop.data.davis import DavisRoot
from trackprop.models.runtime import OnnxNetwork, shipped
from trackprop.propagators.roi_tracker import ObjectTrack, RoiTrackerPropagator
from trackprop.roi import expand_box
from trackprop.session import Session

CHECKS = ("check-refound", "check-every")  # identity oracles: the ROI stays the propagator's
IDENTITY_SHARE = 0.5  # an identity oracle keeps a mask at least this much on the object


class OracleRoi(RoiTrackerPropagator):
    """`roi-tracker` whose ROI takes the oracle's part from the ground truth `truth` (T,H,W)."""

    def __init__(self, network, oracle: str, truth: np.ndarray, tracker: str):
        super().__init__(network, RoiConfig(), TrackerConfig(name=tracker))
        self.oracle, self.truth, self.frame = oracle, truth, 0

    def step(
        self, frame: np.ndarray, tracks: list[ObjectTrack], upcoming: np.ndarray | None = None
    ) -> np.ndarray:
        self.frame += 1  # the benchmark propagates forward from frame 0
        return super().step(frame, tracks, upcoming)

    def _accept(self, track: ObjectTrack, mask: np.ndarray) -> bool:
        if self.oracle not in CHECKS or (self.oracle == "check-refound" and not track.lost_frames):
            return True
        inside = mask.astype(bool)
        on_object = inside & (self.truth[self.frame] == track.object_id)
        return on_object.sum() >= IDENTITY_SHARE * inside.sum()

    def _region(
        self, track: ObjectTrack, frame: np.ndarray, frame_grey: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        roi, previous = super()._region(track, frame, frame_grey)
        box = mask_box((self.truth[self.frame] == track.object_id).astype(np.uint8))
        if box is None or self.oracle in ("none", *CHECKS):
            return roi, previous
        centre, size = center_size(box)
        if self.oracle == "centre" and track.last_box is not None:
            size = center_size(track.last_box)[1]  # the size the propagator takes
        elif self.oracle == "size":
            centre = center_size(roi)[0]
        return expand_box(corners(centre, size), self.roi), previous


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", required=True)
    parser.add_argument("--split", default="val")
    parser.add_argument("--tracker", default="csrt")
    parser.add_argument("--oracles", default="none,box,centre,size")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default="benchmarks/results/roi_oracle.md")
    args = parser.parse_args()
    root = DavisRoot(args.root)
    network = OnnxNetwork(shipped("propagation"), threads=args.threads)
    lines = [
        f"Semi-supervised J&F with oracle ROIs, {args.tracker}, {args.root} (split {args.split}), "
        f"{machine(args.threads)}. Command: `python -m benchmarks.roi_oracle --root {args.root} "
        f"--oracles {args.oracles}`",
        "",
        "| oracle | J&F |",
        "|---|---|",
    ]
    for oracle in args.oracles.split(","):

        def make_session(frames, truth, oracle=oracle):
            propagator = OracleRoi(network, oracle, truth, args.tracker)
            return Session(frames, tracker=args.tracker, propagator=propagator)

        scores = evaluate(root, root.sequences(args.split), make_session)
        lines.append(f"| {oracle} | {scores['J&F']:.3f} |")
        print(lines[-1], flush=True)
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
