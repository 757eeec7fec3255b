"""DeepLab v3+ networks (segmentation-models-pytorch) and the input encoding they all share.

Propagation: 4 channels (RGB + previous mask). Interaction: 4 (RGB + guidance) and 5 (+ previous
round's mask). Output: 2 channels per pixel, (background, object) scores.
"""

from __future__ import annotations

import numpy as np
import segmentation_models_pytorch as smp
import torch

# Encoders by name: the fast default (chosen by measurement, see README) and the paper's.
ENCODERS = {
    "mobilenetv3-small": "tu-mobilenetv3_small_100",
    "mobilenetv3-large": "tu-mobilenetv3_large_100",
    "resnet18": "resnet18",
    "xception65": "tu-xception65",  # the paper's backbone (use with a 512 input)
}
IMAGE_MEAN = np.array([0.485, 0.456, 0.406], np.float32) * 255
IMAGE_STD = np.array([0.229, 0.224, 0.225], np.float32) * 255


def build_network(encoder: str, in_channels: int) -> torch.nn.Module:
    """A DeepLab v3+ with random weights (nothing is ever downloaded)."""
    return smp.DeepLabV3Plus(
        encoder_name=ENCODERS[encoder], encoder_weights=None, in_channels=in_channels, classes=2
    )


def encode_input(images: np.ndarray, *maps: np.ndarray) -> np.ndarray:
    """(B,C,S,S) float32 network input from images (B,S,S,3) uint8 and extra maps (B,S,S) in [-1, 1]."""
    rgb = (images.astype(np.float32) - IMAGE_MEAN) / IMAGE_STD
    channels = [rgb.transpose(0, 3, 1, 2)] + [m[:, None].astype(np.float32) for m in maps]
    return np.ascontiguousarray(np.concatenate(channels, axis=1))


def mask_channel(masks: np.ndarray) -> np.ndarray:
    """0/1 masks -> the [-1, 1] channel the networks read."""
    return masks.astype(np.float32) * 2 - 1


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
    torch.save(
        {
            "encoder": encoder,
            "in_channels": in_channels,
            "size": size,
            "state_dict": state,
            **extra,
        },
        path,
    )


def load_checkpoint(path) -> tuple[torch.nn.Module, dict]:
    checkpoint = torch.load(path, map_location="cpu", weights_only=False)
    network = build_network(checkpoint["encoder"], checkpoint["in_channels"])
    network.load_state_dict(
        {k: v.float() if v.is_floating_point() else v for k, v in checkpoint["state_dict"].items()}
    )
    return network.eval(), checkpoint
