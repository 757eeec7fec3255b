"""Trackers by name: a plain dict of constructors."""

from __future__ import annotations

from functools import partial

from trackprop.errors import TrackpropError
from trackprop.trackers.base import Tracker
from trackprop.trackers.none import WholeFrame
from trackprop.trackers.opencv import CONSTRUCTORS, OpenCVTracker


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


def make_tracker(name: str) -> Tracker:
    if name not in TRACKERS:
        raise TrackpropError(f"unknown tracker '{name}'; choose one of: {', '.join(TRACKERS)}.")
    return TRACKERS[name]()


__all__ = ["TRACKERS", "Tracker", "make_tracker"]
