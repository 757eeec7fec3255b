"""The Siamese region-proposal network of DaSiamRPN.

Template (the target with context, 96 px) and search region (192 px, or larger when the tracker
searches for a lost target) go through one stride-8 backbone. A classification head (one score per
anchor) and a regression head (four deltas per anchor) each correlate the template's features with
the search region's, channel by channel (the depthwise correlation of SiamRPN++, lighter on a CPU
than SiamRPN's up-channel one). Fully convolutional: any search size divisible by 16 works.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from trackprop.trackers.learned.anchors import RATIOS
from trackprop.trackers.learned.backbone import TinyResNet


@dataclass(frozen=True)
class SiamGeometry:
    template: int = 96
    search: int = 192
    stride: int = 8
    kernel: int = 8  # template feature cells kept around the centre
    anchor_base: float = 48.0  # a square target's side in the template crop (half of it)

    def response(self, search: int) -> int:
        """Response-map side for a search crop of `search` pixels."""
        return search // self.stride - self.kernel + 1  # (S/8 - 2) - (kernel - 2) + 1: valid convs


def depthwise_correlation(search: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    batch, channels, height, width = search.shape
    response = F.conv2d(
        search.reshape(1, batch * channels, height, width),
        kernel.reshape(batch * channels, 1, *kernel.shape[2:]),
        groups=batch * channels,
    )
    return response.reshape(batch, channels, *response.shape[2:])


def valid_conv(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(True)
    )


class CorrelationHead(nn.Module):
    def __init__(self, channels: int, hidden: int, outputs: int):
        super().__init__()
        self.kernel = valid_conv(channels, hidden)
        self.search = valid_conv(channels, hidden)
        self.head = nn.Sequential(
            nn.Conv2d(hidden, hidden, 1, bias=False),
            nn.BatchNorm2d(hidden),
            nn.ReLU(True),
            nn.Conv2d(hidden, outputs, 1),
        )

    def forward(self, template: torch.Tensor, search: torch.Tensor) -> torch.Tensor:
        return self.head(depthwise_correlation(self.search(search), self.kernel(template)))


class SiamRPN(nn.Module):
    def __init__(self, geometry: SiamGeometry = SiamGeometry(), width: int = 96):
        super().__init__()
        self.geometry = geometry
        self.backbone = TinyResNet(widths=(32, 64, width), strides=(1, 2, 1))
        anchors = len(RATIOS)
        self.classify = CorrelationHead(width, width, anchors)
        self.regress = CorrelationHead(width, width, 4 * anchors)

    def features(self, images: torch.Tensor) -> torch.Tensor:
        return self.backbone(images)[-1]

    def template(self, images: torch.Tensor) -> torch.Tensor:
        """(B,3,96,96) templates -> (B,C,k,k) features around their centre."""
        features = self.features(images)
        start = (features.shape[-1] - self.geometry.kernel) // 2
        end = start + self.geometry.kernel
        return features[..., start:end, start:end]

    def forward(self, template: torch.Tensor, search_features: torch.Tensor):
        """Template features and search features -> (scores (B,K,R,R) logits, deltas (B,4,K,R,R))."""
        scores = self.classify(template, search_features)
        deltas = self.regress(template, search_features)
        batch, _, height, width = deltas.shape
        return scores, deltas.reshape(batch, 4, -1, height, width)
