"""What the two learned trackers' trainings share: data, validation batches, `fit`, shipped weights."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

import numpy as np
import torch

from trackprop.trackers.learned.weights import save_weights
from trackprop.train.loop import TrainConfig, fit
from trackprop.train.propagation_data import VideoStore


@dataclass(frozen=True)
class TrackerTraining:
    """One learned tracker's training: its network, batches (train and val alike), loss, metrics."""

    name: str
    build: Callable[[], torch.nn.Module]
    make_batch: Callable[[VideoStore, np.random.Generator, int], tuple]
    loss: Callable[[torch.nn.Module, tuple], torch.Tensor]
    metrics: Callable[[torch.nn.Module, list[tuple]], dict]


def train_tracker(
    training: TrackerTraining,
    data: str,
    out: str,
    val: str,
    config: TrainConfig,
    split: str = "train",
    val_split: str = "val",
) -> dict:
    store = VideoStore(data, split, workers=config.workers)
    val_store = VideoStore(val, val_split, workers=config.workers)
    print(f"train: {store.num_videos} videos; val: {val_store.num_videos} videos")
    val_rng = np.random.default_rng(12345)
    val_batches = [training.make_batch(val_store, val_rng, 16) for _ in range(config.val_batches)]

    net = training.build()
    evaluate = partial(training.metrics, batches=val_batches)
    sampler = partial(training.make_batch, store)
    final = fit(net, sampler, training.loss, evaluate, config, Path(out), f"train {training.name}")
    save_weights(out, net, train=asdict(config), result=final)
    return final
