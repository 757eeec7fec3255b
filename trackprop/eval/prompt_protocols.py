"""The click and box protocols (`trackprop eval clicks|boxes`), beside the DAVIS scribble one.

clicks: on each sequence's first frame, the iterative click robot (click_robot.py) clicks every
object in turn, one click at a time, until its IoU reaches 0.90 or it had MAX_CLICKS; reported:
NoC@85 and NoC@90 (clicks to reach that IoU, MAX_CLICKS when never), mIoU after 1, 3 and 5
clicks, then J&F of the video propagated from the clicked frame.
boxes: the ground-truth box of every object on the first frame (SAM 2's box protocol), then
propagation; reported: first-frame IoU and J&F.
J&F skips the first frame, as the first-frame-mask protocol (benchmarks/quality.py) does, so the
two compare directly.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from trackprop.boxes import mask_box
from trackprop.click_robot import next_click
from trackprop.config import DEFAULT_PROPAGATOR
from trackprop.data.davis import DavisRoot
from trackprop.eval.metrics import video_j_and_f
from trackprop.models.runtime import limit_threads, providers
from trackprop.session import Session

MAX_CLICKS = 20
STOP_IOU = 0.90


def iou(a: np.ndarray, b: np.ndarray) -> float:
    union = (a | b).sum()
    return float((a & b).sum() / union) if union else 1.0


def click_object(session: Session, object_id: int, truth: np.ndarray) -> list[float]:
    """IoU after each click of the robot on one object of frame 0."""
    predicted, curve = session.labels(0) == object_id, []
    while len(curve) < MAX_CLICKS and (not curve or curve[-1] < STOP_IOU):
        click = next_click(predicted, truth)
        if click is None:
            curve.append(1.0)
            break
        predicted = session.interact(0, clicks={object_id: [click]}) == object_id
        curve.append(iou(predicted, truth))
    return curve


def clicks_needed(curve: list[float], threshold: float) -> int:
    return next((i + 1 for i, v in enumerate(curve) if v >= threshold), MAX_CLICKS)


def at_click(curve: list[float], n: int) -> float:
    """IoU after n clicks (the last one reached when the robot stopped earlier)."""
    return curve[min(n, len(curve)) - 1]


def run_protocol(
    kind: str,
    root: str | Path,
    subset: str,
    tracker: str,
    report: str | Path,
    threads: int = 2,
    device: str = "cpu",
    progress: Callable[[str, dict], None] | None = None,
    propagator: str = DEFAULT_PROPAGATOR,
    int8: bool = False,
) -> dict:
    """Run `clicks` or `boxes` over the subset; writes report/summary.json and per_sequence.json.

    `int8`: the propagation network's int8 build, as `propagate --int8` runs it."""
    limit_threads(threads)
    providers(device)
    davis = DavisRoot(root)
    rows = {}
    for name in davis.sequences(subset):
        frames = davis.frame_paths(name)
        truth = np.stack([davis.read_annotation(name, t) for t in range(len(frames))])
        session = Session(
            davis.frame_dir(name),
            tracker=tracker,
            threads=threads,
            device=device,
            propagator=propagator,
            int8=int8,
        )
        ids = davis.object_ids(name)
        row: dict = {}
        if kind == "clicks":
            row["curves"] = {k: click_object(session, k, truth[0] == k) for k in ids}
        else:
            session.interact(0, boxes={k: mask_box(truth[0] == k).tolist() for k in ids})
        row["first_frame_iou"] = float(
            np.mean([iou(session.labels(0) == k, truth[0] == k) for k in ids])
        )
        for _ in session.propagate(0):
            pass
        row["J&F"] = video_j_and_f(session.masks, truth, skip={0})["J&F"]
        rows[name] = row
        if progress:
            progress(name, row)
    summary = {
        "protocol": kind,
        "sequences": len(rows),
        "tracker": tracker,
        "propagator": propagator,
        "network": "int8" if int8 else "fp32",
        "J&F": float(np.mean([r["J&F"] for r in rows.values()])),
        "first_frame_iou": float(np.mean([r["first_frame_iou"] for r in rows.values()])),
    }
    if kind == "clicks":
        curves = [c for r in rows.values() for c in r["curves"].values()]
        summary.update(
            {
                "objects": len(curves),
                "NoC@85": float(np.mean([clicks_needed(c, 0.85) for c in curves])),
                "NoC@90": float(np.mean([clicks_needed(c, 0.90) for c in curves])),
                **{
                    f"mIoU@{n}": float(np.mean([at_click(c, n) for c in curves])) for n in (1, 3, 5)
                },
            }
        )
    report = Path(report)
    report.mkdir(parents=True, exist_ok=True)
    (report / "summary.json").write_text(json.dumps(summary, indent=1))
    (report / "per_sequence.json").write_text(json.dumps(rows, indent=1))
    return summary
