"""The videos of a batch: every sequence of a DAVIS root, or a JSON-lines file of jobs.

A JSON line: {"video": PATH, "mask": PNG | "scribbles": JSON, "frame": T, "name": NAME,
"tracker": NAME}; relative paths are relative to the JOBS file; the name defaults to the video's
stem. A line that cannot be read becomes a job that fails with the reason, so one bad line never
stops the batch; each job's output goes to OUT/NAME.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from trackprop.data.davis import DavisRoot
from trackprop.errors import TrackpropError
from trackprop.pipeline import PROMPTS, Job

KEYS = {"video", "frame", "name", "tracker", *PROMPTS}


@dataclass(frozen=True)
class Entry:
    """A job of the batch, or why its line could not become one."""

    name: str
    job: Job | None
    error: str | None = None


def davis_jobs(root: Path, out: Path, defaults: dict) -> list[Entry]:
    """Every sequence of the root, prompted by its first annotated frame."""
    davis = DavisRoot(root)
    folder = root / "JPEGImages" / davis.resolution
    sequences = sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
    if not sequences:
        raise TrackpropError(f"{root}: no sequences under JPEGImages/{davis.resolution}.")
    entries = []
    for name in sequences:
        annotations = davis.annotation_paths(name)
        if not annotations:
            entries.append(Entry(name, None, f"sequence {name} has no annotated frame."))
            continue
        first = annotations[0]
        frames = [p.stem for p in sorted(davis.frame_dir(name).glob("*.jpg"))]
        if first.stem not in frames:
            entries.append(Entry(name, None, f"{first}: no frame {first.stem}.jpg beside it."))
            continue
        job = Job(
            video=str(davis.frame_dir(name)),
            out=str(out / name),
            mask=str(first),
            frame=frames.index(first.stem),  # its position among the frames the session reads
            name=name,
            **defaults,
        )
        entries.append(Entry(name, job))
    return entries


def _line_job(data: object, base: Path, out: Path, defaults: dict, number: int) -> Job:
    if not isinstance(data, dict):
        raise TrackpropError(f"line {number}: a job is a JSON object, not {type(data).__name__}.")
    unknown = sorted(set(data) - KEYS)
    if unknown:
        raise TrackpropError(
            f"line {number}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(KEYS))}."
        )
    if not isinstance(data.get("video"), str):
        raise TrackpropError(f"line {number}: 'video' (a path) is missing.")
    frame = data.get("frame")
    if frame is not None and (not isinstance(frame, int) or isinstance(frame, bool)):
        raise TrackpropError(f"line {number}: 'frame' must be an integer, not {frame!r}.")
    paths = {k: str(base / data[k]) for k in ("video", *PROMPTS) if isinstance(data.get(k), str)}
    name = data.get("name") or Path(data["video"]).stem
    if not isinstance(name, str) or "/" in name or name.startswith("."):
        raise TrackpropError(f"line {number}: name {name!r} is not a plain folder name.")
    options = {**defaults, **({"tracker": data["tracker"]} if "tracker" in data else {})}
    return Job(out=str(out / name), frame=frame, name=name, **paths, **options)


def jsonl_jobs(path: Path, out: Path, defaults: dict) -> list[Entry]:
    entries = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            entries.append(Entry(f"line {number}", None, f"line {number}: not JSON ({exc.msg})."))
            continue
        try:
            job = _line_job(data, path.parent, out, defaults, number)
            entries.append(Entry(job.label, job))
        except TrackpropError as error:
            name = (
                data.get("name")
                if isinstance(data, dict) and isinstance(data.get("name"), str)
                else f"line {number}"
            )
            entries.append(Entry(name, None, str(error)))
    return entries


def read_jobs(source: str | Path, out: Path, defaults: dict) -> list[Entry]:
    """The batch's entries in order; two jobs with one name (one output folder) is an error."""
    source = Path(source)
    if source.is_dir():
        entries = davis_jobs(source, out, defaults)
    elif source.is_file():
        entries = jsonl_jobs(source, out, defaults)
    else:
        raise TrackpropError(f"{source}: no such jobs file or DAVIS root.")
    if not entries:
        raise TrackpropError(f"{source}: no jobs in it.")
    names = [e.name for e in entries]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise TrackpropError(
            f"{source}: jobs named {', '.join(twice)} would share an output folder; give each a 'name'."
        )
    return entries
