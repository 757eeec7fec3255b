"""`trackprop eval interactive`: the DAVIS interactive protocol, driven by the real davisinteractive.

The official robot draws each round's scribbles on the frame where our masks are worst; its own
metrics and its clock (so time spent on this CPU counts) produce the AUC of J&F over time and J&F
at 60 s. Our sequences are registered in its sequence table from the DAVIS root on disk, which is
also how a real DAVIS-2017 root is read, so the same command serves both.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from trackprop.config import DEFAULT_PROPAGATOR
from trackprop.data.davis import DavisRoot
from trackprop.errors import TrackpropError
from trackprop.eval.davis_compat import Davis, DavisInteractiveSession, annotated_frames
from trackprop.models.runtime import limit_threads, onnx_for, open_network, providers
from trackprop.session import Session

TIME_THRESHOLD = 60  # seconds: the J&F@60s point of the curve


def register_sequences(root: DavisRoot, subset: str) -> list[str]:
    """Replace davisinteractive's sequence table with the sequences of `subset` under `root`."""
    names = root.sequences(subset)
    table = {}
    for name in names:
        annotations = root.annotation_paths(name)
        if not annotations:
            raise TrackpropError(
                f"{root.annotation_dir(name)}: sequence '{name}' has no annotations."
            )
        first = root.read_annotation(name, 0)
        num_objects = max(int(root.read_annotation(name, t).max()) for t in range(len(annotations)))
        scribbles = sorted((root.root / "Scribbles" / name).glob("*.json"))
        if not scribbles:
            raise TrackpropError(
                f"{root.root / 'Scribbles' / name}: sequence '{name}' has no scribble files."
            )
        table[name] = {
            "name": name,
            "set": subset,
            "year": 2017,
            "eval_t": False,
            "attributes": [],
            "num_frames": len(annotations),
            "num_objects": num_objects,
            "image_size": [first.shape[1], first.shape[0]],
            "num_scribbles": len(scribbles),
        }
    Davis.dataset = table
    Davis.sets = {subset: names}
    return names


def accumulate(total: dict | None, new: dict) -> dict:
    """All scribbles so far: per frame, the items of every round."""
    if total is None:
        return {
            "sequence": new["sequence"],
            "scribbles": [list(items) for items in new["scribbles"]],
        }
    for frame, items in enumerate(new["scribbles"]):
        total["scribbles"][frame].extend(items)
    return total


def run_interactive(
    root: str | Path,
    subset: str,
    rounds: int,
    time_per_object: float,
    tracker: str,
    report: str | Path,
    threads: int = 2,
    propagator: str = DEFAULT_PROPAGATOR,
    device: str = "cpu",
    network: str | Path | None = None,
    int8: bool = False,
) -> dict:
    """Run the protocol; writes the raw report, the summary JSON, a per-sequence table and the curve plot.

    `threads`: CPU threads of every library we run (the protocol's clock counts our time).
    `network`: a propagation checkpoint (.pt) to run instead of the shipped one.
    `int8`: the shipped propagation network's int8 build (`models/quantize.py`).
    """
    candidate = onnx_for(Path(network)) if network else None  # built (and checked) once
    limit_threads(threads)
    providers(device)  # before the evaluation starts, not at its first sequence
    davis = DavisRoot(root)
    names = register_sequences(davis, subset)
    report = Path(report)
    report.mkdir(parents=True, exist_ok=True)
    session, scribbles, rows = None, None, {}
    with DavisInteractiveSession(
        host="localhost",
        davis_root=str(davis.root),
        subset=subset,
        max_nb_interactions=rounds,
        max_time=time_per_object,
        report_save_dir=str(report),
    ) as evaluation:
        while evaluation.next():
            sequence, last, new_sequence = evaluation.get_scribbles(only_last=True)
            if new_sequence:
                session = Session(
                    davis.frame_dir(sequence),
                    tracker=tracker,
                    threads=threads,
                    propagator=propagator,
                    device=device,
                    network=open_network(candidate, threads, device) if candidate else None,
                    int8=int8,
                )
                scribbles = None
            scribbles = accumulate(scribbles, last)
            for frame in annotated_frames(last):
                session.interact(frame, scribbles)
                for _ in session.propagate(frame):
                    pass
            evaluation.submit_masks(session.masks.astype(np.int64))
            rows[sequence] = rows.get(sequence, 0) + 1
        summary = evaluation.get_global_summary(save_file=str(report / "summary.json"))
        frame_report = evaluation.get_report()
    frame_report.to_csv(report / "report.csv")
    write_tables(frame_report, summary, report, names, network_label(network, int8))
    return summary


def network_label(network: str | Path | None, int8: bool) -> str:
    """Which propagation network a report's numbers come from: a candidate's path, int8 or fp32."""
    return str(network) if network else "int8" if int8 else "fp32"


def write_tables(frame_report, summary: dict, report: Path, names: list[str], network: str) -> None:
    """Per-sequence table (J&F after each round) and the J&F-over-time curve as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = (
        frame_report.reset_index().groupby(["sequence", "interaction"])["j_and_f"].mean().unstack()
    )
    table.to_csv(report / "per_sequence.csv")
    curve = summary["curve"]
    figure, axis = plt.subplots(figsize=(6, 4))
    axis.plot(curve["time"], curve["J_AND_F"], marker="o")
    axis.axvline(TIME_THRESHOLD, color="grey", linestyle="--")
    axis.set_xlabel("time (s)")
    axis.set_ylabel("J&F")
    axis.set_title(
        f"AUC {summary['auc']:.3f}, J&F@60s {summary['metric_at_threshold']['J_AND_F']:.3f}"
    )
    axis.set_ylim(0, 1)
    figure.tight_layout()
    figure.savefig(report / "curve.png", dpi=100)
    plt.close(figure)
    (report / "headline.json").write_text(
        json.dumps(
            {
                "auc": summary["auc"],
                "jf_at_60s": summary["metric_at_threshold"]["J_AND_F"],
                "sequences": len(names),
                "network": network,
            }
        )
    )
