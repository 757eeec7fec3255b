"""The paper's training augmentations, plus joint image/mask/box augmentation.

* virtual previous masks: the object mask warped by a random affine model (rotation, scale,
  shear, translation drawn within bounds), so single images yield (image, previous-mask) pairs;
* neighbour corruption: a mask grown into (part of) another object;
* twins: a copy of the object pasted beside it, background in the target (a look-alike);
* ellipse noise: random ellipses painted on the previous mask as background (removing mask) or
  foreground (adding false mask), which teaches the network to repair earlier rounds' errors;
* joint augmentation: parameters drawn once, applied alike to image, mask and box.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from trackprop.boxes import mask_box


@dataclass(frozen=True)
class AffineBounds:
    """Bounds of the random affine model of virtual previous masks."""

    rotation: float = 15.0  # degrees, either way
    scale: float = 0.15  # log-scale, either way: 0.15 -> x0.86..x1.16
    shear: float = 0.1  # shear factor, either way
    translation: float = 0.1  # fraction of the object's box size, either way


@dataclass(frozen=True)
class EllipseNoise:
    """Number and size of the noise ellipses painted on a previous mask."""

    count: tuple[int, int] = (0, 4)  # inclusive range per mask
    axis: tuple[float, float] = (0.05, 0.35)  # semi-axes as a fraction of the object's box size
    foreground_probability: float = 0.5  # an ellipse adds false mask, else removes mask


def affine_about(
    center: np.ndarray, rotation: float, scale: float, shear: float, shift: np.ndarray
) -> np.ndarray:
    """(2,3) affine: rotate/scale/shear about `center`, then translate by `shift`."""
    theta = np.deg2rad(rotation)
    linear = scale * np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    linear = linear @ np.array([[1.0, shear], [0.0, 1.0]])
    offset = center + shift - linear @ center
    return np.hstack([linear, offset[:, None]])


def random_affine(rng: np.random.Generator, box: np.ndarray, bounds: AffineBounds) -> np.ndarray:
    """(2,3) affine drawn within `bounds`, about the centre of `box` and relative to its size."""
    center = (box[:2] + box[2:]) / 2
    size = box[2:] - box[:2]
    return affine_about(
        center,
        rotation=rng.uniform(-bounds.rotation, bounds.rotation),
        scale=float(np.exp(rng.uniform(-bounds.scale, bounds.scale))),
        shear=rng.uniform(-bounds.shear, bounds.shear),
        shift=rng.uniform(-bounds.translation, bounds.translation, 2) * size,
    )


def warp_mask(mask: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """The binary mask moved by a (2,3) affine (nearest neighbour, same size, uint8 0/1)."""
    height, width = mask.shape
    return cv2.warpAffine(mask.astype(np.uint8), matrix, (width, height), flags=cv2.INTER_NEAREST)


def virtual_previous_mask(
    mask: np.ndarray, rng: np.random.Generator, bounds: AffineBounds = AffineBounds()
) -> np.ndarray:
    """A plausible previous-frame mask made from a single frame's mask (uint8 0/1)."""
    box = mask_box(mask)
    if box is None:
        return np.zeros(mask.shape, np.uint8)
    return warp_mask(mask, random_affine(rng, box, bounds))


def part_of(region: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """`region` whole, or the part of it on one side of a random line near its centre."""
    if rng.random() < 0.5:
        return region
    return one_side(region, rng)


def one_side(region: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The part of `region` (bool) on one side of a random line near its centre (20-80 % of it
    along the line's normal)."""
    ys, xs = np.nonzero(region)
    if not len(ys):
        return region
    angle = rng.uniform(0, 2 * np.pi)
    along = (xs - xs.mean()) * np.cos(angle) + (ys - ys.mean()) * np.sin(angle)
    keep = along > rng.uniform(-0.3, 0.3) * (np.ptp(along) + 1)
    part = np.zeros_like(region)
    part[ys[keep], xs[keep]] = True
    return part


def grow_into_neighbour(
    mask: np.ndarray, target: np.ndarray, labels: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """`mask` (bool) plus (part of) another object of the label map: a mask that slid onto a
    neighbour or an occluder, the error a memory of the annotation must undo."""
    others = [k for k in np.unique(labels[~target]) if k != 0]
    if not others:
        return mask
    return mask | part_of(labels == others[rng.integers(len(others))], rng)


@dataclass(frozen=True)
class TwinBounds:
    """Where and how a pasted copy of the object lands, relative to the object's box."""

    distance: tuple[float, float] = (0.6, 1.4)  # centre offset, in box sizes along a direction
    scale: float = 0.2  # log-scale, either way


def paste_twin(
    image: np.ndarray,
    target: np.ndarray,
    rng: np.random.Generator,
    bounds: TwinBounds = TwinBounds(),
) -> tuple[np.ndarray, np.ndarray]:
    """(image, target) with a copy of the object (`target`, uint8 0/1) pasted beside it: mirrored
    or not, rescaled a little, in front of whatever it lands on, the object included (its covered
    part leaves the target). The copy is not the object, so the network must tell the two apart
    by where the previous mask puts it, not by how it looks: the look-alike a mask drifts onto."""
    box = mask_box(target)
    if box is None:
        return image, target
    center, size = (box[:2] + box[2:]) / 2, box[2:] - box[:2]
    angle = rng.uniform(0, 2 * np.pi)
    shift = np.array([np.cos(angle), np.sin(angle)]) * rng.uniform(*bounds.distance) * size
    scale = float(np.exp(rng.uniform(-bounds.scale, bounds.scale)))
    matrix = affine_about(center, 0.0, scale, 0.0, shift)
    if rng.random() < 0.5:  # mirrored about the object's vertical axis first
        mirror = np.array([[-1.0, 0.0, 2 * center[0]], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
        matrix = matrix @ mirror
    height, width = target.shape
    twin = warp_mask(target, matrix).astype(bool)
    moved = cv2.warpAffine(image, matrix, (width, height), flags=cv2.INTER_LINEAR)
    out = image.copy()
    out[twin] = moved[twin]
    return out, (target.astype(bool) & ~twin).astype(np.uint8)


def paint_ellipses(
    mask: np.ndarray,
    rng: np.random.Generator,
    noise: EllipseNoise = EllipseNoise(),
    mode: str = "both",
) -> np.ndarray:
    """`mask` (uint8 0/1) with random ellipses painted near the object.

    mode "foreground": ellipses only add mask; "background": only remove it; "both": each
    ellipse is one or the other. Centres fall within the object's box grown by one axis length,
    so foreground noise sits where a propagation error would: next to the object.
    """
    out = mask.astype(np.uint8).copy()
    box = mask_box(mask)
    if box is None:
        return out
    size = box[2:] - box[:2]
    for _ in range(int(rng.integers(noise.count[0], noise.count[1] + 1))):
        axes = rng.uniform(noise.axis[0], noise.axis[1], 2) * size
        center = rng.uniform(box[:2] - axes, box[2:] + axes)
        if mode == "both":
            value = int(rng.random() < noise.foreground_probability)
        else:
            value = 1 if mode == "foreground" else 0
        cv2.ellipse(
            out,
            (round(center[0]), round(center[1])),
            (max(1, round(axes[0])), max(1, round(axes[1]))),
            rng.uniform(0, 180),
            0,
            360,
            value,
            thickness=-1,
        )
    return out


@dataclass(frozen=True)
class JointAugment:
    """One draw of joint augmentation parameters, applied alike to image, mask and box."""

    matrix: np.ndarray  # (2,3) geometric transform, flip included
    size: tuple[int, int]  # output (H, W)
    gain: float  # brightness/contrast: out = gain * image + bias
    bias: float

    @staticmethod
    def draw(
        rng: np.random.Generator,
        size: tuple[int, int],
        rotation: float = 10.0,
        scale: float = 0.2,
        flip_probability: float = 0.5,
        gain: float = 0.2,
        bias: float = 20.0,
    ) -> JointAugment:
        height, width = size
        center = np.array([width / 2, height / 2])
        matrix = affine_about(
            center,
            rng.uniform(-rotation, rotation),
            float(np.exp(rng.uniform(-scale, scale))),
            0.0,
            rng.uniform(-0.05, 0.05, 2) * np.array([width, height]),
        )
        if rng.random() < flip_probability:
            flip = np.array([[-1.0, 0, width - 1], [0, 1, 0], [0, 0, 1]])  # pixel centres
            matrix = (np.vstack([matrix, [0, 0, 1]]) @ flip)[:2]
        return JointAugment(matrix, size, 1 + rng.uniform(-gain, gain), rng.uniform(-bias, bias))

    def image(self, image: np.ndarray) -> np.ndarray:
        height, width = self.size
        warped = cv2.warpAffine(
            image,
            self.matrix,
            (width, height),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REFLECT,
        )
        return np.clip(warped.astype(np.float32) * self.gain + self.bias, 0, 255).astype(np.uint8)

    def mask(self, mask: np.ndarray) -> np.ndarray:
        height, width = self.size
        return cv2.warpAffine(
            mask.astype(np.uint8), self.matrix, (width, height), flags=cv2.INTER_NEAREST
        )

    def box(self, box: np.ndarray) -> np.ndarray:
        """The box around the transformed corners of `box` (x0, y0, x1, y1; x1, y1 exclusive).

        OpenCV places pixel i's centre at i, so the box edges sit at x0 - 0.5 and x1 - 0.5.
        """
        x0, y0, x1, y1 = np.asarray(box, dtype=float) - 0.5
        corners = np.array([[x0, y0, 1], [x1, y0, 1], [x1, y1, 1], [x0, y1, 1]], dtype=float)
        moved = corners @ self.matrix.T
        return np.concatenate([moved.min(0), moved.max(0)]) + 0.5
