"""A built-in image pool from pictures that ship inside scikit-image, for the demo and tests.

Cut-outs: skimage's horse silhouette filled with its cat photo (chelsea), and an elliptical cut
of the coffee-cup photo. Backgrounds: the astronaut, rocket and Hubble photos. No fetch needed.
"""

from __future__ import annotations

import functools

import cv2
import numpy as np
from skimage import data

from trackprop.data.synth import ImagePool


def _horse_cutout() -> np.ndarray:
    silhouette = ~data.horse()  # skimage draws the horse black on white
    height, width = silhouette.shape
    fur = cv2.resize(data.chelsea(), (width, height), interpolation=cv2.INTER_AREA)
    return np.dstack([fur, silhouette.astype(np.uint8) * 255])


def _cup_cutout() -> np.ndarray:
    image = data.coffee()
    alpha = np.zeros(image.shape[:2], np.uint8)
    cv2.ellipse(alpha, (300, 190), (200, 150), 0, 0, 360, 255, thickness=-1)
    return np.dstack([image, alpha])


@functools.cache
def builtin_pool() -> ImagePool:
    return ImagePool(
        photos=[_horse_cutout(), _cup_cutout()],
        cartoons=[],
        backgrounds=[data.astronaut(), data.rocket(), data.hubble_deep_field()],
    )
