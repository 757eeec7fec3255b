"""The output folder of `trackprop propagate`: crash-safe and resumable.

OUT/run.json records the command's arguments and whether the run is complete. While it runs,
OUT/.progress/ holds every propagated frame's label map (masks/%05d.png, each written
atomically as soon as the frame is done) and per pass the last keyframe (the propagator's state,
see `Session.propagate`). Killed at any moment, the same command continues from the last
keyframe and gives the uninterrupted run's result; the exports are written at the end, each file
atomically, then run.json says complete and .progress goes.

An OUT that holds anything else (another run's output with other arguments, or files not
written by trackprop) is refused unless `overwrite`, which clears it first: old frames never mix
with new ones.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from trackprop.atomic import atomic_path, is_temporary, write_text
from trackprop.data.davis import read_label_png, write_label_png
from trackprop.errors import TrackpropError
from trackprop.session import FINISHED

RECORD = "run.json"
WORK = ".progress"
# Frames between keyframes: at most this many are redone after a crash. A keyframe restarts the
# trackers, which costs a little quality (csrt on the val set: J&F 0.609 restarting every 25
# frames vs 0.615 never; benchmarks/quality.py --keyframes), so they are kept sparse.
KEYFRAME_EVERY = 100


def _differences(old: dict, new: dict) -> str:
    keys = sorted(set(old) | set(new))
    return "; ".join(
        f"{k}: {old.get(k)!r} then, {new.get(k)!r} now" for k in keys if old.get(k) != new.get(k)
    )


class RunFolder:
    def __init__(
        self, out: str | Path, arguments: dict, overwrite: bool = False, every: int = KEYFRAME_EVERY
    ):
        """Check `out` for this run (nothing is written here; `open` creates it)."""
        if every < 1:
            raise TrackpropError(f"keyframes every {every} frames: give a positive number.")
        self.every = every
        self.out = Path(out)
        self.arguments = arguments
        self.overwrite = overwrite
        self.work = self.out / WORK
        self.masks = self.work / "masks"
        if self.out.exists() and not self.out.is_dir():
            raise TrackpropError(f"{self.out}: the output path is a file, not a folder.")
        self.record = self._read_record()
        if overwrite or not self.out.is_dir() or not any(self.out.iterdir()):
            return
        if self.record is None:
            raise TrackpropError(
                f"{self.out}: the output folder holds files that are not a trackprop run; "
                "choose an empty folder or pass --overwrite to clear it."
            )
        if self.record.get("arguments") != arguments:
            raise TrackpropError(
                f"{self.out}: holds a run with other arguments ("
                f"{_differences(self.record.get('arguments', {}), arguments)}); "
                "pass --overwrite to replace it."
            )

    def _read_record(self) -> dict | None:
        path = self.out / RECORD
        if not path.is_file():
            return None
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        return record if isinstance(record, dict) else None

    @property
    def complete(self) -> bool:
        return not self.overwrite and bool(self.record and self.record.get("complete"))

    def open(self) -> list[int]:
        """Create (or clear, with overwrite) the folder; returns the frames already done."""
        if self.overwrite and self.out.is_dir():
            for child in self.out.iterdir():
                shutil.rmtree(child) if child.is_dir() else child.unlink()
            self.overwrite = False
        self.masks.mkdir(parents=True, exist_ok=True)
        write_text(self.out / RECORD, json.dumps({"arguments": self.arguments, "complete": False}))
        return sorted(
            int(p.stem)
            for p in self.masks.glob("*.png")
            if not is_temporary(p) and p.stem.isdigit()
        )

    def read(self, t: int) -> np.ndarray:
        return read_label_png(self.masks / f"{t:05d}.png")

    def write(self, t: int, labels: np.ndarray) -> None:
        write_label_png(self.masks / f"{t:05d}.png", labels)

    # -- Keyframes (see trackprop.session.Keyframes) --------------------------------------
    def load(self, direction: str) -> tuple[int, dict[str, np.ndarray]] | str | None:
        if (self.work / f"{direction}.finished").is_file():
            return FINISHED
        path = self.work / f"{direction}.npz"
        if not path.is_file():
            return None
        with np.load(path) as data:
            state = {k: data[k] for k in data.files if k != "frame"}
            return int(data["frame"]), state

    def save(self, direction: str, frame: int, state: dict[str, np.ndarray]) -> None:
        with atomic_path(self.work / f"{direction}.npz") as partial, partial.open("wb") as handle:
            np.savez_compressed(handle, frame=frame, **state)

    def finish(self, direction: str) -> None:
        write_text(self.work / f"{direction}.finished", "")

    def close(self) -> None:
        """Mark the run complete (after its exports are written) and drop the work folder."""
        write_text(self.out / RECORD, json.dumps({"arguments": self.arguments, "complete": True}))
        shutil.rmtree(self.work, ignore_errors=True)
