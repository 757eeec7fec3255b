"""The ATOM tracker: an online classifier finds the target, the IoU net estimates its box.

Per frame: crop a search region (context x the target's size) around the last position, read the
backbone's stage-2/3 features, take the classifier's peak as the new centre (its value relative
to the first frame's peak is the confidence; below `lost_below` the target counts as lost), then refine jittered boxes there by
gradient ascent on the IoU net and average the best three. Confident frames become training
samples of the classifier, re-optimised every few frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from trackprop.boxes import center_size, corners, square_region
from trackprop.roi import crop_roi
from trackprop.trackers.learned.atom_net import AtomGeometry, AtomNet, refine_boxes
from trackprop.trackers.learned.backbone import image_tensor
from trackprop.trackers.learned.crops import from_crop, to_crop
from trackprop.trackers.learned.online_classifier import (
    ClassifierConfig,
    OnlineClassifier,
    gaussian_label,
)
from trackprop.trackers.learned.weights import shipped_network

CLASSIFIER_STRIDE = 16


@dataclass(frozen=True)
class AtomConfig:
    geometry: AtomGeometry = AtomGeometry()
    classifier: ClassifierConfig = ClassifierConfig()
    candidates: int = 10  # boxes refined per frame (the first is unjittered)
    position_jitter: float = 0.1  # of the box size
    size_jitter: float = 0.25  # log-scale standard deviation of each side
    top_boxes: int = 3
    lost_below: float = 0.25
    train_above: float = 0.5  # a frame becomes a classifier sample above this confidence
    update_every: int = 5
    # Per frame. The IoU net's size estimates are the weak part of our ATOM (tracking benchmark
    # success AUC 0.32 with 1.3, 0.37 with 1.05), so the box may change its size only slowly.
    max_scale_change: float = 1.05


def feature_cell(point: np.ndarray) -> np.ndarray:
    """Crop pixel -> classifier feature cell (cell i covers pixels [16i, 16i+16), centred at i)."""
    return (np.asarray(point, float) - CLASSIFIER_STRIDE / 2) / CLASSIFIER_STRIDE


def target_label(box_in_crop: np.ndarray, shape, sigma_factor: float) -> torch.Tensor:
    """The classifier's (H,W) label: a Gaussian on the box centre, sigma a fraction of its size."""
    center, size = center_size(box_in_crop)
    cell = feature_cell(center)
    sigma = max(sigma_factor * float(np.sqrt(np.prod(size))) / CLASSIFIER_STRIDE, 0.5)
    return gaussian_label((cell[0], cell[1]), shape, sigma)


class AtomTracker:
    whole_frame = False

    def __init__(self, config: AtomConfig = AtomConfig(), network: AtomNet | None = None):
        self.config = config
        self.net = network if network is not None else shipped_network("atom", AtomNet)
        self.box = np.zeros(4)
        self.classifier: OnlineClassifier | None = None
        self.generator = torch.Generator().manual_seed(0)

    # -- geometry -------------------------------------------------------------------------
    def _region(self, center: np.ndarray, size: np.ndarray) -> np.ndarray:
        side = self.config.geometry.context * np.sqrt(max(size[0] * size[1], 16.0))
        return square_region(center, side)

    def _features(self, crops: np.ndarray) -> list[torch.Tensor]:
        with torch.no_grad():
            return self.net.features(image_tensor(crops))

    # -- protocol -------------------------------------------------------------------------
    def init(self, frame: np.ndarray, box: np.ndarray) -> None:
        self.box = np.asarray(box, float)
        self.frames = 0
        center, size = center_size(self.box)
        crop_side = self.config.geometry.crop
        region = self._region(center, size)
        # ATOM's first-frame augmentation: shifted crops, a mirrored one, a blurred one.
        shift = (region[2] - region[0]) / 8
        offsets = [(0, 0), (shift, 0), (-shift, 0), (0, shift), (0, -shift)]
        crops, targets = [], []
        for dx, dy in offsets:
            moved = region + np.array([dx, dy, dx, dy])
            crops.append(crop_roi(frame, moved, crop_side))
            targets.append(to_crop(self.box, moved, crop_side))
        crops.append(crops[0][:, ::-1].copy())
        mirrored = targets[0].copy()
        mirrored[[0, 2]] = crop_side - targets[0][[2, 0]]
        targets.append(mirrored)
        half = crop_roi(frame, region, crop_side // 2)  # blurred: half resolution, upsampled
        crops.append(cv2.resize(half, (crop_side, crop_side), interpolation=cv2.INTER_LINEAR))
        targets.append(targets[0])
        features = self._features(np.stack(crops))
        stage3 = features[1]
        self.classifier = OnlineClassifier(stage3[:1], self.config.classifier)
        shape = stage3.shape[2:]
        sigma = self.config.classifier.label_sigma
        labels = torch.stack([target_label(t, shape, sigma) for t in targets])
        self.classifier.add(stage3, labels, permanent=True)
        self.classifier.optimise(self.config.classifier.init_iterations)
        # The least-squares filter peaks well below the label's 1 (about 0.45 on the first frame),
        # so confidence is measured against its first-frame peak; ATOM's thresholds assume ~1.
        self.reference_peak = max(float(self.classifier.scores(stage3[:1]).max()), 1e-3)
        with torch.no_grad():
            reference = [f[:1] for f in features]
            target = torch.tensor(targets[0], dtype=torch.float32)[None]
            self.modulation = self.net.iou_net.modulation(reference, target)

    def _locate(self, scores: torch.Tensor) -> tuple[np.ndarray, float]:
        """Peak of the score map, upsampled 4x for sub-cell precision -> (crop pixel, value)."""
        factor = 4
        fine = F.interpolate(
            scores[None, None], scale_factor=factor, mode="bilinear", align_corners=True
        )[0, 0]
        index = int(fine.argmax())
        row, col = divmod(index, fine.shape[1])
        height, width = scores.shape
        cell = np.array(
            [col * (width - 1) / (fine.shape[1] - 1), row * (height - 1) / (fine.shape[0] - 1)]
        )
        return cell * CLASSIFIER_STRIDE + CLASSIFIER_STRIDE / 2, float(fine.max())

    def _candidates(self, center: np.ndarray, size: np.ndarray) -> torch.Tensor:
        count = self.config.candidates
        noise = torch.randn((count, 4), generator=self.generator)
        noise[0] = 0
        base = torch.tensor(np.concatenate([center, size]), dtype=torch.float32)
        centers = base[:2] + noise[:, :2] * self.config.position_jitter * base[2:]
        sizes = base[2:] * torch.exp(noise[:, 2:] * self.config.size_jitter)
        return torch.cat([centers - sizes / 2, centers + sizes / 2], 1)[None]

    def update(self, frame: np.ndarray) -> tuple[np.ndarray, float]:
        if self.classifier is None:
            return self.box, 0.0
        center, size = center_size(self.box)
        region = self._region(center, size)
        crop_side = self.config.geometry.crop
        features = self._features(crop_roi(frame, region, crop_side)[None])
        scores = self.classifier.scores(features[1])
        peak_in_crop, peak = self._locate(scores)
        confidence = peak / self.reference_peak
        if confidence < self.config.lost_below:
            return self.box, 0.0
        size_in_crop = size * crop_side / (region[2] - region[0])
        with torch.no_grad():
            test = self.net.iou_net.test_features(features)
        boxes, predicted = refine_boxes(
            self.net.iou_net, self.modulation, test, self._candidates(peak_in_crop, size_in_crop)
        )
        best = predicted[0].argsort(descending=True)[: self.config.top_boxes]
        refined = boxes[0, best].mean(0).numpy().astype(float)
        new_center, new_size = center_size(from_crop(refined, region, crop_side))
        limit = self.config.max_scale_change
        new_size = np.clip(new_size, size / limit, size * limit)
        self.box = corners(new_center, np.maximum(new_size, 4.0))
        self.frames += 1
        if confidence > self.config.train_above:
            label = target_label(
                to_crop(self.box, region, crop_side),
                scores.shape,
                self.config.classifier.label_sigma,
            )
            self.classifier.add(features[1], label[None])
        if self.frames % self.config.update_every == 0:
            self.classifier.optimise(self.config.classifier.update_iterations)
        return self.box, min(confidence, 1.0)
