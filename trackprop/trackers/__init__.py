"""Trackers by name: a plain dict of constructors."""

from __future__ import annotations

from functools import partial

from trackprop.errors import TrackpropError
from trackprop.trackers.base import Tracker
from trackprop.trackers.none import WholeFrame
from trackprop.trackers.opencv import CONSTRUCTORS, LIGHT_CONSTRUCTORS, OpenCVTracker


# The learned trackers import torch and load their weights only when one is made.
def atom() -> Tracker:
    from trackprop.trackers.learned.atom import AtomTracker

    return AtomTracker()


def dasiamrpn() -> Tracker:
    from trackprop.trackers.learned.dasiamrpn import DaSiamRPNTracker

    return DaSiamRPNTracker()


TRACKERS = {
    "none": WholeFrame,
    **{name: partial(OpenCVTracker, name) for name in CONSTRUCTORS},
    "atom": atom,
    "dasiamrpn": dasiamrpn,
}


def make_tracker(name: str, light: bool = False) -> Tracker:
    """Tracker `name`; `light` asks for its cheaper configuration where it has one (csrt)."""
    if name not in TRACKERS:
        raise TrackpropError(f"unknown tracker '{name}'; choose one of: {', '.join(TRACKERS)}.")
    if light and name in LIGHT_CONSTRUCTORS:
        return OpenCVTracker(name, light=True)
    return TRACKERS[name]()


__all__ = ["TRACKERS", "Tracker", "make_tracker"]
