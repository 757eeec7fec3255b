"""The interaction networks' training prompts: clicks and boxes drawn as at inference."""

import numpy as np

from trackprop.click_robot import next_click
from trackprop.train.interaction_data import OwnErrors, previous_round, prompt_strokes


def disk_object() -> np.ndarray:
    yy, xx = np.mgrid[:120, :160]
    return (yy - 60) ** 2 + (xx - 70) ** 2 < 30**2


def test_a_first_click_lands_well_inside_the_object():
    target, rng = disk_object(), np.random.default_rng(0)
    for _ in range(20):
        positive, negative = prompt_strokes("clicks", target, None, rng)
        assert positive.any() and not negative.any()
        assert target[positive.astype(bool)].mean() == 1  # the whole disk of stroke is inside


def test_a_refinement_click_corrects_the_largest_error():
    target = disk_object()
    mask = target.copy()
    mask[:, 75:] = False  # the right part is missing: the click must be positive, there
    positive, negative = prompt_strokes("clicks", target, mask, np.random.default_rng(1))
    ys, xs = np.nonzero(positive)
    assert not negative.any() and xs.min() >= 70 and target[ys, xs].all()
    wrong = target | (np.mgrid[:120, :160][1] > 130)  # a false band on the right
    positive, negative = prompt_strokes("clicks", target, wrong, np.random.default_rng(2))
    assert negative.any() and not positive.any() and not target[negative.astype(bool)].any()


def test_a_box_prompt_is_a_cross_inside_and_a_frame_outside():
    target = disk_object()
    positive, negative = prompt_strokes("boxes", target, None, np.random.default_rng(3))
    assert target[positive.astype(bool)].mean() > 0.95
    assert not target[negative.astype(bool)].any()


def test_a_box_prompt_of_a_one_pixel_wide_object_is_drawn_not_refused():
    target = np.zeros((120, 160), bool)
    target[60:63, 116] = True  # 1 px wide: its tight box is narrower than prompts.py accepts
    for seed in range(10):
        positive, negative = prompt_strokes("boxes", target, None, np.random.default_rng(seed))
        assert positive.any() and negative.any()


def test_the_robot_click_is_the_farthest_point_and_jitter_stays_deep_inside():
    target = disk_object()
    assert next_click(np.zeros_like(target), target)[:2] == (70, 60)
    x, y, positive = next_click(np.zeros_like(target), target, np.random.default_rng(4))
    assert positive and (y - 60) ** 2 + (x - 70) ** 2 < 16**2
    assert next_click(target, target) is None


def test_an_earlier_round_sometimes_took_in_a_neighbour_and_the_robot_then_clicks_it_away():
    target = disk_object()
    labels = target.astype(np.uint8)
    labels[20:100, 110:150] = 2  # a neighbouring object
    rng, grown, clicked_away = np.random.default_rng(5), 0, 0
    for _ in range(40):
        mask = previous_round(target, rng, labels)
        if (mask & (labels == 2)).sum() > 400:  # a real part of the neighbour, not noise
            grown += 1
            _, negative = prompt_strokes("clicks", target, mask, rng)
            clicked_away += negative.any() and (labels[negative.astype(bool)] == 2).all()
    assert 4 <= grown <= 24  # NEIGHBOUR_SHARE of 40 draws, give or take
    assert clicked_away >= grown / 2  # the neighbour is then the largest error, mostly
    assert not previous_round(target, np.random.default_rng(6))[labels == 2].sum() > 400


def test_own_errors_are_the_shipped_networks_masks_after_robot_clicks():
    target = disk_object()
    rng = np.random.default_rng(6)
    frame = rng.integers(0, 80, (120, 160, 3)).astype(np.uint8)
    frame[target] = (220, 40, 40)  # a plain red disk on dark noise: easy for the networks
    own = OwnErrors()
    for _ in range(3):
        mask = own.mask(frame, target, rng)
        assert mask.shape == target.shape and mask.dtype == bool
        assert (mask & target).sum() / (mask | target).sum() > 0.5  # measured: 0.63-1


def test_the_loss_weighs_pixels_near_the_prompts_most():
    import torch

    from trackprop.train.interaction import GUIDANCE, near_prompts
    from trackprop.train.loop import segmentation_loss

    logits = torch.zeros(1, 2, 4, 4)
    logits[0, 1, 0, 0] = 5.0  # confidently the object at one pixel, which is background
    targets = torch.zeros(1, 4, 4, dtype=torch.long)
    inputs = torch.zeros(1, 5, 4, 4)
    plain = segmentation_loss(logits, targets)
    assert torch.isclose(segmentation_loss(logits, targets, torch.ones(1, 4, 4)), plain)
    inputs[0, GUIDANCE, 0, 0] = -1.0  # a negative click right there
    weights = near_prompts(4.0)(inputs, targets)
    assert weights[0, 0, 0] == 5.0 and weights[0, 1, 1] == 1.0
    assert segmentation_loss(logits, targets, weights) > plain  # the ignored click costs more
