"""`trackprop batch`: mixed good and bad jobs, resume, a DAVIS root, and Ray equal to the local pool."""

import json
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from trackprop.data.builtin import builtin_pool
from trackprop.data.synth import SynthConfig, synthesize

SMALL = SynthConfig(frames=8, height=120, width=214, min_objects=1, max_objects=2)
RAY = shutil.which("ray", path=str(Path(sys.executable).parent))


@pytest.fixture(scope="module")
def batch_inputs(tmp_path_factory):
    """A DAVIS root of three small videos and a jobs file with two good and three bad lines."""
    folder = tmp_path_factory.mktemp("batch")
    infos = synthesize(folder / "davis", builtin_pool(), videos=3, seed=11, config=SMALL, workers=1)
    names = [info["name"] for info in infos]
    davis = Path("davis")
    lines = [
        {"video": str(davis / "JPEGImages/480p" / names[0]), "mask": str(davis / "Annotations/480p" / names[0] / "00000.png")},
        {"video": str(davis / "JPEGImages/480p" / names[1]), "scribbles": str(davis / "Scribbles" / names[1] / "001.json"), "name": "scribbled"},
        {"video": "missing.mp4", "mask": str(davis / "Annotations/480p" / names[0] / "00000.png")},
        {"video": str(davis / "JPEGImages/480p" / names[2]), "mask": str(davis / "Annotations/480p" / names[2] / "00000.png"), "frame": 99},
    ]  # fmt: skip
    jobs = folder / "jobs.jsonl"
    jobs.write_text("".join(json.dumps(line) + "\n" for line in lines) + "{not json\n")
    return folder, names


def batch(*args, cwd=None):
    command = [sys.executable, "-m", "trackprop.cli", "batch", *map(str, args), "--tracker", "kcf"]
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd)


def summary(out: Path) -> dict:
    lines = [json.loads(x) for x in (out / "summary.jsonl").read_text().splitlines()]
    return {line["name"]: line for line in lines}


def outputs(out: Path) -> dict:
    """Every result file's bytes (run records and the summary aside), by relative path."""
    return {
        str(p.relative_to(out)): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name not in ("summary.jsonl", "run.json")
    }


def test_mixed_jobs_resume_and_equal_propagate(batch_inputs, tmp_path):
    folder, names = batch_inputs
    out = tmp_path / "out"
    first = batch(
        folder / "jobs.jsonl", "--out", out, "--workers", "2", "--format", "davis,coco-rle"
    )
    assert first.returncode == 1  # some failed
    errors = [line for line in first.stderr.splitlines() if line.startswith("trackprop: ")]
    assert len(errors) == 3
    assert any("missing.mp4: video file not found" in e for e in errors)
    assert any("frame 99 is out of range" in e for e in errors)
    assert any("line 5: not JSON" in e for e in errors)
    lines = summary(out)
    assert [lines[n]["status"] for n in (names[0], "scribbled")] == ["done", "done"]
    assert lines[names[0]]["frames"] == 8 and lines[names[0]]["objects"] >= 1
    assert sum(line["status"] == "failed" for line in lines.values()) == 3
    assert "2 done, 0 skipped (already done), 3 failed" in first.stdout

    single = tmp_path / "single"
    davis = folder / "davis"
    propagate = [
        sys.executable, "-m", "trackprop.cli", "propagate", davis / "JPEGImages/480p" / names[0],
        "--mask", davis / "Annotations/480p" / names[0] / "00000.png", "--tracker", "kcf",
        "--out", single, "--format", "davis,coco-rle",
    ]  # fmt: skip
    assert subprocess.run(list(map(str, propagate)), capture_output=True).returncode == 0
    assert outputs(out / names[0]) == outputs(single)  # the batch's masks are propagate's

    before = {p: p.stat().st_mtime_ns for p in (out / names[0]).rglob("*.png")}
    again = batch(
        folder / "jobs.jsonl", "--out", out, "--workers", "2", "--format", "davis,coco-rle"
    )
    assert again.returncode == 1 and "0 done, 2 skipped (already done), 3 failed" in again.stdout
    assert {p: p.stat().st_mtime_ns for p in before} == before  # a resumed batch redoes nothing


def test_a_davis_root_runs_every_sequence(batch_inputs, tmp_path):
    folder, names = batch_inputs
    result = batch(folder / "davis", "--out", tmp_path / "out", "--workers", "1")
    assert result.returncode == 0, result.stderr
    lines = summary(tmp_path / "out")
    assert sorted(lines) == sorted(names) and {x["status"] for x in lines.values()} == {"done"}
    for name in names:
        assert len(list((tmp_path / "out" / name / "davis").glob("*.png"))) == SMALL.frames


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.skipif(RAY is None, reason="the ray extra is not installed")
def test_ray_tasks_equal_the_local_pool(batch_inputs, tmp_path):
    folder, _ = batch_inputs
    local, on_ray = tmp_path / "local", tmp_path / "ray"
    assert batch(folder / "davis", "--out", local, "--workers", "2").returncode == 0
    port = free_port()
    start = [RAY, "start", "--head", "--num-cpus", "2", "--port", str(port), "--disable-usage-stats", "--include-dashboard", "false"]  # fmt: skip
    subprocess.run(start, check=True, capture_output=True)
    try:
        result = batch(folder / "davis", "--out", on_ray, "--ray", f"127.0.0.1:{port}")
    finally:
        subprocess.run([RAY, "stop", "--force"], capture_output=True)
    assert result.returncode == 0, result.stderr
    assert outputs(on_ray) == outputs(local)  # byte for byte
    assert {x["status"] for x in summary(on_ray).values()} == {"done"}
