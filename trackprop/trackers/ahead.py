"""A tracker that starts its update on the next frame early, beside the caller's other work.

The paper's propagator runs, per frame, the trackers and then the network, one after the other,
and only the network's mask can tell whether a tracker must be re-initialised. Both cost about as
much as each other, so on two cores the next frame's tracker update is worth starting while the
network still runs on this frame: most of the time nothing re-initialises the tracker and its
update is then already done. That is a speculation, resolved here:

- `update(frame)` on the frame `update_early` was given takes the early result;
- `init` waits for an early update still running and drops it, so a re-initialised tracker
  updates afresh on the next frame, exactly as without the speculation;
- `box` is the box of the last update the caller took (or of `init`), never the early one, so
  the caller's checks read the tracker as it would be without the speculation.

One thing differs from running without it: when the caller does not take the early result (the
object vanished and the tracker rests), the inner tracker has still seen that frame once.
"""

from __future__ import annotations

from concurrent.futures import Executor, Future

import numpy as np

from trackprop.trackers.base import Tracker


class AheadTracker:
    def __init__(self, inner: Tracker, pool: Executor):
        self.inner = inner
        self.pool = pool
        self.whole_frame = inner.whole_frame
        self.box = inner.box
        self._early: tuple[np.ndarray, Future] | None = None  # (frame, its update running)

    def init(self, frame: np.ndarray, box: np.ndarray) -> None:
        self._drop()
        self.inner.init(frame, box)
        self.box = self.inner.box

    def update_early(self, frame: np.ndarray) -> None:
        """Start `update(frame)` on the pool; the caller takes it with `update(frame)`."""
        self._drop()
        self._early = (frame, self.pool.submit(self.inner.update, frame))

    def update(self, frame: np.ndarray) -> tuple[np.ndarray, float]:
        if self._early is not None and self._early[0] is frame:
            box, score = self._early[1].result()
            self._early = None
        else:
            self._drop()
            box, score = self.inner.update(frame)
        self.box = box
        return box, score

    def _drop(self) -> None:
        """Wait for an early update nobody will take (it mutates the inner tracker)."""
        if self._early is not None:
            self._early[1].result()
            self._early = None
