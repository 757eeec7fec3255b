"""Rendering of composited frames: background through the camera, layers back to front, labels.

A pixel's label is that of the nearest layer whose alpha exceeds 0.5 (distractors carry label 0),
so labels follow the depth order exactly, including the motion-blurred alpha of fast layers.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from trackprop.data.synth_motion import CameraPath, LayerPath

LABEL_ALPHA = 0.5
BACKGROUND_MARGIN = 1.5  # the background photo covers this multiple of the screen, for panning


@dataclass
class Layer:
    rgba: np.ndarray  # (h,w,4) uint8 cut-out
    path: LayerPath
    label: int  # object id, 0 for an unannotated distractor or occluder


def affine(matrix: np.ndarray) -> np.ndarray:
    """(3,3) homogeneous form of a (2,3) affine matrix."""
    return np.vstack([matrix, [0, 0, 1]])


def camera_matrix(camera: CameraPath, t: int, size: tuple[int, int]) -> np.ndarray:
    """(3,3) world -> screen."""
    height, width = size
    zoom, (cx, cy) = camera.zoom[t], camera.center[t]
    return np.array(
        [[zoom, 0, width / 2 - zoom * cx], [0, zoom, height / 2 - zoom * cy], [0, 0, 1]]
    )


def stamp_matrix(path: LayerPath, t: int, shape: tuple[int, int]) -> np.ndarray:
    """(3,3) stamp pixels -> world: centre, flip, scale, rotate, place."""
    h, w = shape
    rotate = affine(cv2.getRotationMatrix2D((0.0, 0.0), float(path.angle[t]), float(path.scale[t])))
    flip = np.diag([-1.0 if path.flip else 1.0, 1.0, 1.0])
    to_origin = np.array([[1, 0, -w / 2], [0, 1, -h / 2], [0, 0, 1]])
    place = np.array([[1, 0, path.center[t, 0]], [0, 1, path.center[t, 1]], [0, 0, 1]])
    return place @ rotate @ flip @ to_origin


def elastic_warp(rgba: np.ndarray, amplitude: float, phase: float) -> np.ndarray:
    """Smooth non-rigid deformation of a cut-out; `phase` moves it from frame to frame."""
    h, w = rgba.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    u, v = xs / max(w, 1), ys / max(h, 1)
    dx = amplitude * np.sin(2 * np.pi * (1.3 * v + phase)) * np.sin(np.pi * u)
    dy = amplitude * np.sin(2 * np.pi * (1.1 * u - 0.7 * phase)) * np.sin(np.pi * v)
    return cv2.remap(rgba, xs + dx, ys + dy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)


def motion_blur(image: np.ndarray, velocity: np.ndarray, exposure: float = 0.6) -> np.ndarray:
    """Blur along the on-screen velocity, as a shutter open for `exposure` of a frame would."""
    length = float(np.hypot(*velocity)) * exposure
    if length < 2:
        return image
    size = int(np.ceil(length)) | 1
    kernel = np.zeros((size, size), np.float32)
    c = size // 2
    direction = velocity / np.hypot(*velocity)
    end = direction * length / 2
    cv2.line(
        kernel, (round(c - end[0]), round(c - end[1])), (round(c + end[0]), round(c + end[1])), 1.0
    )
    return cv2.filter2D(image, -1, kernel / kernel.sum(), borderType=cv2.BORDER_CONSTANT)


def background_view(
    photo: np.ndarray, camera: CameraPath, t: int, size: tuple[int, int]
) -> np.ndarray:
    """(H,W,3) float32 view of the background photo through the camera at frame t."""
    height, width = size
    ph, pw = photo.shape[:2]
    # world -> photo: the photo covers BACKGROUND_MARGIN x the screen, centred on it.
    fit = max(BACKGROUND_MARGIN * width / pw, BACKGROUND_MARGIN * height / ph)
    world_to_photo = np.array(
        [
            [1 / fit, 0, pw / 2 - width / (2 * fit)],
            [0, 1 / fit, ph / 2 - height / (2 * fit)],
            [0, 0, 1],
        ]
    )
    screen_to_photo = world_to_photo @ np.linalg.inv(camera_matrix(camera, t, size))
    view = cv2.warpAffine(
        photo,
        screen_to_photo[:2],
        (width, height),
        flags=cv2.INTER_AREA | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REFLECT,
    )
    return view.astype(np.float32)


def screen_velocity(layer: Layer, camera: CameraPath, t: int, size: tuple[int, int]) -> np.ndarray:
    if t == 0:
        return np.zeros(2)
    now = camera_matrix(camera, t, size) @ np.append(layer.path.center[t], 1)
    before = camera_matrix(camera, t - 1, size) @ np.append(layer.path.center[t - 1], 1)
    return (now - before)[:2]


def composite_layer(
    frame: np.ndarray,
    labels: np.ndarray,
    layer: Layer,
    matrix: np.ndarray,
    velocity: np.ndarray,
    rgba: np.ndarray,
) -> None:
    """Warp `rgba` by `matrix` (stamp -> screen) and paint it over frame and labels in place."""
    height, width = labels.shape
    h, w = rgba.shape[:2]
    corners = matrix @ np.array([[0, w, w, 0], [0, 0, h, h], [1, 1, 1, 1]], dtype=float)
    pad = int(np.hypot(*velocity)) + 2
    x0, y0 = np.floor(corners[:2].min(1)).astype(int) - pad
    x1, y1 = np.ceil(corners[:2].max(1)).astype(int) + pad
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
    if x1 <= x0 or y1 <= y0:
        return  # entirely off screen
    local = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1]]) @ matrix
    warped = cv2.warpAffine(rgba, local[:2], (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR)
    warped = warped.astype(np.float32) / 255.0
    alpha = warped[..., 3:]
    premultiplied = np.concatenate([warped[..., :3] * alpha * 255.0, alpha], axis=2)
    premultiplied = motion_blur(premultiplied, velocity)
    alpha = premultiplied[..., 3:]
    region = frame[y0:y1, x0:x1]
    region *= 1 - alpha
    region += premultiplied[..., :3]
    labels[y0:y1, x0:x1][alpha[..., 0] > LABEL_ALPHA] = layer.label


def render_layers(
    background: np.ndarray, layers: list[Layer], camera: CameraPath, t: int
) -> tuple[np.ndarray, np.ndarray]:
    """Frame t without photometric effects: (H,W,3) float32 image and (H,W) uint8 labels."""
    size = background.shape[:2]
    frame = background.copy()
    labels = np.zeros(size, np.uint8)
    for layer in sorted(layers, key=lambda item: item.path.depth[t]):
        rgba = layer.rgba
        if layer.path.elastic:
            rgba = elastic_warp(rgba, layer.path.elastic, t / 25.0)
        matrix = camera_matrix(camera, t, size) @ stamp_matrix(layer.path, t, rgba.shape[:2])
        composite_layer(frame, labels, layer, matrix, screen_velocity(layer, camera, t, size), rgba)
    return frame, labels


def photometric(
    frame: np.ndarray, gain: np.ndarray, noise_sigma: float, rng: np.random.Generator
) -> np.ndarray:
    """Lighting drift (per-channel gain) and sensor noise; (H,W,3) float32 -> uint8."""
    frame = frame * gain[None, None, :]
    if noise_sigma > 0:
        frame += rng.normal(0.0, noise_sigma, frame.shape).astype(np.float32)
    return np.clip(frame, 0, 255).astype(np.uint8)
