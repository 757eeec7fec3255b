import numpy as np

from trackprop.boxes import mask_box
from trackprop.train.augment import (
    AffineBounds,
    EllipseNoise,
    JointAugment,
    affine_about,
    grow_into_neighbour,
    one_side,
    paint_ellipses,
    paste_twin,
    virtual_previous_mask,
    warp_mask,
)


def blob(size=(80, 100)):
    mask = np.zeros(size, np.uint8)
    mask[20:55, 30:75] = 1
    mask[40:70, 45:60] = 1
    return mask


def iou(a, b):
    return (a & b).sum() / max((a | b).sum(), 1)


def test_identity_affine_leaves_mask_unchanged():
    mask = blob()
    identity = affine_about(np.array([50.0, 40.0]), rotation=0, scale=1, shear=0, shift=np.zeros(2))
    assert np.array_equal(warp_mask(mask, identity), mask)
    zero_bounds = AffineBounds(rotation=0, scale=0, shear=0, translation=0)
    assert np.array_equal(virtual_previous_mask(mask, np.random.default_rng(0), zero_bounds), mask)


def test_virtual_previous_mask_stays_within_its_bounds(rng):
    mask = blob()
    overlaps = [
        iou(virtual_previous_mask(mask, rng).astype(bool), mask.astype(bool)) for _ in range(50)
    ]
    assert min(overlaps) > 0.3  # bounded perturbation: never unrelated to the object
    assert max(overlaps) < 0.999  # but a real perturbation
    big = AffineBounds(rotation=0, scale=0, shear=0, translation=0.5)
    moved = [mask_box(virtual_previous_mask(mask, rng, big)) for _ in range(20)]
    assert max(abs(b[0] - 30) for b in moved) > 5


def test_foreground_ellipses_only_add_and_background_only_remove(rng):
    noise = EllipseNoise(count=(3, 6))
    for _ in range(30):
        mask = blob()
        added = paint_ellipses(mask, rng, noise, mode="foreground")
        removed = paint_ellipses(mask, rng, noise, mode="background")
        assert np.all(added >= mask) and added.sum() > mask.sum()
        assert np.all(removed <= mask) and removed.sum() < mask.sum()


def test_ellipse_noise_on_an_empty_mask_is_empty(rng):
    assert paint_ellipses(np.zeros((10, 10), np.uint8), rng).sum() == 0
    assert virtual_previous_mask(np.zeros((10, 10), np.uint8), rng).sum() == 0


def test_joint_augment_moves_image_mask_and_box_together(rng):
    mask = blob()
    image = np.dstack([mask * 200] * 3).astype(np.uint8)
    for _ in range(20):
        augment = JointAugment.draw(rng, mask.shape, gain=0, bias=0)
        warped_mask = augment.mask(mask)
        warped_image = augment.image(image)
        # The image and the mask went through the same geometry.
        assert iou(warped_image[..., 0] > 100, warped_mask.astype(bool)) > 0.9
        # The transformed box contains the transformed mask.
        box, inner = augment.box(mask_box(mask)), mask_box(warped_mask)
        assert np.all(inner[:2] >= box[:2] - 1) and np.all(inner[2:] <= box[2:] + 1)


def test_a_mask_grows_only_into_another_object(rng):
    labels = np.zeros((60, 80), np.uint8)
    labels[10:40, 10:30] = 1
    labels[15:45, 35:70] = 2
    target = labels == 1
    for _ in range(10):
        grown = grow_into_neighbour(target, target, labels, rng)
        assert (grown & target).sum() == target.sum()  # the object's own pixels all stay
        assert (grown & ~target).any() and (labels[grown & ~target] == 2).all()
    alone = labels * (labels == 1)
    assert np.array_equal(grow_into_neighbour(target, target, alone, rng), target)


def test_one_side_keeps_the_objects_pixels_on_one_side_of_a_line(rng):
    region = blob().astype(bool)
    ys, xs = np.nonzero(region)
    angles = np.deg2rad(np.arange(360))
    along = np.outer(np.cos(angles), xs) + np.outer(np.sin(angles), ys)
    for _ in range(20):
        side = one_side(region, rng)
        assert not (side & ~region).any()  # only the object's own pixels
        assert 0 < side.sum() < region.sum()  # a real cut, never all or nothing
        # Everything kept lies on one side of a straight line: along some direction (searched
        # per degree) every kept pixel projects beyond every dropped one (1.5 px for rounding).
        kept = side[ys, xs]
        gap = along[:, kept].min(axis=1) - along[:, ~kept].max(axis=1)
        assert gap.max() > -1.5
    assert not one_side(np.zeros((5, 5), bool), rng).any()


def test_a_twin_is_a_copy_of_the_object_beside_it_and_background_in_the_target(rng):
    """On a grey canvas with a red object: every changed pixel is the object's red and lies
    outside the returned target, which keeps only object pixels; the copy is about the object's
    size (scaled by at most e^0.2 per side) and is centred away from it."""
    mask = np.zeros((300, 400), np.uint8)
    mask[130:165, 180:225] = 1
    mask[150:180, 195:210] = 1
    image = np.full((300, 400, 3), 90, np.uint8)
    image[mask > 0] = (220, 20, 20)
    for _ in range(20):
        out, target = paste_twin(image, mask, rng)
        assert not (target & ~mask).any()  # only the object's own pixels stay object
        changed = (out != image).any(axis=2)
        assert not (changed & (target > 0)).any()  # the copy is never the object
        copy = (out[..., 0] > 150) & (target == 0)  # red that is not the object: the twin
        area = copy.sum()
        assert 0.5 * mask.sum() < area < 1.6 * mask.sum()
        ys, xs = np.nonzero(copy)
        ys_o, xs_o = np.nonzero(mask)
        offset = np.hypot(xs.mean() - xs_o.mean(), ys.mean() - ys_o.mean())
        assert offset > 0.5 * 30  # at least ~0.6 of the object's shorter box side away
    empty = np.zeros_like(mask)
    out, target = paste_twin(image, empty, rng)
    assert out is image and not target.any()
