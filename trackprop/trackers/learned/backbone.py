"""A ResNet-18-style backbone at reduced width, trained here from random weights.

ResNet-18's layout (7x7 stem, max-pool, stages of two basic blocks) with fewer channels, so a
192-pixel crop costs a few milliseconds on a CPU core. Both learned trackers use it: ATOM reads
stages 2 and 3 (strides 8 and 16), DaSiamRPN a stride-8 variant (its last stage keeps stride 1).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from trackprop.models.encoding import encode_input


def conv_bn(c_in: int, c_out: int, kernel: int = 3, stride: int = 1, relu: bool = True):
    layers = [
        nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2, bias=False),
        nn.BatchNorm2d(c_out),
    ]
    return nn.Sequential(*layers, nn.ReLU(inplace=True)) if relu else nn.Sequential(*layers)


class BasicBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int):
        super().__init__()
        self.body = nn.Sequential(
            conv_bn(c_in, c_out, 3, stride), conv_bn(c_out, c_out, relu=False)
        )
        self.shortcut = (
            nn.Identity()
            if stride == 1 and c_in == c_out
            else conv_bn(c_in, c_out, 1, stride, relu=False)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.body(x) + self.shortcut(x))


class TinyResNet(nn.Module):
    """Stem (stride 4) then three stages of two basic blocks; forward returns every stage's output."""

    def __init__(self, widths=(32, 64, 128), strides=(1, 2, 2)):
        super().__init__()
        self.stem = nn.Sequential(conv_bn(3, widths[0] // 2 + 8, 7, 2), nn.MaxPool2d(3, 2, 1))
        stages, c_in = [], widths[0] // 2 + 8
        for width, stride in zip(widths, strides, strict=True):
            stages.append(
                nn.Sequential(BasicBlock(c_in, width, stride), BasicBlock(width, width, 1))
            )
            c_in = width
        self.stages = nn.ModuleList(stages)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = self.stem(x)
        outputs = []
        for stage in self.stages:
            x = stage(x)
            outputs.append(x)
        return outputs


def image_tensor(crops: np.ndarray) -> torch.Tensor:
    """(B,S,S,3) uint8 RGB crops -> (B,3,S,S) float32, normalised as every network here reads them."""
    return torch.from_numpy(encode_input(crops))
