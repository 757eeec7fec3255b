"""The frozen ImageNet feature extractor the memory matches with, exported to ONNX.

EfficientNet-Lite0's first four stages at stride 16 (112 channels), with the packaged ImageNet
weights (`pretrained.py`) untouched by our training: features of appearance alone, learnt from
data other than ours, that do not depend on a previous mask as the propagation network's own
encoder (which reads the mask channel) does.
"""

from __future__ import annotations

from pathlib import Path

import torch

# isort: off
import trackprop.models.torchvision_compat  # noqa: F401  (timm imports torchvision)
import timm

# isort: on
from trackprop.models.export import export_onnx
from trackprop.models.pretrained import imagenet_state

VARIANT = "efficientnet_lite0"
STAGE = 3  # timm feature index: stride 16, 112 channels


def feature_extractor() -> torch.nn.Module:
    model = timm.create_model(VARIANT, pretrained=False, features_only=True, out_indices=(STAGE,))
    state = imagenet_state(VARIANT)
    model.load_state_dict({name: state[name] for name in model.state_dict()})
    return model.eval()


class _Features(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.model = feature_extractor()

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.model(images)[0]


def export_features(path: str | Path) -> Path:
    """ONNX: input "input" (B,3,H,W) ImageNet-normalised RGB -> "features" (B,112,H/16,W/16)."""
    return export_onnx(_Features(), 3, 192, path, output="features", any_size=True)
