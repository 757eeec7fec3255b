import itertools
import json

import numpy as np
import pandas as pd
import pytest
from conftest import record_networks

pytest.importorskip(
    "davisinteractive", reason="the evaluation extra is not installed (make test installs it)"
)

from trackprop.data.builtin import builtin_pool
from trackprop.data.synth import SynthConfig, synthesize
from trackprop.errors import TrackpropError
from trackprop.eval import interactive
from trackprop.eval.interactive import run_interactive
from trackprop.models.runtime import WEIGHTS

TINY = SynthConfig(frames=6, height=120, width=214, min_objects=1, max_objects=2)


@pytest.fixture
def fake_clock(monkeypatch):
    """davisinteractive's clock advances exactly 0.5 s per reading: timings are deterministic."""
    import davisinteractive.session.session as session_module

    ticks = itertools.count()
    monkeypatch.setattr(session_module.time, "time", lambda: 1000.0 + 0.5 * next(ticks))


def hand_auc(report: pd.DataFrame, time_per_object: float, objects: list[int]) -> float:
    """AUC as the protocol defines it, recomputed from the raw per-object rows."""
    per_round = report.groupby("interaction")["j_and_f"].mean()
    timing = (
        report.groupby(["sequence", "interaction"])["timing"]
        .mean()
        .groupby("interaction")
        .mean()
        .cumsum()
    )
    times = np.concatenate([[0.0], timing.values, [np.mean(objects) * time_per_object]])
    values = np.concatenate([[0.0], per_round.values, per_round.values[-1:]])
    return float(np.trapezoid(values, times) / times.max())


def test_interactive_protocol_end_to_end(tmp_path, fake_clock):
    results = synthesize(
        tmp_path / "davis", builtin_pool(), videos=2, seed=11, split="val", config=TINY, workers=1
    )
    summary = run_interactive(
        tmp_path / "davis",
        "val",
        rounds=2,
        time_per_object=30,
        tracker="none",
        report=tmp_path / "report",
    )
    report = pd.read_csv(tmp_path / "report" / "report.csv")
    assert set(report["sequence"]) == {r["name"] for r in results}
    assert set(report["interaction"]) == {1, 2}
    assert 0 <= summary["auc"] <= 1
    assert summary["auc"] == pytest.approx(
        hand_auc(report, 30, [r["objects"] for r in results]), abs=1e-6
    )
    for name in ("curve.png", "per_sequence.csv", "summary.json", "headline.json"):
        assert (tmp_path / "report" / name).is_file()


def test_a_candidate_propagation_network_is_what_runs(tmp_path, fake_clock):
    """--network: the shipped checkpoint named explicitly gives the default run's first round (the
    robot's later scribbles are drawn at random); a missing one is a one-line error."""
    synthesize(
        tmp_path / "davis", builtin_pool(), videos=1, seed=12, split="val", config=TINY, workers=1
    )
    scores = []
    for name, network in (("default", None), ("named", WEIGHTS / "propagation.pt")):
        run_interactive(tmp_path / "davis", "val", 2, 30, "csrt", tmp_path / name, network=network)
        report = pd.read_csv(tmp_path / name / "report.csv")
        scores.append(report[report["interaction"] == 1]["j_and_f"].to_numpy())
    assert np.array_equal(*scores)
    with pytest.raises(TrackpropError, match="missing.pt: network checkpoint not found"):
        run_interactive(
            tmp_path / "davis",
            "val",
            2,
            30,
            "csrt",
            tmp_path / "x",
            network=tmp_path / "missing.pt",
        )


def test_the_int8_network_runs_the_protocol_like_fp32(tmp_path, fake_clock, monkeypatch):
    """--int8: the shipped network's int8 build runs the robot's first round with masks close to
    fp32's; a candidate checkpoint with it is a one-line error (a candidate runs in fp32)."""
    synthesize(
        tmp_path / "davis", builtin_pool(), videos=1, seed=12, split="val", config=TINY, workers=1
    )
    networks = record_networks(monkeypatch, interactive)
    scores = []
    for name, int8 in (("fp32", False), ("int8", True)):
        run_interactive(tmp_path / "davis", "val", 1, 30, "csrt", tmp_path / name, int8=int8)
        report = pd.read_csv(tmp_path / name / "report.csv")
        scores.append(report["j_and_f"].mean())
        assert json.loads((tmp_path / name / "headline.json").read_text())["network"] == name
    assert "int8" not in networks[0] and "int8" in networks[-1]
    assert scores[1] == pytest.approx(scores[0], abs=0.05)
    candidate = {"network": WEIGHTS / "propagation.pt", "int8": True}
    with pytest.raises(
        TrackpropError, match="int8 runs the shipped propagation network's int8 build"
    ):
        run_interactive(tmp_path / "davis", "val", 1, 30, "csrt", tmp_path / "x", **candidate)
