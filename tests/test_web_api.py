import io
import time
import zipfile

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from web_fixtures import make_clip, stroke_inside_object

from trackprop.web.app import create_app
from trackprop.web.project import Project


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("clip"))


@pytest.fixture
def client(tmp_path):
    return TestClient(create_app(Project(tmp_path / "project"), max_upload_bytes=5 << 20))


def upload(client, path, name=None):
    with open(path, "rb") as f:
        return client.post("/api/upload", files={"file": (name or path.name, f, "video/mp4")})


def wait_for_propagation(client):
    for _ in range(600):
        progress = client.get("/api/progress").json()
        if not progress["running"]:
            return progress
        time.sleep(0.05)
    raise AssertionError("propagation did not finish")


def test_open_interact_propagate_undo_export(client, clip):
    video, truth = clip
    opened = upload(client, video).json()
    assert (opened["num_frames"], opened["width"], opened["height"]) == (8, 428, 240)
    assert client.get("/api/frame/3.jpg").headers["content-type"] == "image/jpeg"
    obj = client.post("/api/objects", json={"name": "horse"}).json()
    assert obj == {"id": 1, "name": "horse", "colour": "#800000"}
    state = client.post(
        "/api/interact",
        json={"frame": 0, "strokes": [{"object_id": 1, "path": stroke_inside_object(truth)}]},
    ).json()
    assert state["annotated"] == [0] and state["can_undo"]
    overlay = np.asarray(Image.open(io.BytesIO(client.get("/api/mask/0.png").content)))
    assert overlay.shape == (240, 428, 4) and overlay[..., 3].any()
    assert client.post("/api/propagate", json={"frame": 0}).status_code == 200
    progress = wait_for_propagation(client)
    assert progress["done"] == 7
    assert client.get("/api/project").json()["masked"] == list(range(8))
    undone = client.post("/api/undo").json()
    assert undone["masked"] == [0] and undone["can_redo"]
    assert client.post("/api/redo").json()["masked"] == list(range(8))
    for fmt in ("davis", "png", "coco-rle", "mp4"):
        response = client.get(f"/api/export/{fmt}")
        assert response.status_code == 200
        names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
        assert names, fmt
    davis = zipfile.ZipFile(io.BytesIO(client.get("/api/export/davis").content))
    assert sorted(davis.namelist()) == [f"{t:05d}.png" for t in range(8)]


def test_objects_rename_colour_remove(client, clip):
    upload(client, clip[0])
    client.post("/api/objects", json={})
    assert (
        client.patch("/api/objects/1", json={"name": "cat", "colour": "#00FF00"}).json()["colour"]
        == "#00ff00"
    )
    bad = client.patch("/api/objects/1", json={"colour": "green"})
    assert bad.status_code == 400 and "#rrggbb" in bad.json()["detail"]
    assert client.delete("/api/objects/1").json()["objects"] == []
    assert client.delete("/api/objects/1").status_code == 400


def test_project_reopens_from_its_folder(tmp_path, clip):
    video, truth = clip
    first = TestClient(create_app(Project(tmp_path / "p")))
    upload(first, video)
    first.post("/api/objects", json={"name": "thing"})
    first.post(
        "/api/interact",
        json={"frame": 0, "strokes": [{"object_id": 1, "path": stroke_inside_object(truth)}]},
    )
    before = first.get("/api/mask/0.png").content
    reopened = TestClient(create_app(Project(tmp_path / "p")))
    state = reopened.get("/api/project").json()
    assert state["annotated"] == [0] and state["objects"][0]["name"] == "thing"
    assert reopened.get("/api/mask/0.png").content == before


def test_error_answers(client, clip):
    assert (
        client.get("/api/frame/0.jpg").json()["detail"]
        == "no video is open: open or upload one first."
    )
    upload(client, clip[0])
    assert client.get("/api/frame/99.jpg").status_code == 400
    assert "out of range" in client.get("/api/frame/99.jpg").json()["detail"]
    response = client.post(
        "/api/interact", json={"frame": 0, "strokes": [{"object_id": 5, "path": [[0.5, 0.5]]}]}
    )
    assert response.status_code == 400 and "object 5 does not exist" in response.json()["detail"]
    assert client.post("/api/propagate", json={"frame": 2}).status_code == 400
    assert client.post("/api/undo").json()["detail"] == "nothing to undo."
    assert client.get("/api/export/gif").status_code == 400
    assert client.post("/api/interact", json={"frame": "x"}).status_code == 422


def test_path_traversal_is_refused_everywhere(client, clip, tmp_path):
    for name in ("../evil.mp4", "..\\evil.mp4", "/etc/evil.mp4", "a/../../b.mp4", ".hidden.mp4"):
        response = upload(client, clip[0], name=name)
        assert response.status_code == 400 and "is not allowed" in response.json()["detail"]
    archive = tmp_path / "frames.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("../../escape.png", b"x")
    assert "points outside the upload folder" in upload(client, archive).json()["detail"]
    assert not (tmp_path / "escape.png").exists()
    assert client.get("/static/../app.py").status_code == 404
    assert client.get("/static/%2e%2e/app.py").status_code == 404
    assert client.get("/api/export/..%2F..%2Fetc").status_code in (400, 404)


def test_zip_of_frames_and_size_limit(client, clip, tmp_path):
    archive = tmp_path / "frames.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for t in range(3):
            buffer = io.BytesIO()
            Image.fromarray(np.full((32, 48, 3), 40 * t, np.uint8)).save(buffer, format="PNG")
            zipped.writestr(f"frames/{t:05d}.png", buffer.getvalue())
    assert upload(client, archive).json()["num_frames"] == 3
    big = tmp_path / "big.mp4"
    big.write_bytes(b"0" * (6 << 20))
    response = upload(client, big)
    assert response.status_code == 413 and "larger than 5 MB" in response.json()["detail"]
    assert (
        client.post("/api/upload", files={"file": ("notes.txt", b"hi", "text/plain")}).status_code
        == 400
    )
