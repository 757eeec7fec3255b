"""Precise RoI pooling with `grid_sample` (torchvision's roi_align does not run here).

Each of the k x k bins of a box is the mean of samples x samples bilinear samples at the centres
of its sub-bins, which approaches PrRoIPool's exact integral as `samples` grows and is
differentiable in the box coordinates (ATOM's IoU refinement climbs that gradient). Boxes are
(x0, y0, x1, y1) in feature pixels with pixel i covering [i, i+1), the convention of
`grid_sample(align_corners=False)`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def roi_pool(features: torch.Tensor, boxes: torch.Tensor, output: int, samples: int = 2):
    """features (B,C,H,W), boxes (B,N,4) -> (B,N,C,output,output)."""
    batch, channels, height, width = features.shape
    count = boxes.shape[1]
    points = output * samples
    # Sample positions as fractions of the box: sub-bin centres, bin by bin.
    fractions = (torch.arange(points, dtype=features.dtype) + 0.5) / points
    x0, y0, x1, y1 = boxes.unbind(-1)  # each (B,N)
    xs = x0[..., None] + (x1 - x0)[..., None] * fractions  # (B,N,P)
    ys = y0[..., None] + (y1 - y0)[..., None] * fractions
    grid_x = (2 * xs / width - 1)[:, :, None, :].expand(batch, count, points, points)
    grid_y = (2 * ys / height - 1)[:, :, :, None].expand(batch, count, points, points)
    grid = torch.stack([grid_x, grid_y], -1).reshape(batch, count * points, points, 2)
    sampled = F.grid_sample(features, grid, mode="bilinear", align_corners=False)
    sampled = sampled.reshape(batch, channels, count, output, samples, output, samples)
    return sampled.mean((4, 6)).permute(0, 2, 1, 3, 4)
