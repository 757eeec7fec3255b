"""The propagator protocol: what carries objects' masks from one frame to the next.

A pass (one direction from a start frame) calls `start` once on the start frame's label map, with
the user-annotated frames as `references` (frame, label map) for a propagator that keeps a
memory of them, and then `step` per frame (with the pass's next frame, when the caller has it,
so work on it can start early); the per-object state `start` returns (trackers, last
masks) lives for that pass and is passed back to every `step`. `snapshot` turns that state into
arrays and `resume` rebuilds it (restarting the trackers), which is how a long run keeps
keyframes that a killed run continues from. Frames are (H,W,3) uint8 RGB, label maps (H,W)
uint8 with 0 the background.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Protocol

import numpy as np

References = list[tuple[np.ndarray, np.ndarray]]  # user-annotated (frame, label map) pairs


class Propagator(Protocol):
    seconds: Counter[str]  # time spent per phase (tracker, crop, network, merge), for benchmarks
    uses_references: bool  # does `start` read the annotated frames (else it gets none)?

    def start(
        self,
        frame: np.ndarray,
        labels: np.ndarray,
        object_ids: list[int],
        references: References,
    ) -> Any: ...

    def step(
        self, frame: np.ndarray, tracks: Any, upcoming: np.ndarray | None = None
    ) -> np.ndarray: ...

    def snapshot(self, tracks: Any) -> dict[str, np.ndarray]: ...

    def resume(
        self, frame: np.ndarray, state: dict[str, np.ndarray], references: References
    ) -> Any: ...
