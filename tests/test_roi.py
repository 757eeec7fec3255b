import numpy as np

from trackprop.config import RoiConfig
from trackprop.roi import crop_roi, expand_box, paste_roi


def test_expand_box_is_a_centred_enlarged_square():
    roi = expand_box(np.array([10, 20, 50, 40]), RoiConfig(enlarge=1.5, min_side=8))
    assert np.allclose(roi, [0, 0, 60, 60])
    tiny = expand_box(np.array([5, 5, 6, 6]), RoiConfig(enlarge=2, min_side=32))
    assert np.allclose(tiny[2:] - tiny[:2], 32)


def test_crop_then_paste_is_exact_at_unit_scale(rng):
    image = rng.random((50, 60)).astype(np.float32)
    roi = np.array([10.0, 5.0, 42.0, 37.0])
    crop = crop_roi(image, roi, 32)
    assert np.array_equal(crop, image[5:37, 10:42])
    region, (rows, cols) = paste_roi(crop, roi, image.shape, fill=-1)
    assert (rows, cols) == (slice(5, 37), slice(10, 42))
    assert np.array_equal(region, image[rows, cols])


def test_round_trip_through_a_resize_keeps_a_mask(rng):
    mask = np.zeros((120, 160), np.float32)
    mask[40:90, 50:120] = 1
    roi = expand_box(np.array([50, 40, 120, 90]), RoiConfig(enlarge=1.6))
    crop = crop_roi(mask, roi, 64)
    region, (rows, cols) = paste_roi(crop, roi, mask.shape, fill=0)
    restored = np.zeros_like(mask)
    restored[rows, cols] = region
    assert np.mean((restored > 0.5) == (mask > 0.5)) > 0.995


def test_roi_partly_outside_the_frame(rng):
    image = rng.random((30, 40)).astype(np.float32)
    roi = np.array([-10.0, -10.0, 20.0, 20.0])
    crop = crop_roi(image, roi, 30)
    assert np.all(crop[:10] == 0) and np.array_equal(crop[10:, 10:], image[:20, :20])
    region, (rows, cols) = paste_roi(crop, roi, image.shape, fill=0)
    assert (rows, cols) == (slice(0, 20), slice(0, 20))
    assert np.array_equal(region, image[:20, :20])
    empty, _ = paste_roi(crop, np.array([100.0, 100, 130, 130]), image.shape, fill=0)
    assert empty.size == 0
