"""benchmarks.paired: per-video differences between two networks' semi-supervised runs."""

import json

import numpy as np
import pytest

from benchmarks.paired import paired_difference, per_video, sign_test
from trackprop.errors import TrackpropError


def write(path, root, scores):
    videos = {name: {"J": s, "F": s, "J&F": s} for name, s in scores.items()}
    path.write_text(json.dumps({"root": root, "command": "test", "videos": videos}))
    return path


def test_a_uniform_gain_is_its_size_with_an_interval_of_that_size(tmp_path):
    base = per_video([write(tmp_path / "a.json", "val20", {"v1": 0.5, "v2": 0.7, "v3": 0.9})])
    candidate = per_video([write(tmp_path / "b.json", "val20", {"v1": 0.6, "v2": 0.8, "v3": 1.0})])
    result = paired_difference(base, candidate)
    assert result["difference"] == pytest.approx(0.1)
    assert result["interval"] == pytest.approx((0.1, 0.1))
    assert (result["gained"], result["lost"], result["videos"]) == (3, 0, 3)
    assert result["base"] == pytest.approx(0.7) and result["candidate"] == pytest.approx(0.8)


def test_one_video_swinging_a_set_leaves_zero_inside_the_interval(tmp_path):
    """Nine videos equal and one lost object's worth of gain: the mean moves, the interval
    still holds zero (the situation of most of the README's fine-tunes)."""
    names = [f"v{i}" for i in range(10)]
    base = {("val60", n): 0.7 for n in names}
    candidate = {**base, ("val60", "v0"): 0.9}
    result = paired_difference(base, candidate)
    assert result["difference"] == pytest.approx(0.02)
    low, high = result["interval"]
    assert low <= 0 < high


def test_sets_pool_by_set_and_name_and_a_video_on_one_side_only_is_an_error(tmp_path):
    """Two sets may share video names; they pair within their set."""
    base = per_video(
        [
            write(tmp_path / "a20.json", "val20", {"v1": 0.5}),
            write(tmp_path / "a60.json", "val60", {"v1": 0.9}),
        ]
    )
    candidate = per_video(
        [
            write(tmp_path / "b20.json", "val20", {"v1": 0.6}),
            write(tmp_path / "b60.json", "val60", {"v1": 0.7}),
        ]
    )
    result = paired_difference(base, candidate)
    assert result["videos"] == 2
    assert result["difference"] == pytest.approx(np.mean([0.1, -0.2]))
    with pytest.raises(TrackpropError, match="video v1 of val60 is scored on one side only"):
        paired_difference(base, {("val20", "v1"): 0.6})


def test_the_quality_benchmark_writes_each_videos_scores_for_the_comparison(tmp_path, monkeypatch):
    """End to end on two tiny composited videos: the per-video file's mean is the table's J&F,
    and a run compared with itself differs by nothing."""
    from benchmarks import quality
    from trackprop.data.builtin import builtin_pool
    from trackprop.data.synth import SynthConfig, synthesize

    tiny = SynthConfig(frames=5, height=120, width=214, min_objects=1, max_objects=2)
    synthesize(
        tmp_path / "val2", builtin_pool(), videos=2, seed=3, split="val", config=tiny, workers=1
    )
    out, videos = tmp_path / "q.md", tmp_path / "q.json"
    argv = ["quality", "--root", str(tmp_path / "val2"), "--trackers", "csrt", "--threads", "1"]
    monkeypatch.setattr("sys.argv", [*argv, "--out", str(out), "--videos-out", str(videos)])
    quality.main()
    report = json.loads(videos.read_text())
    assert report["root"] == "val2" and len(report["videos"]) == 2
    mean = np.mean([v["J&F"] for v in report["videos"].values()])
    assert f"| {mean:.3f} |" in out.read_text()
    scores = per_video([videos])
    assert paired_difference(scores, scores)["difference"] == 0


def test_per_video_scores_need_a_single_row(tmp_path, monkeypatch, capsys):
    from benchmarks import quality

    argv = ["quality", "--root", str(tmp_path), "--trackers", "csrt,kcf"]
    monkeypatch.setattr("sys.argv", [*argv, "--videos-out", str(tmp_path / "q.json")])
    with pytest.raises(SystemExit):
        quality.main()
    assert "--videos-out scores one row" in capsys.readouterr().err


def test_a_missing_or_foreign_file_is_one_line_naming_it(tmp_path, monkeypatch, capsys):
    from benchmarks import paired

    good = write(tmp_path / "a.json", "val20", {"v1": 0.5})
    (tmp_path / "other.json").write_text('{"J&F": 0.7}')
    for bad in (tmp_path / "absent.json", tmp_path / "other.json"):
        monkeypatch.setattr("sys.argv", ["paired", "--base", str(good), "--candidate", str(bad)])
        with pytest.raises(SystemExit) as exit_:
            paired.main()
        assert exit_.value.code == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith(f"error: {bad}: not a `benchmarks.quality --videos-out` file")
        assert "\n" not in err


def test_the_sign_test_knows_its_binomial_answers():
    assert sign_test(0, 0) == 1.0
    assert sign_test(5, 5) == 1.0
    assert sign_test(0, 3) == pytest.approx(0.25)  # 2 x (1/2)^3
    assert sign_test(9, 1) == pytest.approx(2 * 11 / 1024)  # 2 x (C(10,0) + C(10,1)) / 2^10
    assert sign_test(1, 9) == sign_test(9, 1)
