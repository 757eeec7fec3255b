"""ATOM's offline-trained parts: the backbone and the IoU-prediction network (target estimation).

The IoU net follows ATOM: the reference frame's target (stage-2 and stage-3 features, RoI-pooled
3x3 and 1x1) gives one modulation vector per stage; a candidate box in the test frame is RoI-pooled
(5x5 and 3x3), multiplied channel-wise by the modulation and mapped to its predicted IoU with the
target. `refine_boxes` is ATOM's run-time use: gradient ascent on predicted IoU.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from trackprop.trackers.learned.backbone import TinyResNet, conv_bn
from trackprop.trackers.learned.pooling import roi_pool

STRIDES = (8, 16)  # of the two stages the IoU net reads


@dataclass(frozen=True)
class AtomGeometry:
    crop: int = 192  # network input side
    context: float = 4.0  # search side = context x sqrt(target area)


class IouNet(nn.Module):
    def __init__(self, channels=(64, 128), width: int = 64):
        super().__init__()
        self.reference_convs = nn.ModuleList(conv_bn(c, width) for c in channels)
        self.test_convs = nn.ModuleList(conv_bn(c, width) for c in channels)
        # Reference: pooled 3x3 (stage 2) -> one vector; pooled 1x1 (stage 3) is one already.
        self.reference_heads = nn.ModuleList(
            [nn.Conv2d(width, width, 3), nn.Conv2d(width, width, 1)]
        )
        self.modulations = nn.ModuleList(nn.Linear(width, width) for _ in channels)
        self.test_heads = nn.ModuleList([nn.Conv2d(width, width, 5), nn.Conv2d(width, width, 3)])
        self.predict = nn.Linear(2 * width, 1)

    REFERENCE_POOL = (3, 1)
    TEST_POOL = (5, 3)

    def modulation(self, features: list[torch.Tensor], boxes: torch.Tensor) -> list[torch.Tensor]:
        """Reference features (one per stage) and target boxes (B,4) in crop pixels -> [(B,width)]."""
        vectors = []
        for i, stride in enumerate(STRIDES):
            mapped = self.reference_convs[i](features[i])
            pooled = roi_pool(mapped, boxes[:, None] / stride, self.REFERENCE_POOL[i])[:, 0]
            vector = torch.relu(self.reference_heads[i](pooled)).flatten(1)
            vectors.append(self.modulations[i](vector))
        return vectors

    def test_features(self, features: list[torch.Tensor]) -> list[torch.Tensor]:
        return [conv(f) for conv, f in zip(self.test_convs, features, strict=True)]

    def predict_iou(
        self, modulation: list[torch.Tensor], test: list[torch.Tensor], boxes: torch.Tensor
    ) -> torch.Tensor:
        """Candidate boxes (B,N,4) in crop pixels -> predicted IoU (B,N)."""
        batch, count = boxes.shape[:2]
        parts = []
        for i, stride in enumerate(STRIDES):
            pooled = roi_pool(test[i], boxes / stride, self.TEST_POOL[i])  # (B,N,C,k,k)
            pooled = pooled * modulation[i][:, None, :, None, None]
            pooled = pooled.flatten(0, 1)
            parts.append(torch.relu(self.test_heads[i](pooled)).flatten(1))
        return self.predict(torch.cat(parts, 1)).reshape(batch, count)


class AtomNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = TinyResNet(widths=(32, 64, 128), strides=(1, 2, 2))
        self.iou_net = IouNet()
        # Training only: a learned scale for the auxiliary correlation loss (see train/atom.py).
        self.correlation_scale = nn.Parameter(torch.tensor([5.0, -2.0]))

    def features(self, images: torch.Tensor) -> list[torch.Tensor]:
        """Stage-2 and stage-3 features of (B,3,S,S) images."""
        return self.backbone(images)[1:]


def refine_boxes(
    net: IouNet,
    modulation: list[torch.Tensor],
    test: list[torch.Tensor],
    boxes: torch.Tensor,
    steps: int = 5,
    step_length: float = 1.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """ATOM's refinement: (B,N,4) boxes -> (boxes, predicted IoU) after gradient ascent.

    The gradient is taken in (x0, y0, x1, y1) and scaled by the box's size, as ATOM does. A step
    that lowers a box's predicted IoU is undone and that box's step length halved, so no box
    ends with a lower predicted IoU than it started with.
    """
    test = [t.detach() for t in test]
    modulation = [m.detach() for m in modulation]
    boxes = boxes.detach().clone()
    lengths = torch.full(boxes.shape[:2], step_length)
    with torch.enable_grad():
        current = boxes.requires_grad_(True)
        scores = net.predict_iou(modulation, test, current)
        for _ in range(steps):
            (gradient,) = torch.autograd.grad(scores.sum(), current)
            size = (current[..., 2:] - current[..., :2]).detach().repeat(1, 1, 2)
            proposal = current.detach() + lengths[..., None] * gradient * size
            # Keep corners ordered: at least one pixel wide and high.
            proposal[..., 2:] = torch.maximum(proposal[..., 2:], proposal[..., :2] + 1)
            proposal.requires_grad_(True)
            proposal_scores = net.predict_iou(modulation, test, proposal)
            better = (proposal_scores >= scores).detach()
            lengths = torch.where(better, lengths, lengths / 2)
            kept = torch.where(better[..., None], proposal.detach(), current.detach())
            current = kept.requires_grad_(True)
            scores = net.predict_iou(modulation, test, current)
    return current.detach(), scores.detach()
