"""One video end to end: its prompt, propagation and exports, into a crash-safe resumable folder.

`trackprop propagate` runs one `Job`; `trackprop batch` runs many, each through `run_job` in a
worker process or a Ray task. Everything a job names is checked before any work (formats,
tracker, video, prompt file, frame, object ids, the output folder); see run_folder.py for what a
kill leaves and how the same job resumes.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from trackprop.config import DEFAULT_PROPAGATOR, DEFAULT_TRACKER
from trackprop.data.davis import read_label_png, read_scribbles
from trackprop.errors import TrackpropError
from trackprop.export import parse_formats
from trackprop.guidance import frame_items
from trackprop.prompts import read_prompt_file
from trackprop.run_folder import KEYFRAME_EVERY, RunFolder
from trackprop.session import Session

PROMPTS = ("mask", "scribbles", "clicks", "boxes")


@dataclass(frozen=True)
class Job:
    video: str
    out: str
    mask: str | None = None  # label-map PNG of `frame`
    scribbles: str | None = None  # DAVIS scribble JSON (its scribbles on `frame` are used)
    clicks: str | None = None  # JSON {"id": [[x, y, positive], ...]} in pixels, on `frame`
    boxes: str | None = None  # JSON {"id": [x0, y0, x1, y1]} in pixels, on `frame`
    frame: int | None = None  # default: the first scribbled frame for scribbles, else 0
    tracker: str = DEFAULT_TRACKER
    propagator: str = DEFAULT_PROPAGATOR
    formats: str = "davis"
    feather: int = 0  # px of soft edge in the alpha export
    keyframe_every: int = KEYFRAME_EVERY  # frames between the resumable run's keyframes
    device: str = "cpu"  # of the networks (ONNX Runtime provider)
    int8: bool = False  # the propagation network in int8 on the CPU (models/quantize.py)
    name: str = ""  # how reports call it (default: the video's stem)

    @property
    def label(self) -> str:
        return self.name or Path(self.video).stem

    def prompt(self) -> tuple[str, Path]:
        given = [(kind, getattr(self, kind)) for kind in PROMPTS if getattr(self, kind)]
        if len(given) != 1:
            raise TrackpropError(
                f"{self.label}: give exactly one prompt ({' or '.join(PROMPTS)}), "
                f"not {len(given) or 'none'}."
            )
        kind, path = given[0]
        return kind, Path(path)


def apply_prompt(job: Job, session: Session) -> int:
    """Mark the job's objects on its frame; returns that frame."""
    kind, path = job.prompt()
    if kind == "mask":
        frame = 0 if job.frame is None else job.frame
        session.add_mask(frame, read_label_png(path))
        return frame
    if kind in ("clicks", "boxes"):
        frame = 0 if job.frame is None else session.frames.check_index(job.frame)
        session.interact(frame, **{kind: read_prompt_file(path, kind)})
        if not session.object_ids:
            raise TrackpropError(f"{path}: the {kind} on frame {frame} found no object.")
        return frame
    scribbles = read_scribbles(path)
    frame = job.frame
    if frame is None:
        drawn = [t for t in range(len(scribbles["scribbles"])) if frame_items(scribbles, t)]
        if not drawn:
            raise TrackpropError(f"{path}: the scribble file holds no scribble on any frame.")
        frame = drawn[0]
    session.interact(frame, scribbles)
    if not session.object_ids:
        raise TrackpropError(f"{path}: the scribbles on frame {frame} mark no object.")
    return frame


@dataclass
class JobResult:
    frames: int
    objects: int
    computed: int  # frames propagated by this run (the rest came from an interrupted one)
    resumed: int  # frames an interrupted run had done
    skipped: bool  # the folder held this job's complete result already
    seconds: float
    written: list[Path]


def run_job(
    job: Job,
    overwrite: bool = False,
    threads: int = 2,
    on_frame: Callable[[int, int], None] | None = None,
) -> JobResult:
    """Check everything, then propagate into job.out (resuming there) and export every format.

    `on_frame(t, total)` follows the propagation (total: the frames the whole video propagates).
    """
    started = time.perf_counter()
    formats = parse_formats(job.formats)
    if job.feather < 0:
        raise TrackpropError(f"--feather {job.feather}: give 0 or more pixels.")
    kind, prompt = job.prompt()
    session = Session(
        job.video,
        job.tracker,
        threads=threads,
        propagator=job.propagator,
        device=job.device,
        int8=job.int8,
    )
    frame = apply_prompt(job, session)
    arguments = {
        "video": str(Path(job.video).resolve()),
        "frames": session.num_frames,
        "size": [session.frames.width, session.frames.height],
        kind: hashlib.sha1(prompt.read_bytes()).hexdigest(),
        "frame": frame,
        "tracker": job.tracker,
        "propagator": job.propagator,
        "formats": formats,
        "feather": job.feather,
        "keyframe_every": job.keyframe_every,  # keyframes restart trackers: part of the result
    }
    run = RunFolder(job.out, arguments, overwrite, job.keyframe_every)
    summary = {"frames": session.num_frames, "objects": len(session.object_ids)}
    if run.complete:
        return JobResult(**summary, computed=0, resumed=0, skipped=True, seconds=0.0, written=[])
    done = run.open()
    for t in done:
        session.store[t] = run.read(t)
    computed = 0
    for t, labels in session.propagate(frame, run):
        run.write(t, labels)
        computed += 1
        if on_frame:
            on_frame(t, session.num_frames - 1)
    written = [session.export(Path(job.out) / fmt, fmt, job.feather) for fmt in formats]
    run.close()
    seconds = time.perf_counter() - started
    return JobResult(
        **summary,
        computed=computed,
        resumed=len(done),
        skipped=False,
        seconds=seconds,
        written=written,
    )
