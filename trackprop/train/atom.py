"""`trackprop train atom`: ATOM's backbone and IoU net on box pairs from composited videos.

Per pair: the reference crop around the target, a test crop around a jittered position (as the
tracker finds it), and 16 candidate boxes drawn around the test target at several noise levels
whose true IoU the net learns to predict (ATOM's proposal sampling). Our backbone starts from
random weights instead of ImageNet, so a second, auxiliary loss makes its stage-3 features
discriminative for the online classifier: the reference target's pooled features, correlated
over the test crop, must peak at the target (a Gaussian label, logistic loss).
"""

from __future__ import annotations

from functools import partial

import numpy as np
import torch
import torch.nn.functional as F

from trackprop.boxes import box_ious, center_size, square_region
from trackprop.roi import crop_roi
from trackprop.trackers.learned.atom import CLASSIFIER_STRIDE, target_label
from trackprop.trackers.learned.atom_net import AtomGeometry, AtomNet, refine_boxes
from trackprop.trackers.learned.backbone import image_tensor
from trackprop.trackers.learned.crops import to_crop
from trackprop.trackers.learned.online_classifier import ClassifierConfig
from trackprop.trackers.learned.pooling import roi_pool
from trackprop.train.propagation_data import VideoStore
from trackprop.train.tracker_training import TrackerTraining
from trackprop.train.tracking_data import sample_track_pair

MAX_GAP = 8
PROPOSALS = 16
PROPOSAL_SIGMAS = np.array([0.02, 0.05, 0.1, 0.2, 0.3])
CENTER_JITTER = 1.0  # test crop centre shift, in units of sqrt(target area), uniform +-
SCALE_JITTER = 0.25  # log-scale, uniform +-


def jittered_region(
    box: np.ndarray, rng: np.random.Generator, geometry: AtomGeometry, shift: float
) -> np.ndarray:
    center, size = center_size(box)
    scale = float(np.sqrt(size.prod()))
    side = geometry.context * scale * np.exp(rng.uniform(-SCALE_JITTER, SCALE_JITTER))
    return square_region(center + rng.uniform(-shift, shift, 2) * scale, side)


def proposals(box: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(PROPOSALS, 4) boxes around `box`, from tight to loose."""
    center, size = center_size(box)
    sigmas = rng.choice(PROPOSAL_SIGMAS, PROPOSALS)[:, None]
    centers = center + rng.normal(size=(PROPOSALS, 2)) * sigmas * size
    sizes = size * np.exp(rng.normal(size=(PROPOSALS, 2)) * sigmas * 2)
    return np.concatenate([centers - sizes / 2, centers + sizes / 2], 1)


def atom_batch(store: VideoStore, rng: np.random.Generator, batch: int, geometry: AtomGeometry):
    """(crops (2B,S,S,3): references then tests, reference boxes (B,4), test boxes (B,4), proposals (B,N,4), IoUs (B,N))."""
    references, tests, reference_boxes, test_boxes, candidates = [], [], [], [], []
    for _ in range(batch):
        pair = sample_track_pair(store, rng, MAX_GAP)
        region = jittered_region(pair.reference_box, rng, geometry, 0.1)
        references.append(crop_roi(pair.reference, region, geometry.crop))
        reference_boxes.append(to_crop(pair.reference_box, region, geometry.crop))
        region = jittered_region(pair.test_box, rng, geometry, CENTER_JITTER)
        tests.append(crop_roi(pair.test, region, geometry.crop))
        test_boxes.append(to_crop(pair.test_box, region, geometry.crop))
        candidates.append(proposals(test_boxes[-1], rng))
    test_boxes, candidates = np.stack(test_boxes), np.stack(candidates)
    ious = box_ious(candidates, test_boxes[:, None])
    return np.stack(references + tests), np.stack(reference_boxes), test_boxes, candidates, ious


def tensor(array: np.ndarray) -> torch.Tensor:
    return torch.as_tensor(array, dtype=torch.float32)


def correlation_loss(net: AtomNet, reference3, test3, reference_boxes, test_boxes) -> torch.Tensor:
    """The auxiliary loss: the reference target's stage-3 features must peak at the test target."""
    batch, channels, height, width = test3.shape
    kernels = roi_pool(reference3, tensor(reference_boxes)[:, None] / CLASSIFIER_STRIDE, 3)[:, 0]
    kernels = kernels / kernels.flatten(1).norm(dim=1).clamp_min(1e-6)[:, None, None, None]
    rms = test3.pow(2).mean((1, 2, 3), keepdim=True).sqrt().clamp_min(1e-6)
    response = F.conv2d(
        (test3 / rms).reshape(1, batch * channels, height, width), kernels, padding=1, groups=batch
    )
    logits = net.correlation_scale[0] * response[0] + net.correlation_scale[1]
    sigma = ClassifierConfig().label_sigma  # the online classifier's label, the same target
    labels = torch.stack([target_label(box, (height, width), sigma) for box in test_boxes])
    return F.binary_cross_entropy_with_logits(logits, labels)


def atom_loss(net: AtomNet, batch: tuple) -> torch.Tensor:
    crops, reference_boxes, test_boxes, candidates, ious = batch
    count = len(reference_boxes)
    features = net.features(image_tensor(crops))
    reference = [f[:count] for f in features]
    test = [f[count:] for f in features]
    modulation = net.iou_net.modulation(reference, tensor(reference_boxes))
    predicted = net.iou_net.predict_iou(
        modulation, net.iou_net.test_features(test), tensor(candidates)
    )
    iou_loss = F.mse_loss(predicted, tensor(ious))
    return iou_loss + 0.5 * correlation_loss(
        net, reference[1], test[1], reference_boxes, test_boxes
    )


def refinement_metrics(net: AtomNet, batches: list[tuple]) -> dict:
    """Predicted-IoU error of the candidates, and the true IoU of a jittered box before and after refinement."""
    net.eval()
    errors, before, after = [], [], []
    for crops, reference_boxes, test_boxes, candidates, ious in batches:
        count = len(reference_boxes)
        with torch.no_grad():
            features = net.features(image_tensor(crops))
            modulation = net.iou_net.modulation(
                [f[:count] for f in features], tensor(reference_boxes)
            )
            test = net.iou_net.test_features([f[count:] for f in features])
            predicted = net.iou_net.predict_iou(modulation, test, tensor(candidates))
        errors.append(np.abs(predicted.numpy() - ious).mean())
        start = tensor(candidates[:, :1])  # one noisy box per pair
        refined, _ = refine_boxes(net.iou_net, modulation, test, start)
        before.append(ious[:, 0].mean())
        after.append(box_ious(refined[:, 0].numpy(), test_boxes).mean())
    return {
        "val_iou_error": float(np.mean(errors)),
        "val_box_iou_before": float(np.mean(before)),
        "val_box_iou_after": float(np.mean(after)),
    }


TRAINING = TrackerTraining(
    "atom", AtomNet, partial(atom_batch, geometry=AtomGeometry()), atom_loss, refinement_metrics
)
