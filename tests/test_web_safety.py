"""The GUI never loses the user's work: uploads, zip bombs, damaged project files, restarts."""

import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
import tracemalloc
import zipfile

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from web_fixtures import make_clip, stroke_inside_object

from trackprop.data.builtin import builtin_pool
from trackprop.data.davis import DavisRoot
from trackprop.data.synth import SynthConfig, synthesize
from trackprop.data.video import open_frames
from trackprop.errors import TrackpropError
from trackprop.web.app import create_app
from trackprop.web.project import Project

LIMIT = 5 << 20


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("clip"))


@pytest.fixture
def client(tmp_path):
    return TestClient(create_app(Project(tmp_path / "project"), max_upload_bytes=LIMIT))


def upload(client, name, content):
    return client.post("/api/upload", files={"file": (name, content, "application/octet-stream")})


def uploads_listing(tmp_path):
    return sorted(p.name for p in (tmp_path / "project" / "uploads").iterdir())


def png_bytes(value: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.full((16, 16, 3), value, np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_the_open_video_survives_bad_and_oversize_uploads_under_its_name(client, clip, tmp_path):
    video, _ = clip
    content = video.read_bytes()
    assert upload(client, "clip.mp4", content).status_code == 200
    stored = tmp_path / "project" / "uploads" / "clip.mp4"
    bad = upload(client, "clip.mp4", b"not a video at all")
    assert bad.status_code == 400
    assert upload(client, "clip.mp4", b"0" * (LIMIT + 1)).status_code == 413
    assert stored.read_bytes() == content  # neither replaced nor deleted
    assert uploads_listing(tmp_path) == ["clip.mp4"]  # rejected uploads left nothing
    assert client.get("/api/project").json()["video"] == "clip.mp4"
    again = upload(client, "clip.mp4", content).json()
    assert again["video"] == "clip-2.mp4"  # a second good upload takes a free name
    assert Project(tmp_path / "project").video.endswith("clip-2.mp4")


def test_a_zip_bomb_is_refused_in_bounded_memory_leaving_nothing(client, tmp_path):
    bomb = tmp_path / "bomb.zip"
    with (
        zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zipped,
        zipped.open("f/00000.png", "w") as member,
    ):
        zeros = bytes(1 << 20)
        for _ in range(300):  # 300 MB of zeros in a zip of about 300 kB
            member.write(zeros)
    assert bomb.stat().st_size < LIMIT
    tracemalloc.start()
    response = upload(client, "bomb.zip", bomb.read_bytes())
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert response.status_code == 400 and "unpack to more than" in response.json()["detail"]
    assert peak < 40 << 20
    assert uploads_listing(tmp_path) == []


@pytest.mark.parametrize(
    ("members", "message"),
    [
        (None, "not a readable zip"),
        ({"a/00000.png": png_bytes(1), "b/00000.png": png_bytes(2)}, "would both be frame"),
        ({"notes.txt": b"hello"}, "holds no image frames"),
    ],
)
def test_bad_zips_are_one_clear_refusal(client, tmp_path, members, message):
    if members is None:
        content = b"PK this is not a zip"
    else:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as zipped:
            for name, data in members.items():
                zipped.writestr(name, data)
        content = buffer.getvalue()
    response = upload(client, "frames.zip", content)
    assert response.status_code == 400 and message in response.json()["detail"]
    assert uploads_listing(tmp_path) == []


def open_with_mask(tmp_path, clip) -> Project:
    video, truth = clip
    project = Project(tmp_path / "p")
    project.open_video(video)
    project.add_object("thing")
    project.interact(0, [{"object_id": 1, "path": stroke_inside_object(truth)}])
    return project


def test_a_damaged_project_file_falls_back_to_its_last_good_copy(tmp_path, clip, capsys):
    project = open_with_mask(tmp_path, clip)
    labels = project.require().labels(0)
    (tmp_path / "p" / "project.json").write_text('{"video": "x", "objec')  # truncated
    reopened = Project(tmp_path / "p")
    assert "project.json is damaged" in capsys.readouterr().err
    assert np.array_equal(reopened.require().labels(0), labels)
    (tmp_path / "p" / "project.backup.json").write_text("")
    (tmp_path / "p" / "project.json").write_text("")
    with pytest.raises(TrackpropError, match=r"cannot reopen the project: .*project.json"):
        Project(tmp_path / "p")


def test_undo_history_survives_a_restart(tmp_path, clip):
    project = open_with_mask(tmp_path, clip)
    project.add_object("other")
    reopened = Project(tmp_path / "p")
    assert reopened.describe()["can_undo"]
    reopened.undo()
    assert reopened.describe()["annotated"] == [] and reopened.describe()["can_redo"]
    assert Project(tmp_path / "p").describe()["can_redo"]  # the redo step was saved too


def test_a_propagation_error_reaches_the_client(tmp_path, clip):
    video, truth = clip
    frames = tmp_path / "frames"
    frames.mkdir()
    for t, frame in enumerate(open_frames(video)):
        Image.fromarray(frame).save(frames / f"{t:05d}.jpg")
    project = Project(tmp_path / "q")
    project.open_video(frames)
    project.add_object()
    project.interact(0, [{"object_id": 1, "path": stroke_inside_object(truth)}])
    (frames / "00004.jpg").write_bytes(b"broken")
    client = TestClient(create_app(project))
    assert client.post("/api/propagate", json={"frame": 0}).status_code == 200
    for _ in range(600):
        progress = client.get("/api/progress").json()
        if not progress["running"]:
            break
        time.sleep(0.05)
    assert "00004.jpg" in progress["error"] and progress["done"] == 3
    assert client.get("/api/project").json()["masked"] == [0, 1, 2, 3]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_server_killed_during_propagation_keeps_the_project_and_frames_done(tmp_path):
    [info] = synthesize(
        tmp_path / "d",
        builtin_pool(),
        1,
        seed=3,
        config=SynthConfig(frames=120, height=240, width=428, max_objects=1),
        workers=1,
    )
    root = DavisRoot(tmp_path / "d")
    frames = tmp_path / "d" / "JPEGImages" / "480p" / info["name"]
    truth = np.stack([root.read_annotation(info["name"], 0)])
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "trackprop.cli", "serve", str(frames), "--project", str(tmp_path / "p"), "--port", str(port), "--tracker", "kcf"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                httpx.get(f"{base}/api/project")
                break
            except httpx.TransportError:
                time.sleep(0.1)
        httpx.post(f"{base}/api/objects", json={"name": "thing"})
        path = stroke_inside_object(truth)
        httpx.post(
            f"{base}/api/interact",
            json={"frame": 0, "strokes": [{"object_id": 1, "path": path}]},
            timeout=60,
        )
        assert httpx.post(f"{base}/api/propagate", json={"frame": 0}).status_code == 200
        while httpx.get(f"{base}/api/progress").json()["done"] < 50:
            time.sleep(0.05)
        assert httpx.post(f"{base}/api/propagate", json={"frame": 0}).status_code == 409
    finally:
        os.kill(server.pid, signal.SIGKILL)
        server.wait()
    reopened = Project(tmp_path / "p")
    state = reopened.describe()
    assert state["annotated"] == [0] and state["objects"][0]["name"] == "thing"
    assert len(state["masked"]) >= 40  # saved as it went, not only at the end
    assert json.loads((tmp_path / "p" / "project.json").read_text())["annotated"] == [0]
    # The saved frames are the propagation's masks, not blanks: where the object is in view (the
    # clip hides it behind an occluder or the frame's edge on a few frames), the mask shows it on
    # nearly all of them (the network may lose it for a frame or two as it comes back).
    in_view = [
        t for t in state["masked"] if (root.read_annotation(info["name"], t) == 1).sum() >= 500
    ]
    showing = [(reopened.require().labels(t) == 1).any() for t in in_view]
    assert len(in_view) >= 30 and np.mean(showing) >= 0.9, (in_view, showing)
