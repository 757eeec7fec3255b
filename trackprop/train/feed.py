"""Training batches by step number, drawn in this process or by a pool of forked workers.

The batch of step k is `sampler(default_rng((seed, k)), batch)`: a pure function of the seed and
the step, so a resumed training draws exactly the batches it would have drawn, with or without
workers. Workers exist for the GPU, where one core cutting crops (8-25 ms a sample here) cannot
keep up with the network; they are forked, so they share the videos already in memory instead of
pickling them, and they keep at most 2 batches each in flight. Batches come back through pipes,
not shared memory, which a container may hold to a few MB; a worker that dies (killed, out of
memory) or hangs ends the training with an error instead of leaving it waiting for that batch.
(A first try on a lent GPU machine, with shared-memory tensors and `multiprocessing.Pool`, got
through fewer than 250 steps in 5 minutes there and was stopped, though it ran here; the
cause was not found in that lease.)
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import cv2
import numpy as np

from trackprop.errors import TrackpropError

Sampler = Callable[[np.random.Generator, int], object]

BATCH_TIMEOUT = 120  # seconds; a batch takes under 2 s even at 320 px and 32 samples
_SAMPLER: Sampler | None = None  # the forked workers' sampler (set before the fork)


def step_rng(seed: int, step: int) -> np.random.Generator:
    return np.random.default_rng((seed, step))


def _draw(seed: int, step: int, batch: int):
    return _SAMPLER(step_rng(seed, step), batch)


def batches(sampler: Sampler, batch: int, seed: int, first: int, workers: int) -> Iterator:
    """The batches of steps first, first + 1, ... (without end)."""
    if workers <= 0:
        step = first
        while True:
            yield sampler(step_rng(seed, step), batch)
            step += 1
    global _SAMPLER
    _SAMPLER = sampler
    # One core per worker. Set before the fork: a child forked after OpenCV's thread pool
    # started hangs at its first call into it (seen here, in cv2.setNumThreads itself).
    cv2.setNumThreads(1)
    context = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(workers, mp_context=context)
    pending: deque = deque()
    step = first
    try:
        while True:
            while len(pending) < 2 * workers:
                pending.append(pool.submit(_draw, seed, step, batch))
                step += 1
            try:
                yield pending.popleft().result(timeout=BATCH_TIMEOUT)
            except BrokenProcessPool as error:
                raise TrackpropError(
                    f"a batch worker died ({error}); fewer --workers, or more memory"
                ) from None
            except TimeoutError:
                raise TrackpropError(
                    f"no batch from the workers in {BATCH_TIMEOUT} s: they hang (--workers 0 "
                    "cuts the batches in the training's own process)"
                ) from None
    finally:  # closed by the training: the batches still in flight are not wanted
        pool.shutdown(cancel_futures=True)
