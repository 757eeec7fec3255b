"""Composited training and benchmark videos, written as a DAVIS-format set.

Each video: a background photo seen through a panning, zooming camera; 1-4 annotated photo
cut-outs (a share of them cartoon stamps, when asked) and 0-2 unannotated cartoon distractors
moving with velocity plus smooth noise, changing scale (up to x2), rotating, some deforming elastically, overlapping in a depth order that changes,
some leaving the frame and coming back; sometimes a fast foreground occluder hides an object
completely for a few frames; then motion blur, lighting drift, sensor noise and JPEG.
A video is a pure function of (seed, split, index).
"""

from __future__ import annotations

import functools
import multiprocessing
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from trackprop.data.davis import DavisRoot
from trackprop.data.sources import load_manifest, split_of
from trackprop.data.strokes import stroke_inside, to_davis_path
from trackprop.data.synth_motion import (
    CameraPath,
    camera_path,
    object_path,
    occluder_pass,
    smooth_noise,
)
from trackprop.data.synth_render import Layer, background_view, photometric, render_layers
from trackprop.errors import TrackpropError

SPLIT_CODES = {"train": 0, "val": 1}
Image_ = np.ndarray | str  # an image in memory or the path of one


@dataclass(frozen=True)
class SynthConfig:
    frames: int = 50
    height: int = 480
    width: int = 854
    min_objects: int = 1
    max_objects: int = 4
    max_distractors: int = 2
    occlusion_probability: float = 0.5  # a video has a full-occlusion pass
    leave_probability: float = 0.3  # an object's bounds reach past the screen
    stamp_max_side: int = 360  # cut-outs are stored no larger, which bounds the warp cost
    # Share of the annotated objects drawn from the cartoon stamps (flat colours, drawn outlines)
    # instead of the photo cut-outs: what a user marks is not always a photo (logos, icons,
    # animation). 0 keeps the sets made before it existed exactly as they were.
    cartoon_objects: float = 0.0


@dataclass(frozen=True)
class ImagePool:
    """The images one split may use: photo cut-outs, cartoon distractors, background photos."""

    photos: Sequence[Image_]
    cartoons: Sequence[Image_]
    backgrounds: Sequence[Image_]


@dataclass
class VideoPlan:
    background: np.ndarray
    layers: list[Layer]
    camera: CameraPath
    gain: np.ndarray  # (T,3) lighting drift
    noise_sigma: float
    jpeg_quality: int
    num_objects: int


def pool_from_manifest(
    split: str, cache: Path | None = None, more_backgrounds: bool = False
) -> ImagePool:
    """The fetched imagery of one split; train and val share no stamp and no background.

    `more_backgrounds` adds the training-only backgrounds (train split only).
    """
    if more_backgrounds and split != "train":
        raise TrackpropError(f"more backgrounds are for the train split only, not '{split}'.")
    manifest = load_manifest(cache)
    stamps = [s for s in manifest["stamps"] if split_of(s["name"]) == split]
    backgrounds = [b["path"] for b in manifest["backgrounds"] if split_of(b["name"]) == split]
    if more_backgrounds:
        if not manifest["train_backgrounds"]:
            raise TrackpropError(
                "no training-only backgrounds fetched; run 'trackprop data fetch'."
            )
        backgrounds += [b["path"] for b in manifest["train_backgrounds"]]
    return ImagePool(
        photos=[s["path"] for s in stamps if s["kind"] == "photo"],
        cartoons=[s["path"] for s in stamps if s["kind"] == "cartoon"],
        backgrounds=backgrounds,
    )


@functools.lru_cache(maxsize=256)
def _load_rgba(path: str) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGBA"))


@functools.lru_cache(maxsize=16)
def _load_rgb(path: str, max_side: int) -> np.ndarray:
    image = Image.open(path).convert("RGB")
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return np.asarray(image)


def cutout(image: Image_, max_side: int) -> np.ndarray:
    """(h,w,4) uint8: the image cropped to its alpha and shrunk to at most max_side."""
    rgba = _load_rgba(image) if isinstance(image, str) else image
    ys, xs = np.nonzero(rgba[..., 3] > 0)
    rgba = rgba[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    factor = max_side / max(rgba.shape[:2])
    if factor < 1:
        size = (max(1, round(rgba.shape[1] * factor)), max(1, round(rgba.shape[0] * factor)))
        rgba = cv2.resize(rgba, size, interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(rgba)


def photo(image: Image_, config: SynthConfig) -> np.ndarray:
    max_side = int(2 * max(config.width, config.height))
    return _load_rgb(image, max_side) if isinstance(image, str) else image[..., :3]


def occluder_cutout(
    texture: np.ndarray, extent: tuple[float, float], rng: np.random.Generator
) -> np.ndarray:
    """A rounded rectangle of real texture (w, h = extent), opaque inside."""
    w, h = max(8, int(extent[0])), max(8, int(extent[1]))
    th, tw = texture.shape[:2]
    x, y = rng.integers(0, max(1, tw - w // 2)), rng.integers(0, max(1, th - h // 2))
    patch = cv2.resize(texture[y : y + h // 2 + 8, x : x + w // 2 + 8], (w, h))
    alpha = np.zeros((h, w), np.uint8)
    radius = int(0.2 * min(w, h))
    cv2.rectangle(alpha, (radius, 0), (w - 1 - radius, h - 1), 255, -1)
    cv2.rectangle(alpha, (0, radius), (w - 1, h - 1 - radius), 255, -1)
    for cx, cy in [
        (radius, radius),
        (w - 1 - radius, radius),
        (radius, h - 1 - radius),
        (w - 1 - radius, h - 1 - radius),
    ]:
        cv2.circle(alpha, (cx, cy), radius, 255, -1)
    return np.dstack([patch, alpha])


def plan_video(pool: ImagePool, config: SynthConfig, rng: np.random.Generator) -> VideoPlan:
    size, frames = (config.height, config.width), config.frames
    num_objects = int(rng.integers(config.min_objects, config.max_objects + 1))
    num_distractors = int(rng.integers(0, config.max_distractors + 1)) if pool.cartoons else 0
    chosen = [pool.photos[i] for i in rng.choice(len(pool.photos), num_objects, replace=False)]
    if config.cartoon_objects > 0 and pool.cartoons:
        cartoon = rng.random(num_objects) < config.cartoon_objects
        drawn = rng.choice(len(pool.cartoons), num_objects, replace=False)
        chosen = [
            pool.cartoons[d] if c else p for p, c, d in zip(chosen, cartoon, drawn, strict=True)
        ]
    layers = []
    for label, image in enumerate(chosen, start=1):
        rgba = cutout(image, config.stamp_max_side)
        path = object_path(
            rng, frames, size, max(rgba.shape[:2]), rng.random() < config.leave_probability
        )
        layers.append(Layer(rgba, path, label))
    for index in (
        rng.choice(len(pool.cartoons), num_distractors, replace=False) if num_distractors else []
    ):
        if any(pool.cartoons[index] is image for image in chosen):
            continue  # an annotated stamp does not come twice, once unannotated
        rgba = cutout(pool.cartoons[index], config.stamp_max_side)
        path = object_path(
            rng, frames, size, max(rgba.shape[:2]), rng.random() < config.leave_probability
        )
        path.scale *= 0.7  # distractors are a little smaller than the objects
        layers.append(Layer(rgba, path, 0))
    background = photo(pool.backgrounds[rng.integers(len(pool.backgrounds))], config)
    if frames >= 12 and rng.random() < config.occlusion_probability:
        target = layers[int(rng.integers(num_objects))]
        length = int(rng.integers(2, 6))
        start = int(rng.integers(5, frames - length - 1))
        side = max(target.rgba.shape[:2])
        path, extent = occluder_pass(rng, target.path, side, start, length)
        texture = photo(pool.backgrounds[rng.integers(len(pool.backgrounds))], config)
        layers.append(Layer(occluder_cutout(texture, extent, rng), path, 0))
    gain = 1 + rng.uniform(0.03, 0.15) * np.stack(
        [smooth_noise(rng, frames, 15) for _ in range(3)], 1
    )
    return VideoPlan(
        background=background,
        layers=layers,
        camera=camera_path(rng, frames, size),
        gain=gain.astype(np.float32),
        noise_sigma=float(rng.uniform(0, 4)),
        jpeg_quality=int(rng.integers(70, 96)),
        num_objects=num_objects,
    )


def render_video(
    plan: VideoPlan, config: SynthConfig, rng: np.random.Generator
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(frame (H,W,3) uint8, labels (H,W) uint8) for every frame."""
    size = (config.height, config.width)
    for t in range(config.frames):
        background = background_view(plan.background, plan.camera, t, size)
        frame, labels = render_layers(background, plan.layers, plan.camera, t)
        yield photometric(frame, plan.gain[t], plan.noise_sigma, rng), labels


def initial_scribbles(labels: np.ndarray, num_objects: int, rng: np.random.Generator) -> list[dict]:
    """One positive stroke inside each object visible in `labels` (DAVIS scribble items)."""
    items = []
    for object_id in range(1, num_objects + 1):
        stroke = stroke_inside(labels == object_id, rng)
        if len(stroke):
            items.append(
                {
                    "path": to_davis_path(stroke, labels.shape),
                    "object_id": object_id,
                    "start_time": 0,
                    "end_time": 0,
                }
            )
    return items


def write_video(
    root: DavisRoot, name: str, pool: ImagePool, config: SynthConfig, rng: np.random.Generator
) -> dict:
    """Render one video into the DAVIS root with its scribble file; returns a short summary."""
    plan = plan_video(pool, config, rng)
    areas = np.zeros((config.frames, plan.num_objects), np.int64)
    for t, (frame, labels) in enumerate(render_video(plan, config, rng)):
        root.write_frame(name, t, frame, quality=plan.jpeg_quality)
        root.write_annotation(name, t, labels)
        areas[t] = np.bincount(labels.ravel(), minlength=256)[1 : plan.num_objects + 1]
    # Scribble on the frame where the least visible object is most visible (all visible if any is).
    scribble_frame = int(np.argmax(areas.min(1)))
    scribbles = [[] for _ in range(config.frames)]
    scribbles[scribble_frame] = initial_scribbles(
        root.read_annotation(name, scribble_frame), plan.num_objects, rng
    )
    root.write_scribbles(
        name, {"sequence": name, "annotated_frame": scribble_frame, "scribbles": scribbles}
    )
    return {"name": name, "objects": plan.num_objects, "hidden_frames": int((areas == 0).sum())}


def _write_one(args: tuple) -> dict:
    out, name, pool, config, seed_key = args
    cv2.setNumThreads(1)
    return write_video(DavisRoot(out), name, pool, config, np.random.default_rng(seed_key))


def synthesize(
    out: str | Path,
    pool: ImagePool,
    videos: int,
    seed: int,
    split: str = "train",
    config: SynthConfig = SynthConfig(),
    workers: int = 2,
    progress=None,
) -> list[dict]:
    """Write `videos` composited videos into the DAVIS root `out` and list them under `split`."""
    root = DavisRoot(out)
    names = [f"{split}{seed:03d}-{index:04d}" for index in range(videos)]
    tasks = [
        (str(out), name, pool, config, (seed, SPLIT_CODES.get(split, 2), i))
        for i, name in enumerate(names)
    ]
    if workers > 1 and videos > 1:
        # spawn, not fork: a forked child deadlocks if OpenCV's thread pool ran in the parent.
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=spawn) as executor:
            results = list(executor.map(_write_one, tasks))
    else:
        results = [_write_one(task) for task in tasks]
    if progress:
        progress(results)
    root.write_split(split, names)
    return results
