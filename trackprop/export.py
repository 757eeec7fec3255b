"""Export a video's label maps: DAVIS indexed PNGs, per-object PNGs, COCO RLE JSON, overlay mp4,
per-object RGBA cut-outs (alpha)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from trackprop import rle
from trackprop.atomic import atomic_path, write_text
from trackprop.data.davis import write_label_png
from trackprop.data.video import FrameSource, VideoWriter
from trackprop.errors import TrackpropError
from trackprop.visual import overlay

LabelsOf = Callable[[int], np.ndarray]


def export_davis(
    out: Path, frames: FrameSource, labels_of: LabelsOf, object_ids: list[int]
) -> Path:
    for t in range(frames.num_frames):
        write_label_png(out / f"{t:05d}.png", labels_of(t))
    return out


def export_png(out: Path, frames: FrameSource, labels_of: LabelsOf, object_ids: list[int]) -> Path:
    """One binary PNG (0/255) per object per frame: <out>/<object_id>/<frame>.png."""
    for t in range(frames.num_frames):
        labels = labels_of(t)
        for object_id in object_ids:
            path = out / str(object_id) / f"{t:05d}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(path) as partial:
                Image.fromarray(((labels == object_id) * 255).astype(np.uint8)).save(partial)
    return out


def export_alpha(
    out: Path, frames: FrameSource, labels_of: LabelsOf, object_ids: list[int], feather: int = 0
) -> Path:
    """Per object and frame an RGBA PNG of the frame, the object opaque and the rest transparent
    (<out>/<object_id>/<frame>.png, what a compositor imports); `feather` px softens the edge."""
    if feather < 0:
        raise TrackpropError(f"feather {feather} px: give 0 or more pixels.")
    for t in range(frames.num_frames):
        image, labels = frames.read(t), labels_of(t)
        for object_id in object_ids:
            alpha = ((labels == object_id) * 255).astype(np.uint8)
            if feather:
                alpha = cv2.GaussianBlur(alpha, (2 * feather + 1, 2 * feather + 1), feather / 2)
            path = out / str(object_id) / f"{t:05d}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(path) as partial:
                Image.fromarray(np.dstack([image, alpha]), "RGBA").save(partial)
    return out


def export_coco_rle(
    out: Path, frames: FrameSource, labels_of: LabelsOf, object_ids: list[int]
) -> Path:
    """<out>/annotations.json: COCO-style images, one RLE annotation per visible object and frame."""
    images, annotations = [], []
    for t in range(frames.num_frames):
        labels = labels_of(t)
        images.append(
            {
                "id": t,
                "frame": t,
                "file_name": f"{t:05d}.jpg",
                "height": frames.height,
                "width": frames.width,
            }
        )
        for object_id in object_ids:
            mask = labels == object_id
            if not mask.any():
                continue
            ys, xs = np.nonzero(mask)
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": t,
                    "category_id": 1,
                    "object_id": object_id,
                    "segmentation": rle.encode(mask),
                    "area": int(mask.sum()),
                    "iscrowd": 0,
                    "bbox": [
                        int(xs.min()),
                        int(ys.min()),
                        int(np.ptp(xs)) + 1,
                        int(np.ptp(ys)) + 1,
                    ],
                }
            )
    out.mkdir(parents=True, exist_ok=True)
    path = out / "annotations.json"
    data = {
        "images": images,
        "annotations": annotations,
        "categories": [{"id": 1, "name": "object"}],
    }
    write_text(path, json.dumps(data))
    return path


def export_mp4(out: Path, frames: FrameSource, labels_of: LabelsOf, object_ids: list[int]) -> Path:
    path = out / "overlay.mp4"
    with VideoWriter(path, fps=frames.fps) as writer:
        for t in range(frames.num_frames):
            writer.write(overlay(frames.read(t), labels_of(t)))
    return path


EXPORTERS = {
    "davis": export_davis,
    "png": export_png,
    "coco-rle": export_coco_rle,
    "mp4": export_mp4,
    "alpha": export_alpha,
}


def check_format(format: str) -> str:
    if format not in EXPORTERS:
        raise TrackpropError(
            f"unknown export format '{format}'; choose one of: {', '.join(EXPORTERS)}."
        )
    return format


def parse_formats(text: str) -> list[str]:
    """A comma list of formats ("davis, mp4" too), each checked: before any work is done."""
    formats = [check_format(f.strip()) for f in text.split(",") if f.strip()]
    if not formats:
        raise TrackpropError(f"no export format given; choose from: {', '.join(EXPORTERS)}.")
    return list(dict.fromkeys(formats))


def export(
    out: str | Path,
    format: str,
    frames: FrameSource,
    labels_of: LabelsOf,
    object_ids: list[int],
    feather: int = 0,
) -> Path:
    options = {"feather": feather} if check_format(format) == "alpha" else {}
    return EXPORTERS[format](Path(out), frames, labels_of, object_ids, **options)
