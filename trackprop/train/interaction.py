"""`trackprop train interaction`: the first-round (4-channel) and refinement (5-channel) networks."""

from __future__ import annotations

import torch

from trackprop.errors import TrackpropError
from trackprop.train.interaction_data import interaction_sampler
from trackprop.train.loop import TrainConfig, train_network
from trackprop.train.propagation_data import VideoStore

GUIDANCE = 3  # the guidance channel of both networks' inputs (after RGB)


def near_prompts(weight: float):
    """Pixel weights 1 + weight x |guidance|: the loss counts most where the user drew or
    clicked. The refinement network left its object under negative clicks (object probability
    0.92-0.96 at a negative click's centre on val20 first frames): a plain loss hears a click's
    few pixels no louder than any others."""

    def weights(inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return 1 + weight * inputs[:, GUIDANCE].abs()

    return weights


def train_interaction(
    data: str,
    out: str,
    val: str,
    config: TrainConfig,
    refine: bool,
    split: str = "train",
    val_split: str = "val",
    own_errors: bool = False,
    prompt_weight: float = 0.0,
) -> dict:
    if config.workers and own_errors:
        raise TrackpropError("--workers cuts plain samples; --own-errors takes none.")
    store = VideoStore(data, split, workers=config.workers)
    val_store = VideoStore(val, val_split, workers=config.workers)
    channels = 5 if refine else 4
    name = "refinement" if refine else "first-round"
    return train_network(
        interaction_sampler(store, config.size, refine, own_errors),
        interaction_sampler(val_store, config.size, refine, own_errors),
        channels,
        config,
        out,
        f"train {name} interaction",
        pixel_weights=near_prompts(prompt_weight) if prompt_weight else None,
    )
