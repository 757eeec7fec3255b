"""The DaSiamRPN tracker: Siamese region proposals, distractor-aware re-ranking, growing search.

Per frame: crop the search region around the last position at the template's scale, score every
anchor, decode its box, and penalise changes of size and aspect (SiamRPN's penalty) and distance
from the last position (a cosine window). Distractor awareness (DaSiamRPN): the best few proposals
after non-maximum suppression are compared with the template and with the distractors remembered
from earlier frames (confident proposals that were not the target), by the cosine similarity of
their RoI-pooled features; each proposal's score loses alpha x its weighted similarity to the
distractors. When the best score falls below `lost_below` the target is lost: the tracker keeps
its last box, answers score 0, and searches a larger region on the next frames (the long-term
variant's growing search), without the window, until it finds the target again.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import torch
import torch.nn.functional as F

from trackprop.boxes import box_ious, center_size, corners, square_region
from trackprop.roi import crop_roi
from trackprop.trackers.learned.anchors import anchor_grid, decode
from trackprop.trackers.learned.backbone import image_tensor
from trackprop.trackers.learned.crops import from_crop
from trackprop.trackers.learned.pooling import roi_pool
from trackprop.trackers.learned.siamrpn_net import SiamRPN
from trackprop.trackers.learned.weights import shipped_network


@dataclass(frozen=True)
class SiamConfig:
    penalty_k: float = 0.05
    window_influence: float = 0.35
    size_rate: float = 0.3  # how fast the box size follows the proposals
    lost_below: float = 0.3
    grow_step: int = 64  # search pixels added per lost frame
    max_search: int = 384
    proposals: int = 8  # kept after non-maximum suppression for re-ranking
    distractor_above: float = 0.5  # of the best score: a proposal that is a distractor
    distractor_weight: float = 0.5  # alpha
    memory: int = 8  # distractors remembered
    memory_decay: float = 0.8


def exemplar_side(size: np.ndarray) -> float:
    """SiamRPN's template region: the target plus half its perimeter of context, squared."""
    context = size.sum() / 2
    return float(np.sqrt((size[0] + context) * (size[1] + context)))


def normalised(vectors: torch.Tensor) -> torch.Tensor:
    return F.normalize(vectors.flatten(1), dim=1)


# The anchors and the window depend only on the search size (three sizes), not on the frame.
search_anchors = cache(anchor_grid)


@cache
def cosine_window(response: int) -> np.ndarray:
    hanning = np.hanning(response + 2)[1:-1]
    return np.outer(hanning, hanning)


class DaSiamRPNTracker:
    whole_frame = False

    def __init__(self, config: SiamConfig = SiamConfig(), network: SiamRPN | None = None):
        self.config = config
        self.net = network if network is not None else shipped_network("dasiamrpn", SiamRPN)
        self.geometry = self.net.geometry
        self.box = np.zeros(4)
        self.kernel: torch.Tensor | None = None

    def init(self, frame: np.ndarray, box: np.ndarray) -> None:
        self.box = np.asarray(box, float)
        center, size = center_size(self.box)
        region = square_region(center, exemplar_side(np.maximum(size, 4)))
        with torch.inference_mode():
            self.kernel = self.net.template(
                image_tensor(crop_roi(frame, region, self.geometry.template)[None])
            )
        self.distractors: list[torch.Tensor] = []
        self.distractor_weights: list[float] = []
        self.search = self.geometry.search

    def _proposal_vectors(self, features: torch.Tensor, boxes: np.ndarray) -> torch.Tensor:
        """Features of proposals, pooled over their exemplar regions like the template's."""
        regions = []
        for box in boxes:
            center, size = center_size(box)
            regions.append(square_region(center, exemplar_side(size)))
        pooled = roi_pool(
            features,
            torch.tensor(np.array(regions), dtype=torch.float32)[None] / self.geometry.stride,
            self.geometry.kernel,
        )[0]
        return normalised(pooled)

    def update(self, frame: np.ndarray) -> tuple[np.ndarray, float]:
        if self.kernel is None:
            return self.box, 0.0
        config, geometry = self.config, self.geometry
        center, size = center_size(self.box)
        scale = geometry.template / exemplar_side(
            np.maximum(size, 4)
        )  # crop pixels per frame pixel
        search = self.search
        region = square_region(center, search / scale)
        with torch.inference_mode():
            features = self.net.features(image_tensor(crop_roi(frame, region, search)[None]))
            logits, deltas = self.net(self.kernel, features)
        scores = torch.sigmoid(logits[0]).numpy()  # (K,R,R)
        response = scores.shape[-1]
        anchors = search_anchors(response, geometry.stride, geometry.anchor_base, search)
        boxes = decode(deltas[0].permute(1, 2, 3, 0).numpy(), anchors)  # (K,R,R,4) crop pixels
        # SiamRPN's penalty on changes of scale and aspect ratio, relative to the last box.
        target = size * scale
        proposal_size = boxes[..., 2:] - boxes[..., :2]
        scale_change = self._change(np.sqrt(proposal_size.prod(-1)), np.sqrt(target.prod()))
        ratio_change = self._change(
            proposal_size[..., 0] / proposal_size[..., 1], target[0] / target[1]
        )
        penalty = np.exp(-(scale_change * ratio_change - 1) * config.penalty_k)
        penalised = scores * penalty
        searching = search > geometry.search
        if not searching:
            penalised = (
                penalised * (1 - config.window_influence)
                + cosine_window(response) * config.window_influence
            )
        chosen = self._rerank(features, boxes.reshape(-1, 4), penalised.ravel(), scores.ravel())
        best_score = float(scores.ravel()[chosen])
        if best_score < config.lost_below:
            self.search = min(self.search + config.grow_step, config.max_search)
            return self.box, 0.0
        self.search = geometry.search
        new_center, new_size = center_size(from_crop(boxes.reshape(-1, 4)[chosen], region, search))
        rate = config.size_rate * float(penalty.ravel()[chosen]) * best_score
        self.box = corners(new_center, np.maximum(size * (1 - rate) + new_size * rate, 4.0))
        return self.box, best_score

    @staticmethod
    def _change(values: np.ndarray, reference: float) -> np.ndarray:
        ratio = values / max(reference, 1e-6)
        return np.maximum(ratio, 1 / np.maximum(ratio, 1e-6))

    def _rerank(
        self, features, boxes: np.ndarray, penalised: np.ndarray, scores: np.ndarray
    ) -> int:
        """Index of the chosen proposal after distractor-aware re-ranking; remembers new distractors."""
        config = self.config
        order = np.argsort(-penalised)
        kept: list[int] = []
        for index in order:  # non-maximum suppression, best first
            if all(box_ious(boxes[index], boxes[k]) < 0.5 for k in kept):
                kept.append(int(index))
            if len(kept) == config.proposals:
                break
        vectors = self._proposal_vectors(features, boxes[kept])
        ranked = penalised[kept].copy()
        if self.distractors:
            weights = torch.tensor(self.distractor_weights)
            similarity = vectors @ torch.stack(self.distractors).T  # (P, D)
            ranked -= config.distractor_weight * (similarity @ weights / weights.sum()).numpy()
        chosen = int(np.argmax(ranked))
        # Remember confident proposals that were not chosen as distractors.
        self.distractor_weights = [w * config.memory_decay for w in self.distractor_weights]
        threshold = config.distractor_above * scores[kept[chosen]]
        for i, index in enumerate(kept):
            if i != chosen and scores[index] > threshold:
                self.distractors.append(vectors[i])
                self.distractor_weights.append(float(scores[index]))
        self.distractors = self.distractors[-config.memory :]
        self.distractor_weights = self.distractor_weights[-config.memory :]
        return kept[chosen]
