"""The bad-input suite: every case is one clear line (exit status 2, nothing written) or a correct
result, through the CLI, the Python API and the HTTP API alike."""

import json
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from trackprop.data.davis import davis_palette, read_label_png
from trackprop.data.video import VideoWriter
from trackprop.errors import TrackpropError
from trackprop.session import Session
from trackprop.web.app import create_app
from trackprop.web.project import Project

HEIGHT, WIDTH, FRAMES = 48, 64, 6


def frame(t: int, height: int = HEIGHT, width: int = WIDTH) -> np.ndarray:
    image = np.full((height, width, 3), 90, np.uint8)
    image[10 + t : 30 + t, 20:40] = [200, 50, 50]
    return image


def truth(height: int = HEIGHT, width: int = WIDTH) -> np.ndarray:
    labels = np.zeros((height, width), np.uint8)
    labels[10:30, 20:40] = 1
    return labels


def save_frames(folder: Path, indices, height=HEIGHT, width=WIDTH) -> Path:
    folder.mkdir(parents=True)
    for i, t in enumerate(indices):
        Image.fromarray(frame(i, height, width)).save(folder / f"{t:05d}.png")
    return folder


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Every input file the cases name, made once."""
    root = tmp_path_factory.mktemp("inputs")
    made = {"good": save_frames(root / "good", range(FRAMES))}
    made["one"] = save_frames(root / "one", [0])
    made["gaps"] = save_frames(root / "gaps", [0, 2, 5, 9])
    made["stray"] = save_frames(root / "stray", range(3))
    (made["stray"] / "notes.txt").write_text("not a frame")
    (made["stray"] / "Thumbs.db").write_bytes(b"\0\1")
    made["mixed"] = save_frames(root / "mixed", range(3))
    Image.fromarray(frame(3, 20, 30)).save(made["mixed"] / "00003.png")
    made["broken"] = save_frames(root / "broken", range(3))
    (made["broken"] / "00001.png").write_bytes(b"\x89PNG broken")
    made["odd"] = save_frames(root / "odd", range(3), 47, 63)
    made["empty_folder"] = root / "empty_folder"
    made["empty_folder"].mkdir()
    made["mp4"] = root / "clip.mp4"
    with VideoWriter(made["mp4"]) as writer:
        for t in range(FRAMES):
            writer.write(frame(t))
    made["truncated"] = root / "truncated.mp4"
    data = made["mp4"].read_bytes()
    made["truncated"].write_bytes(data[: len(data) // 2])
    made["corrupt"] = root / "corrupt.mp4"
    made["corrupt"].write_bytes(b"\0not a video" * 100)
    made["zero_byte"] = root / "zero.mp4"
    made["zero_byte"].write_bytes(b"")
    made["no_frames"] = root / "no_frames.mp4"
    with av.open(str(made["no_frames"]), "w") as container:  # a container that holds no frame
        stream = container.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        container.start_encoding()

    def mask(name: str, array: np.ndarray, **save) -> None:
        made[name] = root / f"{name}.{save.pop('suffix', 'png')}"
        Image.fromarray(array).save(made[name], **save)

    labels = truth()
    mask("mask", labels)
    mask("mask_odd", truth(47, 63))
    mask("mask_small", labels[:20])
    mask("mask_empty", labels * 0)
    mask("mask_16bit", (labels.astype(np.uint16) * 300))
    mask("mask_rgb", davis_palette()[labels])
    mask("mask_rgba", np.dstack([davis_palette()[labels], np.full(labels.shape, 255, np.uint8)]))
    odd_colour = davis_palette()[labels].copy()
    odd_colour[labels == 1] = [1, 2, 3]
    mask("mask_rgb_odd", odd_colour)
    mask("mask_jpeg", labels * 100, suffix="jpg", quality=70)
    made["mask_text"] = root / "mask_text.png"
    made["mask_text"].write_text("hello")
    made["a_file"] = root / "a_file"
    made["a_file"].write_text("x")
    return made


# (video, mask, extra args, expected: an error's words, or "ok" with the frames expected)
CLI_CASES = {
    "missing video": ("nothing.mp4", "mask", [], "video file not found"),
    "zero-byte video": ("zero_byte", "mask", [], "the video file is empty"),
    "corrupt video": ("corrupt", "mask", [], "not a readable video"),
    "zero-frame video": ("no_frames", "mask", [], "has no video stream"),
    "truncated video": ("truncated", "mask", [], "not a readable video"),
    "zero-frame folder": ("empty_folder", "mask", [], "holds no image frames"),
    "mixed sizes": ("mixed", "mask", [], "frame 3 is 30x20, the first frame is 64x48"),
    "unreadable frame": ("broken", "mask", [], "frame 1 is not a readable image"),
    "wrong-size mask": ("good", "mask_small", [], "the mask for frame 0 is 64x20"),
    "empty mask": ("good", "mask_empty", [], "is empty: it marks no object"),
    "16-bit id 300": ("good", "mask_16bit", [], "object id 300 is outside 1..255"),
    "off-palette RGB mask": ("good", "mask_rgb_odd", [], "is not a DAVIS palette colour"),
    "lossy JPEG mask": ("good", "mask_jpeg", [], "is lossy"),
    "not an image mask": ("good", "mask_text", [], "not a readable PNG"),
    "missing mask": ("good", "nothing.png", [], "annotation file not found"),
    "frame out of range": ("good", "mask", ["--frame", "99"], "frame 99 is out of range"),
    "negative frame": ("good", "mask", ["--frame", "-1"], "frame -1 is out of range"),
    "unknown format": ("good", "mask", ["--format", "davis,gif"], "unknown export format 'gif'"),
    "no format": ("good", "mask", ["--format", " , "], "no export format given"),
    "unknown tracker": ("good", "mask", ["--tracker", "sift"], "unknown tracker 'sift'"),
    "unknown propagator": ("good", "mask", ["--propagator", "x"], "unknown propagator 'x'"),
    "out is a file": ("good", "mask", ["--out", "a_file"], "is a file, not a folder"),
    "out cannot be made": ("good", "mask", ["--out", "/proc/none/out"], "/proc/none"),
    "mp4 video": ("mp4", "mask", [], "ok", FRAMES),
    "one-frame video": ("one", "mask", [], "ok", 1),
    "gaps in numbering": ("gaps", "mask", [], "ok", 4),
    "stray files": ("stray", "mask", [], "ok", 3),
    "odd size": ("odd", "mask_odd", [], "ok", 3),
    "grey mask": ("good", "mask", ["--format", "davis, png"], "ok", FRAMES),
    "RGB mask in DAVIS colours": ("good", "mask_rgb", [], "ok", FRAMES),
    "RGBA mask": ("good", "mask_rgba", [], "ok", FRAMES),
}


@pytest.mark.parametrize("case", CLI_CASES)
def test_cli(case, files, tmp_path):
    video, mask, extra, expected, *frames = CLI_CASES[case]
    out = tmp_path / "out"
    extra = [str(files[a]) if a in files else a for a in extra]
    args = [
        str(files.get(video, tmp_path / video)),
        "--mask",
        str(files.get(mask, tmp_path / mask)),
    ]
    command = [sys.executable, "-m", "trackprop.cli", "propagate", *args, "--tracker", "kcf"]
    result = subprocess.run(
        [*command, "--out", str(out), *extra], capture_output=True, text=True, cwd=tmp_path
    )
    if expected == "ok":
        assert result.returncode == 0, result.stderr
        written = sorted((out / "davis").glob("*.png"))
        assert len(written) == frames[0]
        first = read_label_png(written[0])
        assert np.array_equal(first, truth(*first.shape))  # the user's frame comes back as given
        return
    assert result.returncode == 2
    assert result.stderr.startswith("trackprop: error: ") and result.stderr.count("\n") == 1
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()  # nothing written


@pytest.fixture(scope="module")
def session(files):
    session = Session(str(files["good"]), tracker="kcf")
    session.add_mask(0, truth())
    return session


def scribbles(items_of_frame_1) -> dict:
    return {"sequence": "s", "scribbles": [[], items_of_frame_1, [], [], [], []]}


API_CASES = {
    "no video": (lambda s: Session(None), "a video is a file, a folder of frames"),
    "list video": (lambda s: Session([1, 2]), "not list"),
    "fractional frame": (lambda s: s.labels(5.5), "frame index 5.5 is not an integer"),
    "bool frame": (lambda s: s.labels(True), "frame index True is not an integer"),
    "frame out of range": (lambda s: s.labels(6), "frame 6 is out of range"),
    "item is a list": (lambda s: s.interact(1, scribbles([[0.1, 0.2]])), "an item must be a dict"),
    "frame items not a list": (
        lambda s: s.interact(1, {"scribbles": [[], {"path": []}]}),
        "must be a list of items",
    ),
    "object id 1000": (
        lambda s: s.interact(1, scribbles([{"object_id": 1000, "path": [[0.5, 0.5]]}])),
        "object id 1000 is not an integer in 0..255",
    ),
    "negative object id": (
        lambda s: s.interact(1, scribbles([{"object_id": -1, "path": [[0.5, 0.5]]}])),
        "object id -1",
    ),
    "NaN path": (
        lambda s: s.interact(1, scribbles([{"object_id": 1, "path": [[float("nan"), 0.5]]}])),
        "every point lies off the frame",
    ),
    "path off the frame": (
        lambda s: s.interact(1, scribbles([{"object_id": 1, "path": [[1.5, 2.0]]}])),
        "every point lies off the frame",
    ),
    "malformed path": (
        lambda s: s.interact(1, scribbles([{"object_id": 1, "path": [[1, 2, 3]]}])),
        "'path' must be a list of [x, y] pairs",
    ),
    "no scribbles on the frame": (
        lambda s: s.interact(3, scribbles([])),
        "no scribbles on frame 3",
    ),
    "scribbles not a dict": (lambda s: s.interact(1, [1, 2]), "must be a dict with a 'scribbles'"),
    "mask id 300": (
        lambda s: s.add_mask(1, truth().astype(np.uint16) * 300),
        "object id 300 outside 1..255",
    ),
    "float mask": (lambda s: s.add_mask(1, truth() * 0.5), "must hold integer object ids"),
    "unknown object": (lambda s: s.object_mask(0, 9), "object 9 does not exist"),
    "unknown format": (lambda s: s.export("/nonexistent/x", "gif"), "unknown export format"),
}


@pytest.mark.parametrize("case", API_CASES)
def test_api(case, session):
    call, expected = API_CASES[case]
    before = session.snapshot()
    with pytest.raises(TrackpropError) as error:
        call(session)
    assert expected in str(error.value) and "\n" not in str(error.value)
    assert session.snapshot()[0] == before[0]  # no work lost, nothing changed


# (method, url, JSON body, status, words in the answer's detail)
HTTP_CASES = {
    "frame out of range": ("get", "/api/frame/6.jpg", None, 400, "frame 6 is out of range"),
    "negative frame": ("get", "/api/mask/-1.png", None, 400, "frame -1 is out of range"),
    "fractional frame": ("post", "/api/interact", {"frame": 1.5, "strokes": []}, 422, ""),
    "unknown object": (
        "post",
        "/api/interact",
        {"frame": 1, "strokes": [{"object_id": 7, "path": [[0.5, 0.5]]}]},
        400,
        "object 7 does not exist",
    ),
    "huge object id": (
        "post",
        "/api/interact",
        {"frame": 1, "strokes": [{"object_id": 10**30, "path": [[0.5, 0.5]]}]},
        400,
        "does not exist",
    ),
    "path of strings": (
        "post",
        "/api/interact",
        {"frame": 1, "strokes": [{"object_id": 1, "path": [["a", "b"]]}]},
        422,
        "",
    ),
    "empty strokes": ("post", "/api/interact", {"frame": 2, "strokes": []}, 400, "no scribbles"),
    "off-frame path": (
        "post",
        "/api/interact",
        {"frame": 1, "strokes": [{"object_id": 1, "path": [[3, 3]]}]},
        400,
        "off the frame",
    ),
    "propagate unmasked frame": ("post", "/api/propagate", {"frame": 4}, 400, "has no mask"),
    "unknown format": ("get", "/api/export/gif", None, 400, "unknown export format"),
    "bad colour": ("patch", "/api/objects/1", {"colour": "red"}, 400, "#rrggbb"),
    "unknown object edit": ("patch", "/api/objects/9", {"name": "x"}, 400, "does not exist"),
    "nothing to redo": ("post", "/api/redo", None, 400, "nothing to redo"),
}


@pytest.fixture(scope="module")
def client(files, tmp_path_factory):
    project = Project(tmp_path_factory.mktemp("project"))
    project.open_video(files["good"])
    project.add_object("box")
    project.interact(0, [{"object_id": 1, "path": [[0.45, 0.4], [0.5, 0.45]]}])
    return TestClient(create_app(project))


@pytest.mark.parametrize("case", HTTP_CASES)
def test_http(case, client):
    method, url, body, status, expected = HTTP_CASES[case]
    before = client.get("/api/project").json()
    kwargs = {"json": body} if body is not None else {}
    response = getattr(client, method)(url, **kwargs)
    assert response.status_code == status
    detail = response.json()["detail"]
    assert expected in (detail if isinstance(detail, str) else json.dumps(detail))
    assert client.get("/api/project").json() == before  # nothing changed
