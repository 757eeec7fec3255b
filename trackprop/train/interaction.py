"""`trackprop train interaction`: the first-round (4-channel) and refinement (5-channel) networks."""

from __future__ import annotations

from trackprop.train.interaction_data import interaction_sampler
from trackprop.train.loop import TrainConfig, train_network
from trackprop.train.propagation_data import VideoStore


def train_interaction(
    data: str,
    out: str,
    val: str,
    config: TrainConfig,
    refine: bool,
    split: str = "train",
    val_split: str = "val",
    own_errors: bool = False,
) -> dict:
    store, val_store = VideoStore(data, split), VideoStore(val, val_split)
    channels = 5 if refine else 4
    name = "refinement" if refine else "first-round"
    return train_network(
        interaction_sampler(store, config.size, refine, own_errors),
        interaction_sampler(val_store, config.size, refine, own_errors),
        channels,
        config,
        out,
        f"train {name} interaction",
    )
