import importlib
import json
from dataclasses import replace

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from tracking_fixtures import moving_patch_clip

from trackprop.data.builtin import builtin_pool
from trackprop.data.synth import SynthConfig, synthesize
from trackprop.errors import TrackpropError
from trackprop.trackers import make_tracker
from trackprop.trackers.learned.anchors import anchor_grid, decode, encode
from trackprop.trackers.learned.atom_net import AtomNet, refine_boxes
from trackprop.trackers.learned.online_classifier import (
    ClassifierConfig,
    OnlineClassifier,
    gaussian_label,
)
from trackprop.trackers.learned.pooling import roi_pool
from trackprop.trackers.learned.weights import load_weights, shipped_network
from trackprop.train.loop import TrainConfig
from trackprop.train.tracker_training import train_tracker


def test_roi_pool_of_an_aligned_box_equals_the_crop_resized_by_area():
    features = torch.randn(2, 5, 16, 20)
    boxes = torch.tensor([[[4.0, 2.0, 12.0, 10.0]], [[0.0, 0.0, 16.0, 16.0]]])
    # One sample per pixel of each bin: the samples fall on pixel centres, so pooling is exact.
    pooled = roi_pool(features, boxes, output=4, samples=2)
    assert torch.allclose(
        pooled[0, 0], F.adaptive_avg_pool2d(features[0, :, 2:10, 4:12], 4), atol=1e-6
    )
    pooled = roi_pool(features, boxes, output=4, samples=4)
    assert torch.allclose(
        pooled[1, 0], F.adaptive_avg_pool2d(features[1, :, 0:16, 0:16], 4), atol=1e-6
    )


def test_roi_pool_is_differentiable_in_the_box():
    features = torch.arange(16.0).repeat(16, 1)[None, None]  # value = x pixel index
    box = torch.tensor([[[2.0, 2.0, 8.0, 8.0]]], requires_grad=True)
    roi_pool(features, box, output=1, samples=8).sum().backward()
    # Moving either x edge right raises the mean of x by half the move; y edges change nothing.
    assert torch.allclose(box.grad, torch.tensor([[[0.5, 0.0, 0.5, 0.0]]]), atol=1e-5)


@pytest.mark.parametrize("shipped", [False, True])
def test_gradient_ascent_never_lowers_the_predicted_iou(shipped):
    torch.manual_seed(0)
    net = shipped_network("atom", AtomNet) if shipped else AtomNet().eval()
    images = torch.randn(2, 3, 192, 192)
    with torch.no_grad():
        features = net.features(images)
        modulation = net.iou_net.modulation(
            [f[:1] for f in features], torch.tensor([[60.0, 70.0, 120.0, 130.0]])
        )
        test = net.iou_net.test_features([f[1:] for f in features])
    start = torch.tensor(
        [[[50.0, 60.0, 110.0, 140.0], [80.0, 80.0, 100.0, 150.0], [10.0, 20.0, 90.0, 60.0]]]
    )
    with torch.no_grad():
        before = net.iou_net.predict_iou(modulation, test, start)
    boxes, after = refine_boxes(net.iou_net, modulation, test, start)
    assert (after >= before - 1e-6).all()
    assert (boxes[..., 2:] > boxes[..., :2]).all()


def test_anchor_deltas_round_trip():
    anchors = anchor_grid(response=17, stride=8, base=48, crop=192)
    assert anchors.shape == (5, 17, 17, 4)
    centre = (anchors[:, 8, 8, :2] + anchors[:, 8, 8, 2:]) / 2
    assert np.allclose(centre, 96)  # the middle cell looks at the crop's centre
    rng = np.random.default_rng(0)
    boxes = np.concatenate(
        [rng.uniform(0, 100, (5, 17, 17, 2)), rng.uniform(110, 190, (5, 17, 17, 2))], -1
    )
    assert np.allclose(decode(encode(boxes, anchors), anchors), boxes)
    assert np.allclose(encode(anchors, anchors), 0)


def test_conjugate_gradient_reaches_the_least_squares_filter():
    torch.manual_seed(0)
    config = ClassifierConfig(dims=4, filter_size=3, regularisation=0.05, init_iterations=200)
    features = torch.randn(3, 6, 7, 7)
    labels = torch.stack([gaussian_label((3, 3), (7, 7), 1.0)] * 3)
    classifier = OnlineClassifier(features[:1], config)
    classifier.add(features, labels, permanent=True)
    classifier.optimise(config.init_iterations)
    # The same problem solved directly from its design matrix.
    patches = classifier._patches(features)  # (N, D, P)
    design = patches.permute(0, 2, 1).reshape(-1, patches.shape[1]).double()
    gamma = 1 / 3
    normal = gamma * design.T @ design + config.regularisation * torch.eye(
        design.shape[1], dtype=torch.float64
    )
    direct = torch.linalg.solve(normal, gamma * design.T @ labels.reshape(-1).double())
    assert torch.allclose(classifier.filter.double(), direct, atol=1e-4)


def test_online_classifier_finds_the_target_where_it_moved():
    torch.manual_seed(0)
    pattern = 3 * torch.randn(6, 3, 3)

    def scene(x, y):
        features = 0.3 * torch.randn(1, 6, 12, 12)
        features[0, :, y - 1 : y + 2, x - 1 : x + 2] += pattern
        return features

    first = torch.cat([scene(4, 5), scene(7, 6)])
    labels = torch.stack(
        [gaussian_label((4, 5), (12, 12), 1.0), gaussian_label((7, 6), (12, 12), 1.0)]
    )
    classifier = OnlineClassifier(first[:1], ClassifierConfig(dims=6, filter_size=5))
    classifier.add(first, labels, permanent=True)
    classifier.optimise(20)
    scores = classifier.scores(scene(9, 2))
    assert divmod(int(scores.argmax()), 12) == (2, 9)
    assert scores.max() > 0.5


def test_a_vanished_target_is_reported_lost_and_dasiamrpn_widens_its_search(rng):
    clip, boxes = moving_patch_clip(rng)
    empty = clip[0].copy()
    empty[30:60, 20:50] = clip[0][30:60, 60:90]  # the patch replaced by plain background
    for name in ("atom", "dasiamrpn"):
        tracker = make_tracker(name)
        tracker.init(clip[0], boxes[0])
        answers = [tracker.update(empty) for _ in range(3)]
        assert [score for _, score in answers] == [0.0, 0.0, 0.0], name
        assert all(np.array_equal(box, boxes[0]) for box, _ in answers)  # keeps its last box
        if name == "dasiamrpn":
            assert tracker.search == 192 + 3 * 64


def test_missing_weights_name_the_file(tmp_path):
    with pytest.raises(TrackpropError, match="tracker weights not found"):
        load_weights(AtomNet(), tmp_path / "atom.pt")


@pytest.mark.parametrize("kind", ["atom", "dasiamrpn"])
def test_training_is_resumable_and_writes_loadable_weights(kind, tmp_path):
    training = importlib.import_module(f"trackprop.train.{kind}").TRAINING
    config = SynthConfig(frames=8, height=96, width=160, min_objects=2, max_objects=2)
    synthesize(tmp_path / "data", builtin_pool(), videos=2, seed=0, config=config, workers=1)
    data, out = str(tmp_path / "data"), tmp_path / f"{kind}.pt"
    settings = TrainConfig(
        steps=3, batch=2, eval_every=1, checkpoint_every=1, val_batches=1, threads=1
    )
    calls = []

    def interrupted(*args):  # the validation batch, steps 1 and 2, then the session ends
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return training.make_batch(*args)

    with pytest.raises(KeyboardInterrupt):
        train_tracker(
            replace(training, make_batch=interrupted), data, out, data, settings, "train", "train"
        )
    assert not out.exists() and out.with_suffix(".state.pt").is_file()
    result = train_tracker(training, data, out, data, settings, "train", "train")
    assert result["steps"] == 3
    steps = [json.loads(line)["step"] for line in out.with_suffix(".log").read_text().splitlines()]
    assert steps == [1, 2, 3]  # step 3 ran once, after resuming from step 2
    assert not load_weights(training.build(), out).training
