"""`trackprop eval clicks|boxes` on a tiny composited set: the reports hold what they promise."""

import json

import pytest
from conftest import record_networks

from trackprop.cli import main
from trackprop.data.builtin import builtin_pool
from trackprop.data.synth import SynthConfig, synthesize
from trackprop.eval import prompt_protocols

TINY = SynthConfig(frames=6, height=120, width=214, min_objects=1, max_objects=2)


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny")
    synthesize(folder, builtin_pool(), videos=2, seed=3, split="val", config=TINY, workers=1)
    return folder


def test_box_protocol(root, tmp_path):
    assert (
        main(["eval", "boxes", "--root", str(root), "--report", str(tmp_path), "--threads", "1"])
        == 0
    )
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["protocol"] == "boxes" and summary["sequences"] == 2
    assert summary["first_frame_iou"] > 0.5 and 0 < summary["J&F"] <= 1
    assert len(json.loads((tmp_path / "per_sequence.json").read_text())) == 2


def test_box_protocol_in_int8_follows_fp32(root, tmp_path, monkeypatch):
    """--int8 runs the propagation network's int8 build: J&F close to fp32's on the same set."""
    networks = record_networks(monkeypatch, prompt_protocols)
    scores = []
    for flag in ([], ["--int8"]):
        report = tmp_path / f"run{len(flag)}"
        command = ["eval", "boxes", "--root", str(root), "--report", str(report), "--threads", "1"]
        assert main([*command, *flag]) == 0
        summary = json.loads((report / "summary.json").read_text())
        assert summary["network"] == ("int8" if flag else "fp32")  # the report says what ran
        scores.append(summary["J&F"])
    assert "int8" not in networks[0] and "int8" in networks[-1]
    assert scores[1] == pytest.approx(scores[0], abs=0.05) and scores[0] > 0.3


def test_click_protocol(root, tmp_path):
    assert (
        main(["eval", "clicks", "--root", str(root), "--report", str(tmp_path), "--threads", "1"])
        == 0
    )
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert 1 <= summary["NoC@85"] <= summary["NoC@90"] <= 20
    assert all(0 <= summary[f"mIoU@{n}"] <= 1 for n in (1, 3, 5))
    rows = json.loads((tmp_path / "per_sequence.json").read_text())
    curves = [c for row in rows.values() for c in row["curves"].values()]
    assert len(curves) == summary["objects"]
    for curve in curves:  # the robot stops at 0.90 or after 20 clicks
        assert len(curve) == 20 or curve[-1] >= 0.9


def test_the_box_protocol_propagates_with_the_chosen_propagator(root, tmp_path):
    """The propagator changes the propagated frames only: frame 0 comes from the interaction
    networks, so its IoU is the same with either."""
    summaries = {}
    for name in ("roi-tracker", "learned-memory"):
        report = tmp_path / name
        arguments = ["eval", "boxes", "--root", str(root), "--report", str(report)]
        assert main([*arguments, "--threads", "1", "--propagator", name]) == 0
        summaries[name] = json.loads((report / "summary.json").read_text())
        assert summaries[name]["propagator"] == name
    first, second = summaries.values()
    assert first["first_frame_iou"] == pytest.approx(second["first_frame_iou"])
