"""A GUI project: one Session plus object names and colours, undo/redo, autosave and a propagation job.

The folder holds project.json (video, tracker, objects, annotated frames) and its last good copy
project.backup.json, masks/%05d.png (DAVIS indexed PNGs of every frame that has a mask),
history/ (undo/redo, see history.py) and uploads/ and exports/. Every change is saved at once
and a propagation saves as it goes, each file written atomically, so closing the browser or
killing the server loses at most the last few propagated frames; `trackprop serve --project DIR`
reopens.
"""

from __future__ import annotations

import json
import shutil
import sys
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from trackprop.atomic import atomic_path, write_text
from trackprop.config import DEFAULT_TRACKER
from trackprop.data.davis import davis_palette, read_label_png, write_label_png
from trackprop.errors import MAX_OBJECT_ID, TrackpropError
from trackprop.export import check_format
from trackprop.session import Session
from trackprop.web.history import HistoryStore

UNDO_DEPTH = 50


@dataclass
class ObjectInfo:
    id: int
    name: str
    colour: str  # "#rrggbb"


@dataclass
class Progress:
    running: bool = False
    done: int = 0
    total: int = 0
    cancelled: bool = False
    error: str | None = None  # why the last propagation stopped early, in one line


SAVE_EVERY_FRAMES = 10  # a running propagation writes its new masks this often
RECORD, BACKUP = "project.json", "project.backup.json"


def default_colour(object_id: int) -> str:
    r, g, b = davis_palette()[object_id % 256]
    return f"#{r:02x}{g:02x}{b:02x}"


class Project:
    def __init__(self, folder: str | Path, tracker: str = DEFAULT_TRACKER, device: str = "cpu"):
        self.folder = Path(folder)
        self.device = device
        self.folder.mkdir(parents=True, exist_ok=True)
        self.tracker = tracker
        self.session: Session | None = None
        self.video: str | None = None
        self.objects: dict[int, ObjectInfo] = {}
        self.undo_stack: list[tuple] = []
        self.redo_stack: list[tuple] = []
        self.progress = Progress()
        self.lock = threading.RLock()
        self.saved: dict[int, bytes] = {}
        self._history_changed = False
        self.history = HistoryStore(self.folder / "history")
        if (self.folder / RECORD).is_file() or (self.folder / BACKUP).is_file():
            self._reopen()

    # -- opening and saving -------------------------------------------------------------
    def open_video(self, video: str | Path) -> None:
        with self.lock:
            self._idle()
            self.session = Session(video, tracker=self.tracker, device=self.device)
            self.video = str(video)
            self.objects, self.undo_stack, self.redo_stack, self.saved = {}, [], [], {}
            self._history_changed = True
            shutil.rmtree(self.folder / "masks", ignore_errors=True)
            self.save()

    def _read_record(self) -> dict:
        """project.json, or its last good copy if it is damaged (said on stderr)."""
        problems = []
        for name in (RECORD, BACKUP):
            path = self.folder / name
            try:
                data = json.loads(path.read_text())
                if not isinstance(data, dict) or not isinstance(data.get("video"), str):
                    raise ValueError("no video named")
                if problems:
                    print(f"trackprop: {problems[0]}; reopened from {path}", file=sys.stderr)
                return data
            except (OSError, ValueError) as exc:
                problems.append(f"{path} is damaged ({exc})")
        raise TrackpropError(f"cannot reopen the project: {'; '.join(problems)}.")

    def _reopen(self) -> None:
        data = self._read_record()
        try:
            self.tracker = data.get("tracker", self.tracker)
            self.session = Session(data["video"], tracker=self.tracker, device=self.device)
            self.video = data["video"]
            self.objects = {o["id"]: ObjectInfo(**o) for o in data["objects"]}
            annotated, session_objects = set(data["annotated"]), data.get("session_objects", [])
        except (KeyError, TypeError) as exc:
            raise TrackpropError(f"{self.folder / RECORD}: a field is missing ({exc}).") from None
        for path in sorted((self.folder / "masks").glob("[0-9]*.png")):
            self.session.store[int(path.stem)] = read_label_png(path)
            self.saved[int(path.stem)] = self.session.store.frames[int(path.stem)]
        self.session.annotated = annotated
        self.session.object_ids = sorted(o for o in self.objects if o in session_objects)
        self.undo_stack, self.redo_stack = self.history.load()

    def save(self) -> None:
        """Write project.json and the mask PNGs of frames that changed since the last save."""
        session = self.require()
        masks = self.folder / "masks"
        masks.mkdir(exist_ok=True)
        for t, blob in session.store.frames.items():
            if self.saved.get(t) is not blob:
                write_label_png(masks / f"{t:05d}.png", session.store[t])
                self.saved[t] = blob
        for t in [t for t in self.saved if t not in session.store.frames]:
            (masks / f"{t:05d}.png").unlink(missing_ok=True)
            del self.saved[t]
        data = {
            "video": self.video,
            "tracker": self.tracker,
            "objects": [asdict(o) for o in self.objects.values()],
            "session_objects": session.object_ids,
            "annotated": sorted(session.annotated),
        }
        text = json.dumps(data, indent=1)
        write_text(self.folder / RECORD, text)
        write_text(self.folder / BACKUP, text)
        if self._history_changed:
            self.history.save(self.undo_stack, self.redo_stack)
            self._history_changed = False

    # -- state --------------------------------------------------------------------------
    def require(self) -> Session:
        if self.session is None:
            raise TrackpropError("no video is open: open or upload one first.")
        return self.session

    def _idle(self) -> None:
        if self.progress.running:
            raise BusyError("propagation is running: wait for it or cancel it first.")

    def _checkpoint(self) -> None:
        self.undo_stack = [*self.undo_stack[-UNDO_DEPTH + 1 :], self.require().snapshot()]
        self.redo_stack = []
        self._history_changed = True

    def describe(self) -> dict:
        session = self.require()
        return {
            "video": Path(self.video).name,
            "num_frames": session.num_frames,
            "width": session.frames.width,
            "height": session.frames.height,
            "fps": session.frames.fps,
            "tracker": self.tracker,
            "objects": [asdict(o) for o in self.objects.values()],
            "annotated": sorted(session.annotated),
            "masked": sorted(session.store.frames),
            "can_undo": bool(self.undo_stack),
            "can_redo": bool(self.redo_stack),
        }

    # -- objects ------------------------------------------------------------------------
    def add_object(self, name: str | None = None, colour: str | None = None) -> ObjectInfo:
        with self.lock:
            self._idle()
            self.require()
            object_id = max([0, *self.objects, *self.require().object_ids]) + 1
            if object_id > MAX_OBJECT_ID:
                raise TrackpropError(f"at most {MAX_OBJECT_ID} objects per video.")
            info = ObjectInfo(
                object_id, name or f"object {object_id}", colour or default_colour(object_id)
            )
            self.objects[object_id] = info
            self.save()
            return info

    def update_object(self, object_id: int, name: str | None, colour: str | None) -> ObjectInfo:
        with self.lock:
            info = self._object(object_id)
            if name is not None:
                info.name = name[:80]
            if colour is not None:
                if not (
                    len(colour) == 7
                    and colour.startswith("#")
                    and all(c in "0123456789abcdefABCDEF" for c in colour[1:])
                ):
                    raise TrackpropError(f"colour '{colour}' is not of the form #rrggbb.")
                info.colour = colour.lower()
            self.save()
            return info

    def remove_object(self, object_id: int) -> None:
        with self.lock:
            self._idle()
            self._object(object_id)
            self._checkpoint()
            if object_id in self.require().object_ids:
                self.require().remove_object(object_id)
            del self.objects[object_id]
            self.save()

    def _object(self, object_id: int) -> ObjectInfo:
        if object_id not in self.objects:
            raise TrackpropError(f"object {object_id} does not exist.")
        return self.objects[object_id]

    # -- editing ------------------------------------------------------------------------
    def interact(
        self,
        frame: int,
        strokes: list[dict],
        clicks: list[dict] = (),
        boxes: list[dict] = (),
    ) -> np.ndarray:
        """strokes: [{"object_id": k (0 = background), "path": [[x, y], ...] in [0, 1]}];
        clicks: [{"object_id", "x", "y", "positive"}] and boxes: [{"object_id", "box"}] in
        frame pixels (a negative click names the object it corrects)."""
        with self.lock:
            self._idle()
            session = self.require()
            for prompt in [*strokes, *clicks, *boxes]:
                object_id = prompt.get("object_id")
                if object_id and object_id not in self.objects:
                    raise TrackpropError(f"object {object_id} does not exist: add it first.")
            session.frames.check_index(frame)
            scribbles = None
            if strokes or not (clicks or boxes):
                lists: list[list] = [[] for _ in range(session.num_frames)]
                lists[frame] = list(strokes)
                scribbles = {"sequence": "gui", "scribbles": lists}
            points: dict[int, list] = {}
            for click in clicks:
                points.setdefault(click["object_id"], []).append(
                    (click["x"], click["y"], bool(click["positive"]))
                )
            rectangles = {box["object_id"]: box["box"] for box in boxes}
            self._checkpoint()
            try:
                labels = session.interact(
                    frame, scribbles, clicks=points or None, boxes=rectangles or None
                )
            except TrackpropError:
                self.undo_stack.pop()
                self._history_changed = False  # nothing changed: the saved history still holds
                raise
            self.save()
            return labels

    def undo(self) -> None:
        self._step_history(self.undo_stack, self.redo_stack, "nothing to undo.")

    def redo(self) -> None:
        self._step_history(self.redo_stack, self.undo_stack, "nothing to redo.")

    def _step_history(self, source: list, target: list, empty: str) -> None:
        """Restore the newest state of `source`, keeping the current one on `target`."""
        with self.lock:
            self._idle()
            if not source:
                raise TrackpropError(empty)
            target.append(self.require().snapshot())
            self.require().restore(source.pop())
            self._history_changed = True
            self.save()

    # -- propagation --------------------------------------------------------------------
    def start_propagation(self, frame: int) -> None:
        with self.lock:
            self._idle()
            session = self.require()
            session.frames.check_index(frame)
            if frame not in session.store.frames:
                raise TrackpropError(
                    f"frame {frame} has no mask to propagate from; draw on it first."
                )
            self._checkpoint()
            self.progress = Progress(running=True, total=session.num_frames - 1)
        threading.Thread(target=self._propagate, args=(frame,), daemon=True).start()

    def _propagate(self, frame: int) -> None:
        """The propagation thread: masks are saved as it goes; an error reaches the client."""
        try:
            for _ in self.require().propagate(frame):
                self.progress.done += 1
                if self.progress.cancelled:
                    break
                if self.progress.done % SAVE_EVERY_FRAMES == 0:
                    with self.lock:
                        self.save()
        except Exception as error:  # the thread has no caller: the client must hear of it
            message = str(error) if isinstance(error, TrackpropError) else repr(error)
            self.progress.error = f"propagation stopped at frame {self.progress.done}: {message}"
            print(f"trackprop: {self.progress.error}", file=sys.stderr)
        finally:
            with self.lock:
                self.progress.running = False
                self.save()

    def cancel(self) -> None:
        self.progress.cancelled = True

    # -- export -------------------------------------------------------------------------
    def export(self, format: str) -> Path:
        """Export in `format` and return a zip of the result (inside the project's exports/)."""
        check_format(format)  # before the name is used in a path
        with self.lock:
            self._idle()
            exports = self.folder / "exports"
            target = exports / format
            shutil.rmtree(target, ignore_errors=True)
            self.require().export(target, format)
            archive = exports / f"{format}.zip"
            with atomic_path(archive) as partial:  # a download never gets a half-written zip
                shutil.make_archive(str(partial.with_suffix("")), "zip", root_dir=target)
            return archive


class BusyError(TrackpropError):
    """The project is busy propagating."""
