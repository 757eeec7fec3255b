"""A killed `trackprop propagate` leaves only whole files and continues where it stopped."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from trackprop.data.builtin import builtin_pool
from trackprop.data.davis import read_label_png
from trackprop.data.synth import SynthConfig, synthesize

KEYFRAME_EVERY = 25  # denser than the default 100, so a 90-frame run has keyframes
LONG_CLIP = SynthConfig(frames=90, height=240, width=428, min_objects=2, max_objects=2)


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory):
    """(frame folder, first-frame mask PNG) of a 90-frame two-object clip."""
    out = tmp_path_factory.mktemp("long")
    [info] = synthesize(out, builtin_pool(), videos=1, seed=7, config=LONG_CLIP, workers=1)
    return (
        out / "JPEGImages" / "480p" / info["name"],
        out / "Annotations" / "480p" / info["name"] / "00000.png",
    )


def command(clip, out, *extra):
    frames, mask = clip
    return [
        sys.executable, "-m", "trackprop.cli", "propagate", str(frames), "--mask", str(mask),
        "--tracker", "kcf", "--out", str(out), "--format", "davis,mp4",
        "--keyframe-every", str(KEYFRAME_EVERY), *extra,
    ]  # fmt: skip


def run(clip, out, *extra):
    return subprocess.run(command(clip, out, *extra), capture_output=True, text=True)


def masks(folder: Path) -> np.ndarray:
    return np.stack([read_label_png(p) for p in sorted(folder.glob("*.png"))])


def assert_every_file_whole(out: Path) -> None:
    for path in out.rglob("*"):
        assert ".partial" not in path.name, path  # a temporary name survives only a kill
    for path in out.rglob("*.png"):
        read_label_png(path)  # raises on a truncated PNG


def test_a_killed_run_resumes_and_equals_an_uninterrupted_one(long_clip, tmp_path):
    whole = tmp_path / "whole"
    assert run(long_clip, whole).returncode == 0
    assert len(list((whole / "davis").glob("*.png"))) == LONG_CLIP.frames
    assert not (whole / ".progress").exists()

    killed = tmp_path / "killed"
    process = subprocess.Popen(command(long_clip, killed), stderr=subprocess.DEVNULL)
    done = killed / ".progress" / "masks"
    deadline = time.monotonic() + 120
    while len(list(done.glob("0*.png"))) < KEYFRAME_EVERY + 10 and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert not (killed / "davis").exists()  # exports come only after the whole run
    for path in done.glob("*.png"):
        read_label_png(path)

    resumed = run(long_clip, killed)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming:" in resumed.stdout
    computed = int(resumed.stdout.split("propagated ")[1].split()[0])
    assert computed <= LONG_CLIP.frames - 1 - KEYFRAME_EVERY  # redid less than the whole video
    assert np.array_equal(masks(killed / "davis"), masks(whole / "davis"))
    assert_every_file_whole(killed)

    again = run(long_clip, killed)
    assert again.returncode == 0 and "already complete" in again.stdout


def test_an_output_of_other_arguments_is_refused_unless_overwritten(long_clip, tmp_path):
    out = tmp_path / "out"
    (out / "davis").mkdir(parents=True)
    (out / "davis" / "00300.png").write_bytes(b"an old frame of another video")
    refused = run(long_clip, out)
    assert refused.returncode == 2
    assert "not a trackprop run" in refused.stderr and refused.stderr.count("\n") == 1
    assert sorted(p.name for p in out.rglob("*")) == ["00300.png", "davis"]  # nothing written

    other = run(long_clip, out, "--overwrite", "--format", "davis")
    assert other.returncode == 0
    assert not (out / "davis" / "00300.png").exists()  # old frames never mix with new ones
    changed = run(long_clip, out, "--format", "mp4")
    assert changed.returncode == 2 and "other arguments (formats:" in changed.stderr
