"""Trajectories of composited videos: camera path, object motion, depth order, occluder passes.

Everything is drawn from one numpy Generator up front, so a video is a pure function of its seed.
Positions are in "world" pixels: the screen at frame 0; the camera maps world to screen.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class LayerPath:
    """Per-frame pose of one composited layer (T frames)."""

    center: np.ndarray  # (T,2) world x, y of the stamp centre
    scale: np.ndarray  # (T,) stamp pixels -> world pixels
    angle: np.ndarray  # (T,) degrees, counter-clockwise
    depth: np.ndarray  # (T,) larger is nearer the camera
    elastic: float  # amplitude of the non-rigid warp, in stamp pixels (0 for rigid)
    flip: bool


@dataclass
class CameraPath:
    center: np.ndarray  # (T,2) world point at the screen centre
    zoom: np.ndarray  # (T,) screen pixels per world pixel


def smooth_noise(rng: np.random.Generator, frames: int, width: float = 8.0) -> np.ndarray:
    """(T,) zero-mean noise with unit std, correlated over about `width` frames."""
    raw = rng.standard_normal(frames + 4 * int(width))
    taps = np.exp(-0.5 * (np.arange(-2 * width, 2 * width + 1) / width) ** 2)
    smooth = np.convolve(raw, taps / taps.sum(), mode="same")[
        2 * int(width) : 2 * int(width) + frames
    ]
    return (smooth - smooth.mean()) / (smooth.std() + 1e-8)


def camera_path(rng: np.random.Generator, frames: int, size: tuple[int, int]) -> CameraPath:
    """Smooth pan and zoom; the view stays inside a background 1.5x the screen."""
    height, width = size
    zoom = 1.0 + rng.uniform(0, 0.25) * np.clip(
        np.linspace(0, 1, frames) + 0.2 * smooth_noise(rng, frames, 12), 0, 1
    )
    drift = rng.uniform(-1, 1, 2) * np.array([width, height]) * 0.12
    ramp = np.linspace(-0.5, 0.5, frames)[:, None]
    wobble = np.stack([smooth_noise(rng, frames, 10), smooth_noise(rng, frames, 10)], 1)
    offset = ramp * drift + wobble * np.array([width, height]) * 0.01
    return CameraPath(np.array([width / 2, height / 2]) + offset, zoom)


def object_path(
    rng: np.random.Generator, frames: int, size: tuple[int, int], stamp_side: float, leaves: bool
) -> LayerPath:
    """A layer moving with velocity plus smooth noise, bouncing inside bounds.

    `leaves`: the bounds extend past the screen, so the object leaves the frame and comes back.
    """
    height, width = size
    side = rng.uniform(0.22, 0.5) * height  # on-screen longest side at frame 0
    base_scale = side / stamp_side
    growth = np.exp(rng.uniform(np.log(0.5), np.log(2.0)))  # end/start scale ratio, within x2
    progress = np.linspace(0, 1, frames) ** rng.uniform(0.6, 1.6)
    scale = base_scale * growth**progress * (1 + 0.03 * smooth_noise(rng, frames, 6))
    margin = -0.35 if leaves else 0.12
    low = np.array([width, height]) * margin
    high = np.array([width, height]) * (1 - margin)
    speed = rng.uniform(1.0, 9.0)
    direction = rng.uniform(0, 2 * np.pi)
    velocity = speed * np.array([np.cos(direction), np.sin(direction)])
    jitter = np.stack([smooth_noise(rng, frames, 5), smooth_noise(rng, frames, 5)], 1) * speed * 0.4
    center = np.zeros((frames, 2))
    position = rng.uniform(np.array([0.2, 0.25]), np.array([0.8, 0.75])) * np.array([width, height])
    for t in range(frames):
        step = velocity + jitter[t]
        position = position + step
        for axis in range(2):  # reflect at the bounds
            if not low[axis] <= position[axis] <= high[axis]:
                velocity[axis] = -velocity[axis]
                position[axis] = np.clip(position[axis], low[axis], high[axis])
        center[t] = position
    spin = rng.uniform(-1.5, 1.5) * (rng.random() < 0.6)
    angle = rng.uniform(-20, 20) + spin * np.arange(frames) + 4 * smooth_noise(rng, frames, 10)
    depth = rng.uniform(0, 1) + rng.uniform(0.3, 1.0) * np.sin(
        2 * np.pi * np.arange(frames) / rng.uniform(20, 80) + rng.uniform(0, 2 * np.pi)
    )
    elastic = rng.uniform(0.02, 0.06) * stamp_side if rng.random() < 0.5 else 0.0
    return LayerPath(center, scale, angle, depth, elastic, bool(rng.random() < 0.5))


def occluder_pass(
    rng: np.random.Generator, target: LayerPath, target_side: float, start: int, length: int
) -> tuple[LayerPath, tuple[float, float]]:
    """A fast foreground layer that covers `target` completely for frames start..start+length-1.

    Returns the path (for a stamp of side 1, so scale is the world size) and the (w, h) of the
    occluding rectangle, big enough to contain the target's rotated box over the whole interval.
    """
    frames = len(target.scale)
    middle = start + (length - 1) / 2
    velocity = rng.uniform(25, 45) * np.array([1.0, 0.0]) * rng.choice([-1, 1])
    times = np.arange(frames)[:, None] - middle
    center = target.center[round(middle)] + times * velocity
    window = slice(start, start + length)
    reach = np.abs(target.center[window] - center[window]).max(0)
    radius = target.scale[window].max() * target_side * 0.75 + target.elastic * target.scale.max()
    extent = 2 * (reach + radius) * 1.1 + 8
    path = LayerPath(
        center=center,
        scale=np.ones(frames),
        angle=np.zeros(frames),
        depth=np.full(frames, 10.0),  # nearer than every object
        elastic=0.0,
        flip=False,
    )
    return path, (float(extent[0]), float(extent[1]))
