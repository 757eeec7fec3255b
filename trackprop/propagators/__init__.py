"""Propagators by name: a plain dict of constructors taking (network, roi, tracking)."""

from __future__ import annotations

from collections.abc import Callable

from trackprop.config import RoiConfig, TrackerConfig
from trackprop.errors import TrackpropError
from trackprop.models.runtime import Network
from trackprop.propagators.base import Propagator
from trackprop.propagators.memory import LearnedMemoryPropagator, MemoryPropagator
from trackprop.propagators.roi_tracker import RoiTrackerPropagator

PROPAGATORS = {
    "roi-tracker": RoiTrackerPropagator,  # the paper's: per-object tracker ROI + 4-channel DeepLab
    "memory": MemoryPropagator,  # the same, corrected by matching against the annotated frames
    "learned-memory": LearnedMemoryPropagator,  # the matching map read by a 5-channel network
}


def propagator_class(name: str) -> Callable[[Network, RoiConfig, TrackerConfig], Propagator]:
    """The constructor of propagator `name` (checked before any network is loaded)."""
    if name not in PROPAGATORS:
        raise TrackpropError(
            f"unknown propagator '{name}'; choose one of: {', '.join(PROPAGATORS)}."
        )
    return PROPAGATORS[name]


__all__ = ["PROPAGATORS", "Propagator", "propagator_class"]
