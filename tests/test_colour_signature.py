"""Colour signatures: a lost object found again is told from a look-alike by its colours."""

import cv2
import numpy as np

from trackprop.colour_signature import colour_distance, colour_signature


def box_mask(shape, box):
    mask = np.zeros(shape, np.uint8)
    x0, y0, x1, y1 = box
    mask[y0:y1, x0:x1] = 1
    return mask


def test_signatures_tell_the_same_colours_from_others():
    frame = np.zeros((240, 320, 3), np.uint8)
    frame[:, :160] = (200, 40, 40)
    frame[:, 160:] = (40, 200, 40)
    left = colour_signature(frame, box_mask(frame.shape[:2], (10, 10, 60, 60)))
    far_left = colour_signature(frame, box_mask(frame.shape[:2], (100, 150, 150, 230)))
    right = colour_signature(frame, box_mask(frame.shape[:2], (200, 10, 250, 60)))
    assert np.isclose(left.sum(), 1.0)
    assert colour_distance(left, far_left) < 0.05
    assert colour_distance(left, right) > 0.9


def test_a_signature_reads_only_the_mask_s_pixels():
    frame = np.zeros((100, 100, 3), np.uint8)
    cv2.circle(frame, (50, 50), 20, (0, 0, 250), -1)  # the object; its box's corners are black
    disk = np.zeros((100, 100), np.uint8)
    cv2.circle(disk, (50, 50), 20, 1, -1)
    centre = box_mask(disk.shape, (45, 45, 55, 55))
    assert colour_distance(colour_signature(frame, disk), colour_signature(frame, centre)) < 0.05


def test_an_empty_mask_has_no_signature():
    assert colour_signature(np.zeros((10, 10, 3), np.uint8), np.zeros((10, 10), np.uint8)) is None
