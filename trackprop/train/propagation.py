"""`trackprop train propagation`: the propagation network on composited videos.

Plain (4 channels: RGB + previous mask), or with `memory` (5: + the matching map against an
annotated frame of the object and a few recent ones, `models/matching.py`, as
`LearnedMemoryPropagator` feeds it).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import torch

from trackprop.config import RoiConfig
from trackprop.errors import TrackpropError
from trackprop.models.encoding import encode_input, mask_channel
from trackprop.models.features import feature_extractor
from trackprop.models.matching import matching_channel, object_memory, unit_features
from trackprop.train.loop import TrainConfig, near_boundaries, torch_device, train_network
from trackprop.train.propagation_data import (
    Pair,
    PairConfig,
    VideoStore,
    sample_memory_batch,
    sample_pair,
)

if TYPE_CHECKING:  # imported where used: it needs OpenCV's contrib trackers (see below)
    from trackprop.train.own_propagation import OwnPropagation

ENLARGE = RoiConfig().enlarge
# Hard previous masks (farther frames, masks slid onto a neighbour) and hidden objects: with a
# memory the network learns to side with the annotation where the two disagree, and to let go
# of an object that went out of sight. The plain network learns from the same pairs since it
# ships as the memory network without its map (README, "Training"), which was trained on them.
PAIRS = PairConfig(max_frame_gap=5, neighbour_probability=0.3, hidden_probability=0.15)
NO_MEMORY = 0.1  # share of samples whose map is blank, as for an object no annotation shows
OWN_SHARE = 0.5  # `--own-errors` alone: share of samples from the shipped propagator's own run


def propagation_sampler(
    store: VideoStore,
    roi: RoiConfig,
    own: OwnPropagation | None = None,
    config: PairConfig = PAIRS,
    own_share: float = OWN_SHARE,
):
    def pair(rng: np.random.Generator) -> Pair:
        if own is not None and rng.random() < own_share:
            sample = own.pair(store, store.index[rng.integers(len(store.index))], rng)
            if sample is not None:
                return sample
        return sample_pair(store, rng, roi, config)

    def sample(rng: np.random.Generator, batch: int):
        pairs = [pair(rng) for _ in range(batch)]
        images, previous, targets = (np.stack(parts) for parts in zip(*pairs, strict=True))
        return encode_input(images, mask_channel(previous)), targets

    return sample


def memory_sampler(store: VideoStore, roi: RoiConfig, extractor: torch.nn.Module):
    device = next(extractor.parameters()).device

    def cells(images: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            features = extractor(torch.from_numpy(encode_input(images)).to(device))[0]
        return unit_features(features.cpu().numpy())

    def sample(rng: np.random.Generator, batch: int):
        images, previous, targets, references, reference_masks = sample_memory_batch(
            store, rng, roi, batch, PAIRS
        )
        counts = [len(r) for r in references]
        all_cells = cells(np.concatenate([images, *references]))
        crop_cells = all_cells[:batch]
        reference_cells = np.split(all_cells[batch:], np.cumsum(counts)[:-1])
        match = np.zeros((batch, roi.size, roi.size), np.float32)
        for i in range(batch):
            if rng.random() < NO_MEMORY:
                continue  # blank, as for an object that no annotated frame shows
            memory = object_memory(reference_cells[i], reference_masks[i])
            match[i] = matching_channel(crop_cells[i], memory, roi.size)
        return encode_input(images, mask_channel(previous), match), targets

    return sample


def train_propagation(
    data: str,
    out: str,
    val: str,
    config: TrainConfig,
    split: str = "train",
    val_split: str = "val",
    memory: bool = False,
    own_errors: float = 0.0,
    box_jitter: float | None = None,
    revealed: float = 0.0,
    twins: float = 0.0,
    refind: float = 0.0,
    boundary_weight: float = 0.0,
) -> dict:
    """`own_errors` is the share of training samples cut from the shipped propagator's own run
    (0: none; the val samples keep OWN_SHARE whenever it is on, so val IoU compares between
    shares). `box_jitter` (a fraction of the box's size) overrides PAIRS' simulated tracker error
    in the training samples, `revealed` their share of half-hidden previous masks, `twins`
    their share with a copy of the object pasted beside it and `refind` their share of lost
    objects searched for where they were last seen (PairConfig); the val samples keep PAIRS', so
    val IoU stays comparable between runs. `boundary_weight` weighs the loss's pixels near the
    target's edge by 1 + it (`near_boundaries`)."""
    for option, share in (
        ("--own-errors", own_errors),
        ("--revealed", revealed),
        ("--twins", twins),
        ("--refind", refind),
    ):
        if not 0.0 <= share <= 1.0:
            raise TrackpropError(f"{option} {share}: a share of the samples, 0 to 1.")
    if boundary_weight < 0:
        raise TrackpropError(f"--boundary-weight {boundary_weight}: a weight of 0 or more.")
    if memory and own_errors:
        raise TrackpropError("--own-errors trains the plain propagation network, not --memory.")
    if (box_jitter is not None or revealed or twins or refind) and memory:
        raise TrackpropError(
            "--box-jitter, --revealed, --twins and --refind train the plain propagation "
            "network, not --memory."
        )
    if config.workers and (memory or own_errors):
        # Their samples run networks (the feature extractor, the shipped propagator), which
        # forked workers would share with the training: those two cut their batches themselves.
        raise TrackpropError("--workers cuts plain samples; --memory and --own-errors take none.")
    roi = RoiConfig(enlarge=ENLARGE, size=config.size)
    store = VideoStore(data, split, workers=config.workers)
    val_store = VideoStore(val, val_split, workers=config.workers)
    print(
        f"train: {store.num_videos} videos, {len(store.index)} object-frames; val: {val_store.num_videos} videos"
    )
    if memory:
        extractor = feature_extractor().to(torch_device(config.device))
        samplers = memory_sampler(store, roi, extractor), memory_sampler(val_store, roi, extractor)
    else:
        own = None
        if own_errors:
            # Imported here: it runs the shipped propagator and its trackers, which need
            # OpenCV's contrib build (a GPU machine's OpenCV may lack it and still train).
            from trackprop.train.own_propagation import OwnPropagation

            own = OwnPropagation(roi)
        pairs = replace(
            PAIRS,
            box_jitter=PAIRS.box_jitter if box_jitter is None else box_jitter,
            revealed_probability=revealed,
            twin_probability=twins,
            refind_probability=refind,
        )
        samplers = (
            propagation_sampler(store, roi, own, pairs, own_errors),
            propagation_sampler(val_store, roi, own),
        )
    return train_network(
        *samplers,
        5 if memory else 4,
        config,
        out,
        "train propagation",
        pixel_weights=near_boundaries(boundary_weight) if boundary_weight else None,
        enlarge=ENLARGE,
    )
