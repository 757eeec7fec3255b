"""The learned trackers' shipped weights: saved fp16, loaded once per process from the package."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

import torch

from trackprop.atomic import atomic_path
from trackprop.errors import TrackpropError
from trackprop.models.networks import half_state
from trackprop.models.runtime import WEIGHTS


def save_weights(path: str | Path, network: torch.nn.Module, **meta) -> None:
    with atomic_path(path) as partial:
        torch.save({"state": half_state(network), **meta}, partial)


def load_weights(network: torch.nn.Module, path: str | Path) -> torch.nn.Module:
    path = Path(path)
    if not path.is_file():
        raise TrackpropError(
            f"{path}: tracker weights not found; train them with `trackprop train`."
        )
    state = torch.load(path, map_location="cpu", weights_only=True)["state"]
    network.load_state_dict(
        {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
    )
    return network.eval()


@cache
def shipped_network(name: str, build: Callable[[], torch.nn.Module]) -> torch.nn.Module:
    """The network in trackprop/weights/<name>.pt, shared by every tracker of this kind."""
    network = load_weights(build(), WEIGHTS / f"{name}.pt")
    for parameter in network.parameters():
        parameter.requires_grad_(False)
    return network
