"""The GUI end to end in real headless Chromium (Debian's, driven by Playwright; no browser download)."""

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
import uvicorn
from web_fixtures import make_clip, stroke_inside_object

from trackprop.data.davis import read_label_png
from trackprop.eval.metrics import video_j_and_f
from trackprop.web.app import create_app
from trackprop.web.project import Project

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is absent (apt-get install chromium)"
)
playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
# J&F of one scribble + propagation on this clip, measured with the shipped networks: 0.78
# (untrained interaction networks gave 0.66, so the bound tells trained weights from noise).
MIN_J_AND_F = 0.7
SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "gui.png"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    video, truth = make_clip(tmp_path)
    project = Project(tmp_path / "project")
    project.open_video(video)
    port = free_port()
    config = uvicorn.Config(create_app(project), host="127.0.0.1", port=port, log_level="error")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    while not running.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", truth
    running.should_exit = True
    thread.join(timeout=5)


def test_draw_propagate_export_in_chromium(server, tmp_path):
    url, truth = server
    with playwright.sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(url)
        page.wait_for_selector("text=428×240")
        page.click("#add-object")
        page.wait_for_selector("#objects li.selected")
        box = page.locator("#canvas").bounding_box()
        path = stroke_inside_object(truth)
        points = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in path]
        page.mouse.move(*points[0])
        page.mouse.down()
        for point in points[1:]:
            page.mouse.move(*point, steps=2)
        page.mouse.up()
        page.wait_for_selector("#status:text('updated')", timeout=30000)
        page.click("#propagate")
        page.wait_for_selector("#status:text('propagation done')", timeout=60000)
        page.screenshot(path=str(tmp_path / "gui.png"))
        if os.environ.get("TRACKPROP_UPDATE_DOCS"):
            shutil.copy(tmp_path / "gui.png", SCREENSHOT)
        with page.expect_download() as download:
            page.select_option("#format", "davis")
            page.click("#export")
        download.value.save_as(tmp_path / "davis.zip")
        browser.close()
    shutil.unpack_archive(tmp_path / "davis.zip", tmp_path / "davis")
    masks = np.stack(
        [read_label_png(tmp_path / "davis" / f"{t:05d}.png") for t in range(len(truth))]
    )
    scores = video_j_and_f(masks, truth)
    assert scores["J&F"] > MIN_J_AND_F


def launch(p):
    return p.chromium.launch(
        executable_path=CHROMIUM,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    )


def frame_zero_iou(url: str, truth: np.ndarray) -> float:
    import io
    import urllib.request

    from PIL import Image

    with urllib.request.urlopen(f"{url}/api/mask/0.png") as response:
        overlay = np.asarray(Image.open(io.BytesIO(response.read())))
    found, horse = overlay[..., 3] > 0, truth[0] == 1
    return float((found & horse).sum() / (found | horse).sum())


def test_click_and_box_tools_with_undo_in_chromium(server):
    url, truth = server
    horse = truth[0] == 1
    ys, xs = np.nonzero(horse)
    height, width = horse.shape
    with playwright.sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(url)
        page.wait_for_selector("text=428×240")
        page.click("#add-object")
        page.wait_for_selector("#objects li.selected")
        canvas = page.locator("#canvas").bounding_box()

        def at(x, y):
            return canvas["x"] + x * canvas["width"] / width, canvas["y"] + y * canvas[
                "height"
            ] / height

        page.check("#tool-box")
        page.mouse.move(*at(xs.min(), ys.min()))
        page.mouse.down()
        page.mouse.move(*at(xs.max() + 1, ys.max() + 1), steps=4)
        page.mouse.up()
        page.wait_for_selector("#status:text('updated')", timeout=30000)
        assert frame_zero_iou(url, truth) > 0.55  # the box tool's answer (API: 0.65 measured)

        page.evaluate("document.getElementById('status').textContent = ''")
        page.click("#undo")
        page.wait_for_function("document.getElementById('undo').disabled")
        assert frame_zero_iou(url, truth) == 0  # undone: nothing on the frame

        page.check("#tool-click")
        distance = cv2.distanceTransform(horse.astype(np.uint8), cv2.DIST_L2, 5)
        y, x = np.unravel_index(int(np.argmax(distance)), distance.shape)
        page.mouse.click(*at(x, y))
        page.wait_for_selector("#status:text('updated')", timeout=30000)
        after_one = frame_zero_iou(url, truth)
        assert after_one > 0.2
        page.evaluate("document.getElementById('status').textContent = ''")
        page.mouse.click(*at(5, 5), button="right")  # negative, far from the horse
        page.wait_for_selector("#status:text('updated')", timeout=30000)
        assert frame_zero_iou(url, truth) >= after_one - 0.05
        browser.close()
