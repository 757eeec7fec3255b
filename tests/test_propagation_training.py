"""The propagation network's training samples, with and without a memory, on small composited
videos: cut as inference cuts them, with a matching map that points at the object."""

import numpy as np
import pytest
import torch

from trackprop.cli import build_parser
from trackprop.config import RoiConfig
from trackprop.data.builtin import builtin_pool
from trackprop.data.synth import SynthConfig, synthesize
from trackprop.errors import TrackpropError
from trackprop.models.features import feature_extractor
from trackprop.models.networks import load_checkpoint
from trackprop.train.loop import TrainConfig
from trackprop.train.own_propagation import OwnPropagation
from trackprop.train.propagation import memory_sampler, propagation_sampler, train_propagation
from trackprop.train.propagation_data import (
    HIDDEN_REACH,
    RECENT_REFERENCES,
    RECENT_SPAN,
    PairConfig,
    VideoStore,
    cut_pair,
    cut_refound,
    reference_frames,
)

SMALL = SynthConfig(frames=8, height=120, width=200, min_objects=2, max_objects=2)
ROI = RoiConfig(size=96)


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    out = tmp_path_factory.mktemp("videos")
    synthesize(out, builtin_pool(), videos=2, seed=7, split="train", config=SMALL, workers=1)
    return out


def test_hidden_samples_keep_the_last_seen_mask_and_want_an_empty_one(tmp_path):
    """Behind a full occluder the object is gone: the sample's previous mask is where it was
    last seen, and the target is empty."""
    occluded = SynthConfig(frames=14, height=120, width=200, min_objects=2, max_objects=2)
    synthesize(tmp_path, builtin_pool(), videos=2, seed=7, split="train", config=occluded)
    store = VideoStore(str(tmp_path), "train")
    assert store.hidden
    rng = np.random.default_rng(0)
    for v, t, obj in store.hidden:
        assert not (store.label_map(v, t) == obj).any()
        assert abs(store.last_seen(v, t, obj) - t) <= HIDDEN_REACH
        clean = PairConfig(noise_probability=0)  # the noise may erase a small mask
        image, previous, target = cut_pair(store, (v, t, obj), rng, ROI, clean)
        assert image.shape == (96, 96, 3) and previous.any() and not target.any()
        image, _, target = cut_pair(store, (v, t, obj), rng, ROI, PairConfig(noise_probability=1))
        assert image.shape == (96, 96, 3) and not target.any()


def test_twin_samples_are_drawn_only_when_asked_for(root):
    """Without --twins the samples are exactly those drawn before (the same random stream);
    with it they are whole samples whose images differ (paste_twin's own test checks the copy)."""
    store = VideoStore(str(root), "train")
    item = store.index[len(store.index) // 2]
    plain = cut_pair(store, item, np.random.default_rng(3), ROI, PairConfig())
    again = cut_pair(store, item, np.random.default_rng(3), ROI, PairConfig(twin_probability=0))
    assert all((a == b).all() for a, b in zip(plain, again, strict=True))
    twins = PairConfig(twin_probability=1)
    differ = 0
    for seed in range(10):
        image, previous, target = cut_pair(store, item, np.random.default_rng(seed), ROI, twins)
        assert image.shape == (96, 96, 3) and previous.shape == target.shape == (96, 96)
        plain = cut_pair(store, item, np.random.default_rng(seed), ROI, PairConfig())
        differ += not (image == plain[0]).all()
    assert differ >= 8


def test_a_refound_object_is_cut_as_the_lost_search_cuts_it():
    """The previous mask is where the object was last seen, centred in a ROI grown 1.5-2.5
    times (the search after one or more lost frames); the object, moved since, shows beside it."""
    seen = np.zeros((200, 200), bool)
    seen[90:110, 90:110] = True
    target = np.roll(seen, 30, axis=1).astype(np.uint8)
    image = np.zeros((200, 200, 3), np.uint8)
    for seed in range(10):
        _, previous, moved = cut_refound(image, seen, target, np.random.default_rng(seed), ROI)
        rows, cols = np.nonzero(previous)
        # 20 px in a ROI of 20 x 1.6 x growth px at 96 px: 24-40 px, augmented by up to 10 %
        # and 8 degrees.
        assert 20 <= cols.max() - cols.min() + 1 <= 46
        assert abs(cols.mean() - 47.5) < 8 and abs(rows.mean() - 47.5) < 8
        assert abs(np.nonzero(moved)[1].mean() - cols.mean()) > 10  # beside it (or mirrored)


def test_refind_samples_are_drawn_only_when_asked_for(root):
    """Without --refind the stream is unchanged; with it the previous mask of an object seen
    4-15 frames away is that frame's mask, not one a few frames away."""
    store = VideoStore(str(root), "train")
    gaps = (4, 15)
    v, t, obj = next(
        item for item in store.index if store.seen_apart(*item, gaps, np.random.default_rng(0))
    )
    seen = store.seen_apart(v, t, obj, gaps, np.random.default_rng(0))
    assert 4 <= abs(seen - t) <= 15 and (store.label_map(v, seen) == obj).any()
    plain = cut_pair(store, (v, t, obj), np.random.default_rng(3), ROI, PairConfig())
    again = cut_pair(
        store, (v, t, obj), np.random.default_rng(3), ROI, PairConfig(refind_probability=0)
    )
    assert all((a == b).all() for a, b in zip(plain, again, strict=True))
    refind = PairConfig(refind_probability=1)
    image, previous, target = cut_pair(store, (v, t, obj), np.random.default_rng(3), ROI, refind)
    assert image.shape == (96, 96, 3) and previous.any() and target.shape == (96, 96)
    assert not (previous == plain[1]).all()


def test_the_matching_map_is_higher_on_the_object_than_around_it(root):
    torch.set_num_threads(1)
    sample = memory_sampler(VideoStore(str(root), "train"), ROI, feature_extractor())
    inputs, targets = sample(np.random.default_rng(0), 16)
    assert inputs.shape == (16, 5, 96, 96) and targets.shape == (16, 96, 96)
    match = inputs[:, 4]
    assert np.abs(match).max() <= 2  # a difference of two cosine similarities
    assert match[targets == 1].mean() > match[targets == 0].mean() + 0.1


def test_a_memory_holds_an_annotated_frame_and_up_to_three_recent_ones(root):
    """As at inference: one annotated frame anywhere, then 0..3 other frames near the item's,
    every one showing the object; over many draws every count occurs."""
    store = VideoStore(str(root), "train")
    rng = np.random.default_rng(0)
    counts = set()
    for _ in range(200):
        v, t, obj = store.index[rng.integers(len(store.index))]
        annotated, *recent = reference_frames(store, (v, t, obj), rng)
        shown = store.showing[(v, obj)]
        assert annotated in shown and all(r in shown for r in recent)
        assert all(r != t and abs(r - t) <= RECENT_SPAN for r in recent)
        assert len(set(recent)) == len(recent)
        counts.add(len(recent))
    assert counts == set(range(RECENT_REFERENCES + 1))


def test_a_memory_network_trains_from_a_four_channel_one(root, tmp_path):
    """Two steps from a plain checkpoint give a five-channel network that loads and runs."""
    plain = tmp_path / "plain.pt"
    config = TrainConfig(steps=1, batch=2, size=96, eval_every=1, val_batches=1, threads=1)
    train_propagation(str(root), str(plain), str(root), config, val_split="train")
    memory = tmp_path / "memory.pt"
    config = TrainConfig(
        steps=2, batch=2, size=96, eval_every=2, val_batches=1, threads=1, init=str(plain)
    )
    result = train_propagation(
        str(root), str(memory), str(root), config, val_split="train", memory=True
    )
    assert 0 <= result["val_iou"] <= 1 and result["steps"] == 2
    network, checkpoint = load_checkpoint(memory)
    assert checkpoint["in_channels"] == 5
    assert network(torch.zeros(1, 5, 96, 96)).shape == (1, 2, 96, 96)
    assert memory.with_suffix(".onnx").is_file()


def test_own_error_samples_carry_the_propagators_own_mask(root, tmp_path):
    """The shipped propagator's mask a few frames on: near the truth, never a copy of it; the
    plain network trains on such samples, and a memory network refuses them."""
    store = VideoStore(str(root), "train")
    own = OwnPropagation(ROI)
    rng = np.random.default_rng(0)
    overlaps = []
    for item in store.index[::2]:
        pair = own.pair(store, item, rng)
        if pair is None:
            continue
        image, previous, target = pair
        assert image.shape == (96, 96, 3) and previous.shape == target.shape == (96, 96)
        both, either = (previous & target).sum(), (previous | target).sum()
        overlaps.append(both / max(either, 1))
    assert len(overlaps) >= len(store.index[::2]) // 2
    assert 0.3 < np.mean(overlaps) < 0.99
    config = TrainConfig(steps=1, batch=2, size=96, eval_every=1, val_batches=1, threads=1)
    out = tmp_path / "own.pt"
    result = train_propagation(str(root), str(out), str(root), config, "train", "train", False, 0.5)
    assert result["steps"] == 1 and out.is_file()
    with pytest.raises(TrackpropError, match="--own-errors trains the plain"):
        train_propagation(str(root), str(out), str(root), config, "train", "train", True, 0.5)
    with pytest.raises(TrackpropError, match="--own-errors 1.5: a share of the samples, 0 to 1"):
        train_propagation(str(root), str(out), str(root), config, "train", "train", False, 1.5)
    with pytest.raises(TrackpropError, match="--twins -0.1: a share of the samples, 0 to 1"):
        train_propagation(str(root), str(out), str(root), config, twins=-0.1)
    with pytest.raises(TrackpropError, match="--refind 2.0: a share of the samples, 0 to 1"):
        train_propagation(str(root), str(out), str(root), config, refind=2.0)


@pytest.mark.parametrize("share", [0.0, 0.25, 1.0])
def test_the_own_error_share_is_the_share_of_samples_cut_from_the_propagators_run(root, share):
    """`--own-errors SHARE`: that share of the batch comes from the shipped propagator's run
    (told apart here by an own sample's all-ones previous mask), the rest from the pair
    sampler."""

    class MarkedOwn:
        def pair(self, store, item, rng):
            mark = np.ones((96, 96), bool)
            return np.zeros((96, 96, 3), np.uint8), mark, mark

    store = VideoStore(str(root), "train")
    sample = propagation_sampler(store, ROI, MarkedOwn(), own_share=share)
    _, targets = sample(np.random.default_rng(0), 200)
    own = np.mean([target.all() for target in targets])
    assert abs(own - share) < 0.08


def test_the_cli_reads_own_errors_alone_as_half_and_with_a_share():
    parser = build_parser()
    base = ["train", "propagation", "--data", "D", "--val", "V", "--out", "o.pt"]
    assert parser.parse_args(base).own_errors == 0.0
    assert parser.parse_args([*base, "--own-errors"]).own_errors == 0.5
    assert parser.parse_args([*base, "--own-errors", "0.25"]).own_errors == 0.25
