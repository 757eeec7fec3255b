"""`trackprop eval ablation`: the interactive evaluation once per tracker, one table (the paper's Table 1).

Resumable: a tracker whose report folder already holds summary.json is read, not run again.
"""

from __future__ import annotations

import json
from pathlib import Path

from trackprop.config import DEFAULT_PROPAGATOR
from trackprop.eval.interactive import run_interactive
from trackprop.trackers import TRACKERS


def run_ablation(
    root: str | Path,
    subset: str,
    rounds: int,
    time_per_object: float,
    report: str | Path,
    threads: int = 2,
    propagator: str = DEFAULT_PROPAGATOR,
    device: str = "cpu",
) -> Path:
    report = Path(report)
    lines = ["| tracker | AUC | J&F@60s |", "|---|---|---|"]
    for tracker in TRACKERS:
        summary_file = report / tracker / "summary.json"
        if summary_file.is_file():  # resumable: a finished tracker is not run again
            summary = json.loads(summary_file.read_text())
        else:
            summary = run_interactive(
                root,
                subset,
                rounds,
                time_per_object,
                tracker,
                report / tracker,
                threads,
                propagator,
                device,
            )
        lines.append(
            f"| {tracker} | {summary['auc']:.3f} | {summary['metric_at_threshold']['J_AND_F']:.3f} |"
        )
        print(lines[-1], flush=True)
    table = report / "ablation.md"
    table.write_text(
        f"DAVIS interactive protocol on {root} ({subset}), {rounds} rounds, {time_per_object} s per object, {threads} threads, propagator {propagator}.\n\n"
        + "\n".join(lines)
        + "\n"
    )
    return table
