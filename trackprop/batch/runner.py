"""Run a batch's jobs: in this process, on a local process pool, or as Ray tasks.

The same per-video function (`run_entry`) runs everywhere and never raises: a failed video is a
summary line, and the batch goes on. OUT/summary.jsonl is rewritten atomically whenever a video
finishes, in job order. A job whose folder holds its complete result is `skipped`, one killed
midway resumes (run_folder.py), so re-running a batch redoes only what is missing.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from trackprop.atomic import write_text
from trackprop.batch.jobs import Entry
from trackprop.errors import TrackpropError
from trackprop.pipeline import run_job

SUMMARY = "summary.jsonl"


def run_entry(entry: Entry, threads: int) -> dict:
    """One video's summary line: name, status (done, failed, skipped), frames, objects, seconds, error."""
    line = {"name": entry.name, "status": "failed", "frames": None, "objects": None}
    if entry.job is None:
        return {**line, "seconds": 0.0, "error": entry.error}
    try:
        result = run_job(entry.job, threads=threads)
    except TrackpropError as error:
        return {**line, "seconds": 0.0, "error": str(error)}
    except Exception as error:  # a bug must not stop the other videos; the line says what it was
        return {**line, "seconds": 0.0, "error": f"unexpected {error!r}"}
    status = "skipped" if result.skipped else "done"
    return {
        **line,
        "status": status,
        "frames": result.frames,
        "objects": result.objects,
        "seconds": round(result.seconds, 2),
        "error": None,
    }


Results = Iterator[tuple[int, dict]]  # (entry index, summary line) as videos finish


def in_process(entries: list[Entry], threads: int) -> Results:
    for i, entry in enumerate(entries):
        yield i, run_entry(entry, threads)


def local_pool(entries: list[Entry], threads: int, workers: int) -> Results:
    # spawn: a fresh interpreter per worker, never a fork of one holding ONNX Runtime threads
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = {pool.submit(run_entry, e, threads): i for i, e in enumerate(entries)}
        for future in as_completed(futures):
            yield futures[future], future.result()


def ray_tasks(entries: list[Entry], threads: int, address: str) -> Results:
    try:
        import ray
    except ImportError:
        raise TrackpropError(
            "--ray needs the ray extra: .venv/bin/pip install -c constraints.txt -e '.[ray]'"
        ) from None
    if not ray.is_initialized():
        try:
            ray.init(address=address, log_to_driver=False)
        except ConnectionError as exc:
            raise TrackpropError(f"--ray {address}: no Ray cluster there ({exc}).") from None
    cpus = min(threads, int(ray.cluster_resources().get("CPU", 1)))  # more would never schedule
    task = ray.remote(num_cpus=cpus)(run_entry)
    pending = {task.remote(e, threads): i for i, e in enumerate(entries)}
    while pending:
        [ready], _ = ray.wait(list(pending), num_returns=1)
        yield pending.pop(ready), ray.get(ready)


def run_batch(
    entries: list[Entry],
    out: Path,
    workers: int = 0,
    ray_address: str | None = None,
    threads: int = 0,
    on_done: Callable[[dict], None] | None = None,
) -> list[dict]:
    """Every entry's summary line, in entry order; OUT/summary.jsonl kept up to date.

    workers: processes of the local pool (0: one per core); threads: of each video's libraries
    (0: the cores shared among the workers).
    """
    cores = os.cpu_count() or 1
    workers = workers or cores
    threads = threads or max(1, cores // min(workers, len(entries)))
    out.mkdir(parents=True, exist_ok=True)
    if ray_address is not None:
        results = ray_tasks(entries, threads, ray_address)
    elif workers == 1 or len(entries) == 1:
        results = in_process(entries, threads)
    else:
        results = local_pool(entries, threads, min(workers, len(entries)))
    lines: list[dict | None] = [None] * len(entries)
    for i, line in results:
        lines[i] = line
        write_text(out / SUMMARY, "".join(json.dumps(x) + "\n" for x in lines if x is not None))
        if on_done:
            on_done(line)
    return [x for x in lines if x is not None]
