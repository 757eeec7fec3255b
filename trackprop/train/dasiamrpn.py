"""`trackprop train dasiamrpn`: the Siamese RPN on positive and distractor pairs.

Positive pair: the template around an object, a search region from a frame up to `MAX_GAP` away
around the same object (shifted and rescaled, as the tracker meets it). Anchors overlapping its box
by >= 0.6 IoU are positives (classification + box regression), <= 0.3 negatives. Distractor pair
(DaSiamRPN's semantic negatives): the search region is around another object, of the same video when
there is one; every anchor is negative, so the network learns to score the target, not "an object".
"""

from __future__ import annotations

from functools import partial

import numpy as np
import torch
import torch.nn.functional as F

from trackprop.boxes import box_ious, center_size, square_region
from trackprop.roi import crop_roi
from trackprop.trackers.learned.anchors import anchor_grid, decode, encode
from trackprop.trackers.learned.backbone import image_tensor
from trackprop.trackers.learned.crops import to_crop
from trackprop.trackers.learned.dasiamrpn import exemplar_side
from trackprop.trackers.learned.siamrpn_net import SiamGeometry, SiamRPN
from trackprop.train.propagation_data import VideoStore
from trackprop.train.tracker_training import TrackerTraining
from trackprop.train.tracking_data import sample_track_pair

MAX_GAP = 15
NEGATIVE_PROBABILITY = 0.25
SHIFT = 48  # search-crop pixels, uniform +-: the target stays inside the response map
SCALE_JITTER = 0.2  # log-scale, uniform +-
POSITIVE_IOU, NEGATIVE_IOU = 0.6, 0.3
SAMPLED_ANCHORS, MAX_POSITIVES = 64, 16


def anchor_labels(anchors: np.ndarray, box: np.ndarray | None, rng: np.random.Generator):
    """Labels (K,R,R): 1 positive, 0 negative, -1 not sampled; and regression targets (K,R,R,4)."""
    flat = anchors.reshape(-1, 4)
    labels = np.full(len(flat), -1, np.int64)
    targets = np.zeros_like(flat)
    if box is None:
        negatives = np.arange(len(flat))
        positives = np.zeros(0, int)
    else:
        ious = box_ious(flat, box[None])
        positives = np.flatnonzero(ious >= POSITIVE_IOU)
        if len(positives) == 0 and ious.max() >= NEGATIVE_IOU:
            positives = np.array([int(ious.argmax())])
        negatives = np.flatnonzero(ious <= NEGATIVE_IOU)
        targets = encode(np.broadcast_to(box, flat.shape), flat)
    positives = rng.permutation(positives)[:MAX_POSITIVES]
    negatives = rng.permutation(negatives)[: SAMPLED_ANCHORS - len(positives)]
    labels[positives], labels[negatives] = 1, 0
    return labels.reshape(anchors.shape[:3]), targets.reshape(anchors.shape)


def siam_batch(store: VideoStore, rng: np.random.Generator, batch: int, geometry: SiamGeometry):
    """(templates (B,96,96,3), searches (B,S,S,3), labels (B,K,R,R), targets (B,K,R,R,4), boxes (B,4), negative (B,))."""
    anchors = anchor_grid(
        geometry.response(geometry.search), geometry.stride, geometry.anchor_base, geometry.search
    )
    templates, searches, labels, targets, boxes, negatives = [], [], [], [], [], []
    for _ in range(batch):
        pair = sample_track_pair(store, rng, MAX_GAP, NEGATIVE_PROBABILITY)
        center, size = center_size(pair.reference_box)
        jitter = np.exp(rng.uniform(-0.05, 0.05))
        region = square_region(
            center + rng.uniform(-0.05, 0.05, 2) * size, exemplar_side(size) * jitter
        )
        templates.append(crop_roi(pair.reference, region, geometry.template))
        center, size = center_size(pair.test_box)
        side = (
            exemplar_side(size)
            * geometry.search
            / geometry.template
            * np.exp(rng.uniform(-SCALE_JITTER, SCALE_JITTER))
        )
        shift = rng.uniform(-SHIFT, SHIFT, 2) * side / geometry.search
        region = square_region(center + shift, side)
        searches.append(crop_roi(pair.test, region, geometry.search))
        box = to_crop(pair.test_box, region, geometry.search)
        label, target = anchor_labels(anchors, None if pair.negative else box, rng)
        labels.append(label)
        targets.append(target)
        boxes.append(box)
        negatives.append(pair.negative)
    return (
        np.stack(templates),
        np.stack(searches),
        np.stack(labels),
        np.stack(targets),
        np.stack(boxes),
        np.array(negatives),
    )


def siam_outputs(net: SiamRPN, templates: np.ndarray, searches: np.ndarray):
    return net(net.template(image_tensor(templates)), net.features(image_tensor(searches)))


def siam_loss(net: SiamRPN, batch: tuple) -> torch.Tensor:
    templates, searches, labels, targets, _, _ = batch
    logits, deltas = siam_outputs(net, templates, searches)
    labels = torch.from_numpy(labels)
    positive, negative = labels == 1, labels == 0
    cross_entropy = F.binary_cross_entropy_with_logits(logits, positive.float(), reduction="none")
    classification = cross_entropy[negative].mean()
    if positive.any():
        classification = (classification + cross_entropy[positive].mean()) / 2
        predicted = deltas.permute(0, 2, 3, 4, 1)[positive]
        wanted = torch.as_tensor(targets, dtype=torch.float32)[positive]
        return classification + 1.2 * F.smooth_l1_loss(predicted, wanted)
    return classification


def proposal_metrics(net: SiamRPN, batches: list[tuple]) -> dict:
    """IoU of the top-scoring proposal on positive pairs; top score on distractor pairs."""
    net.eval()
    geometry = net.geometry
    anchors = anchor_grid(
        geometry.response(geometry.search), geometry.stride, geometry.anchor_base, geometry.search
    )
    ious, distractor_scores = [], []
    with torch.no_grad():
        for templates, searches, _, _, boxes, negatives in batches:
            logits, deltas = siam_outputs(net, templates, searches)
            for i in range(len(boxes)):
                best = int(logits[i].argmax())
                if negatives[i]:
                    distractor_scores.append(float(torch.sigmoid(logits[i].flatten()[best])))
                    continue
                flat_deltas = deltas[i].permute(1, 2, 3, 0).reshape(-1, 4).numpy()
                box = decode(flat_deltas[best], anchors.reshape(-1, 4)[best])
                ious.append(float(box_ious(box, boxes[i])))
    return {
        "val_top_iou": float(np.mean(ious)),
        "val_distractor_score": float(np.mean(distractor_scores)),
    }


TRAINING = TrackerTraining(
    "dasiamrpn", SiamRPN, partial(siam_batch, geometry=SiamGeometry()), siam_loss, proposal_metrics
)
