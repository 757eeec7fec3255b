"""`trackprop train propagation`: the 4-channel propagation network on composited videos."""

from __future__ import annotations

import numpy as np

from trackprop.config import RoiConfig
from trackprop.models.encoding import encode_input, mask_channel
from trackprop.train.loop import TrainConfig, train_network
from trackprop.train.propagation_data import VideoStore, sample_batch

ENLARGE = RoiConfig().enlarge


def propagation_sampler(store: VideoStore, roi: RoiConfig):
    def sample(rng: np.random.Generator, batch: int):
        images, previous, targets = sample_batch(store, rng, roi, batch)
        return encode_input(images, mask_channel(previous)), targets

    return sample


def train_propagation(
    data: str, out: str, val: str, config: TrainConfig, split: str = "train", val_split: str = "val"
) -> dict:
    roi = RoiConfig(enlarge=ENLARGE, size=config.size)
    store, val_store = VideoStore(data, split), VideoStore(val, val_split)
    print(
        f"train: {store.num_videos} videos, {len(store.index)} object-frames; val: {val_store.num_videos} videos"
    )
    return train_network(
        propagation_sampler(store, roi),
        propagation_sampler(val_store, roi),
        4,
        config,
        out,
        "train propagation",
        enlarge=ENLARGE,
    )
