"""The mask's optical flow: how far the pixels under an object's mask moved between frames."""

import cv2
import numpy as np

from trackprop.mask_flow import grey, mask_displacement


def texture(shape, seed):
    """Blurred noise stretched to full contrast: structure at the scale of real images."""
    noise = np.random.default_rng(seed).integers(0, 256, shape).astype(np.uint8)
    return cv2.normalize(cv2.GaussianBlur(noise, (0, 0), 3), None, 0, 255, cv2.NORM_MINMAX)


def scene(object_at, background_shift=0):
    """A grey textured background (shifted left by `background_shift`) with a textured 60x60
    object whose top-left corner is `object_at`, and the object's mask."""
    frame = np.roll(texture((240, 320), 1), -background_shift, axis=1)
    x, y = object_at
    frame[y : y + 60, x : x + 60] = texture((60, 60), 2)
    mask = np.zeros(frame.shape, np.uint8)
    mask[y : y + 60, x : x + 60] = 1
    return frame, mask


def test_the_displacement_is_the_object_s_not_the_background_s():
    before, mask = scene((100, 80))
    after, _ = scene((107, 76), background_shift=6)  # the object goes right, the background left
    moved = mask_displacement(before, after, mask, np.array([100, 80, 160, 140]))
    assert np.allclose(moved, [7, -4], atol=1.0)


def test_a_large_object_is_read_at_a_reduced_scale_in_frame_pixels():
    big = cv2.resize(texture((120, 120), 3), (240, 240))  # too large for the flow's window
    before = np.full((480, 640), 90, np.uint8)
    after = before.copy()
    before[100:340, 150:390] = big
    after[95:335, 162:402] = big
    mask = np.zeros(before.shape, np.uint8)
    mask[100:340, 150:390] = 1
    moved = mask_displacement(before, after, mask, np.array([150, 100, 390, 340]))
    assert np.allclose(moved, [12, -5], atol=1.5)


def test_a_displacement_does_not_depend_on_the_ones_read_before():
    # a small object's window first, then a large one's: a reused DIS instance answered the large
    # window differently after the small one (the ROI then depended on the video's history)
    before, mask = scene((100, 80))
    after, _ = scene((107, 76), background_shift=6)
    box = np.array([100, 80, 160, 140])
    alone = mask_displacement(before, after, mask, box)
    small = np.zeros_like(mask)
    small[100:110, 120:130] = 1
    mask_displacement(before, after, small, np.array([120, 100, 130, 110]))
    assert np.array_equal(mask_displacement(before, after, mask, box), alone)


def test_no_estimate_from_a_mask_too_small_to_read():
    before, _ = scene((100, 80))
    mask = np.zeros(before.shape, np.uint8)
    mask[100, 120] = 1
    assert mask_displacement(before, before, mask, np.array([120, 100, 121, 101])) is None


def test_grey_reads_an_rgb_frame():
    frame = np.zeros((4, 5, 3), np.uint8)
    frame[..., 1] = 200
    assert grey(frame).shape == (4, 5) and int(grey(frame)[0, 0]) == round(0.587 * 200)
