import cv2
import numpy as np
import pytest
import torch
from skimage import data

from trackprop.models.networks import build_network
from trackprop.models.pretrained import (
    TRAINED_MEAN,
    TRAINED_STD,
    classify,
    imagenet_classifier,
    imagenet_state,
)

EGYPTIAN_CAT, ESPRESSO = 285, 967


@pytest.fixture(scope="module")
def lite0():
    return imagenet_classifier("efficientnet_lite0")


def test_packaged_imagenet_weights_name_known_images(lite0):
    images = np.stack([cv2.resize(image, (224, 224)) for image in (data.chelsea(), data.coffee())])
    assert list(classify(lite0, images)) == [EGYPTIAN_CAT, ESPRESSO]


def test_folded_stem_on_our_encoding_equals_the_original_on_its_own(lite0, rng):
    """The stem + batch norm see ImageNet-normalised input as the original saw [-1, 1] input."""
    original = imagenet_classifier("efficientnet_lite0", folded=False)
    pixels = rng.integers(0, 256, (1, 32, 32, 3)).astype(np.float32)
    ours = (pixels - np.array([0.485, 0.456, 0.406]) * 255) / (
        np.array([0.229, 0.224, 0.225]) * 255
    )
    theirs = (pixels - TRAINED_MEAN) / TRAINED_STD
    with torch.no_grad():
        a = lite0.bn1(lite0.conv_stem(_tensor(ours)))[..., 1:-1, 1:-1]
        b = original.bn1(original.conv_stem(_tensor(theirs)))[..., 1:-1, 1:-1]
    assert torch.allclose(a, b, atol=1e-4)  # the border differs: zero padding is not folded


def test_extended_stem_keeps_the_rgb_filters_and_starts_blind_to_extra_channels(rng):
    rgb_stem = imagenet_state("efficientnet_lite0")["conv_stem.weight"]
    network = build_network("efficientnet-lite0", 5, pretrained=True).eval()
    stem = network.encoder.model.conv_stem.weight
    assert stem.shape[1] == 5
    assert torch.equal(stem[:, :3], rgb_stem)
    assert torch.count_nonzero(stem[:, 3:]) == 0
    inputs = torch.from_numpy(rng.standard_normal((1, 5, 64, 64)).astype(np.float32))
    changed = inputs.clone()
    changed[:, 3:] = torch.from_numpy(rng.standard_normal((1, 2, 64, 64)).astype(np.float32))
    with torch.no_grad():
        assert torch.equal(network(inputs), network(changed))


def _tensor(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(images.astype(np.float32).transpose(0, 3, 1, 2).copy())
