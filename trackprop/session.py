"""Session: one video's inference state, driven alike by the CLI, the GUI, the evaluation and scripts.

    sess = Session(frames, tracker="csrt")
    sess.add_mask(frame=0, mask=labels)
    for t, labels in sess.propagate(from_frame=0): ...
    sess.masks                      # (T,H,W) uint8
    sess.export("out/", format="davis")

Propagation rule: from `from_frame` it runs forward and then backward, and stops in each direction
before the next frame a user annotated, so a new interaction never overwrites frames that earlier
interactions fixed. It also stops where the frames hold masks propagated from another annotated
frame that is nearer to them than `from_frame`: a frame keeps the masks of its nearest
annotation, since a propagated mask degrades with distance (and a correction drawn where an
object was nearly gone should not overwrite the good masks next to an earlier annotation).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import numpy as np

from trackprop.click_honour import honour_clicks
from trackprop.config import DEFAULT_PROPAGATOR, DEFAULT_TRACKER, RoiConfig, TrackerConfig
from trackprop.data.video import FrameSource, open_frames, prefetched, with_next
from trackprop.errors import MAX_OBJECT_ID, TrackpropError
from trackprop.export import export
from trackprop.guidance import frame_items, rasterize
from trackprop.interaction import Interactor, shipped_interactor
from trackprop.masks import MaskStore
from trackprop.models.runtime import Network, open_network, providers, shipped
from trackprop.progressive_merge import after_click
from trackprop.prompts import Click, box_areas, box_strokes, parse_clicks, strokes_of_clicks
from trackprop.propagators import Propagator, propagator_class
from trackprop.propagators.base import References
from trackprop.trackers import make_tracker

MEMORY_FRAMES = 4  # annotated frames a memory propagator reads: constant cost per pass
FINISHED = "finished"  # what Keyframes.load says of a pass that ran to its end


def copied_clicks(clicks: dict[int, dict[int, list[Click]]]) -> dict[int, dict[int, list[Click]]]:
    """A copy of a session's clicks that later clicks do not change (for undo)."""
    return {t: {k: list(v) for k, v in given.items()} for t, given in clicks.items()}


class Keyframes(Protocol):
    """Where a resumable propagation keeps each pass's state ("forward", "backward")."""

    every: int  # frames between keyframes

    def load(self, direction: str) -> tuple[int, dict[str, np.ndarray]] | str | None:
        """(frame, state) of the pass's last keyframe, FINISHED, or None to start afresh."""

    def save(self, direction: str, frame: int, state: dict[str, np.ndarray]) -> None: ...

    def finish(self, direction: str) -> None: ...


class Session:
    def __init__(
        self,
        frames: str | Path | np.ndarray | FrameSource,
        tracker: str = DEFAULT_TRACKER,
        roi: RoiConfig = RoiConfig(),
        network: Network | None = None,
        interactor: Interactor | None = None,
        threads: int = 2,
        propagator: str | Propagator = DEFAULT_PROPAGATOR,
        device: str = "cpu",
        int8: bool = False,
    ):
        make_tracker(tracker)  # fail now on unknown names, not mid-propagation
        providers(device)  # and on a device this machine does not have
        self.device = device  # of the networks (ONNX Runtime's provider); trackers use the CPU
        if int8 and (network is not None or not isinstance(propagator, str)):
            # int8 is a build of the shipped network; a given network or propagator runs as built
            given = network.path if network is not None else type(propagator).__name__
            raise TrackpropError(
                f"{given}: int8 runs the shipped propagation network's int8 build;"
                " a given network runs as it was built."
            )
        if isinstance(propagator, str):
            build = propagator_class(propagator)
            network = network or open_network(
                shipped(build.network_name, device, int8), threads, device, int8
            )
            propagator = build(network, roi, TrackerConfig(name=tracker))
        self.propagator = propagator
        self.frames = open_frames(frames)
        self.tracker = tracker
        self.store = MaskStore(self.frames.num_frames, self.frames.height, self.frames.width)
        self.annotated: set[int] = set()
        self.source: dict[int, int] = {}  # frame -> the annotated frame its masks came from
        self.object_ids: list[int] = []
        # frame -> object -> the clicks it was given there, in order: a new click is segmented
        # with the earlier ones of its frame and object, as the click robot's NoC counts them
        self.clicks: dict[int, dict[int, list[Click]]] = {}
        self._interactor = interactor
        self.threads = threads  # of each network's ONNX Runtime session

    @property
    def num_frames(self) -> int:
        return self.frames.num_frames

    def _check_labels(self, frame: int, mask: np.ndarray) -> np.ndarray:
        self.frames.check_index(frame)
        mask = np.asarray(mask)
        expected = (self.frames.height, self.frames.width)
        if mask.shape != expected:
            raise TrackpropError(
                f"the mask for frame {frame} is {mask.shape[-1] if mask.ndim else 0}x{mask.shape[0] if mask.ndim else 0}"
                f" (shape {mask.shape}), the video is {expected[1]}x{expected[0]}."
            )
        if not np.issubdtype(mask.dtype, np.integer) and mask.dtype != bool:
            raise TrackpropError(
                f"the mask for frame {frame} must hold integer object ids, not {mask.dtype}."
            )
        if mask.min() < 0 or mask.max() > MAX_OBJECT_ID:
            raise TrackpropError(
                f"the mask for frame {frame} has object id {int(mask.max() if mask.max() > 0 else mask.min())}"
                f" outside 1..{MAX_OBJECT_ID} (label maps are 8-bit)."
            )
        if not mask.any():
            raise TrackpropError(f"the mask for frame {frame} is empty: it marks no object.")
        return mask.astype(np.uint8)

    def add_mask(self, frame: int, mask: np.ndarray) -> None:
        """Set frame's label map (0 background, 1..K objects) as user-annotated."""
        labels = self._check_labels(frame, mask)
        self.store[frame] = labels
        self.clicks.pop(frame, None)
        self._annotate(frame)
        for object_id in np.unique(labels):
            if object_id and int(object_id) not in self.object_ids:
                self.object_ids.append(int(object_id))
        self.object_ids.sort()

    def _annotate(self, frame: int) -> None:
        self.annotated.add(frame)
        self.source[frame] = frame

    def _held_by_nearer(self, t: int, start: int) -> bool:
        """Does frame t hold masks propagated from an annotated frame nearer to it than `start`?"""
        source = self.source.get(t)
        return (
            source is not None
            and source != start
            and source in self.annotated
            and abs(t - source) < abs(t - start)
        )

    @property
    def interactor(self) -> Interactor:
        """The scribble networks, loaded on first use (propagation-only users never pay for them)."""
        if self._interactor is None:
            self._interactor = shipped_interactor(self.threads, self.device)
        return self._interactor

    def interact(
        self,
        frame: int,
        scribbles: dict | None = None,
        *,
        clicks: dict | None = None,
        boxes: dict | None = None,
        masks: np.ndarray | None = None,
    ) -> np.ndarray:
        """Apply the prompts given for `frame`; returns that frame's new (H,W) label map.

        Prompts (any of them, each carrying only what is new): `scribbles` the DAVIS dict,
        `clicks` {object_id: [(x, y, positive), ...]} and `boxes` {object_id: (x0, y0, x1, y1)}
        in pixels (prompts.py turns them into strokes), `masks` an (H,W) label map whose
        objects replace theirs on this frame. Every object with a positive stroke there, and
        every object whose current mask a negative stroke (background or another object's)
        crosses, is segmented again: first round (no mask yet on this frame) with the
        4-channel network, later rounds with the 5-channel one. A new object id adds that
        object. The frame becomes user-annotated, so propagation from elsewhere stops before it.
        """
        self.frames.check_index(frame)
        if scribbles is None and clicks is None and boxes is None and masks is None:
            raise TrackpropError(
                f"no prompt for frame {frame}: give scribbles, clicks, boxes or masks."
            )
        if scribbles is not None or boxes is not None or masks is not None:
            self.clicks.pop(frame, None)  # they redraw the objects: earlier clicks no longer hold
        if masks is not None:
            self._paste_masks(frame, masks)
        size = (self.frames.height, self.frames.width)
        strokes: dict[int, np.ndarray] = {}
        if scribbles is not None:
            items = frame_items(scribbles, frame)
            if not items and clicks is None and boxes is None and masks is None:
                raise TrackpropError(f"no scribbles on frame {frame}: nothing to do.")
            strokes = rasterize(items, size, frame)
        new_clicks = parse_clicks(clicks, size, frame) if clicks is not None else {}
        guidance = dict(strokes)
        if boxes is not None:
            for object_id, stroke in box_strokes(boxes, size, frame).items():
                strokes[object_id] = strokes.get(object_id, False) | stroke
                guidance[object_id] = strokes[object_id]
        earlier = self.clicks.get(frame, {})
        for object_id, stroke in strokes_of_clicks(new_clicks, size).items():
            strokes[object_id] = strokes.get(object_id, False) | stroke
        every_click = {k: earlier.get(k, []) + points for k, points in new_clicks.items()}
        for object_id, stroke in strokes_of_clicks(every_click, size).items():
            guidance[object_id] = guidance.get(object_id, False) | stroke
        only_clicks = scribbles is None and boxes is None and masks is None
        bounds = {} if boxes is None else box_areas(boxes, size, frame)
        labels = self._segment(
            frame, strokes, guidance, progressive=only_clicks, bounds=bounds, clicks=new_clicks
        )
        for object_id, points in new_clicks.items():
            self.clicks.setdefault(frame, {}).setdefault(object_id, []).extend(points)
        return labels

    def _paste_masks(self, frame: int, masks: np.ndarray) -> None:
        """The map's objects replace theirs on `frame` (other objects keep the rest)."""
        given = self._check_labels(frame, masks)
        labels = self.store[frame]
        ids = [int(k) for k in np.unique(given) if k]
        labels[np.isin(labels, ids)] = 0
        labels[given > 0] = given[given > 0]
        self.store[frame] = labels
        self._annotate(frame)
        self.object_ids = sorted(set(self.object_ids) | set(ids))

    def _segment(
        self,
        frame: int,
        strokes: dict[int, np.ndarray],
        guidance: dict[int, np.ndarray],
        progressive: bool = False,
        bounds: dict[int, np.ndarray] | None = None,
        clicks: dict[int, list[Click]] | None = None,
    ) -> np.ndarray:
        """Segment the objects the new `strokes` touch; the networks read `guidance` (the new
        strokes and the earlier clicks of the clicked objects). `progressive`: when every one of
        them already has a mask here, keep only the changes connected to a new stroke
        (progressive_merge.py). `bounds` {object_id: (H,W) bool}: where an object may be (its
        box); the rest is dropped. `clicks`, the new ones, are then honoured (click_honour.py)."""
        before = self.store[frame]
        touched = sorted(k for k in strokes if k > 0)
        for object_id, stroke in strokes.items():
            hit = np.unique(before[stroke])
            touched += [int(k) for k in hit if k > 0 and k != object_id and k not in touched]
        if not touched:
            return before  # only background strokes, over background: nothing to change
        touched.sort()
        image = self.frames.read(frame)
        labels = self.interactor.segment(image, guidance, touched, before)
        if progressive:
            labels = after_click(before, labels, strokes, touched)
        if clicks:
            labels = honour_clicks(image, labels, clicks)
        for object_id, area in (bounds or {}).items():
            labels[(labels == object_id) & ~area] = 0
        self.store[frame] = labels
        self._annotate(frame)
        self.object_ids = sorted(set(self.object_ids) | set(touched))
        return labels

    def remove_object(self, object_id: int) -> None:
        """Delete an object from every frame (its pixels become background)."""
        self.object_mask(0, object_id)  # raises the usual error for an unknown id
        for t in list(self.store.frames):
            labels = self.store[t]
            if (labels == object_id).any():
                labels[labels == object_id] = 0
                self.store[t] = labels
        for given in self.clicks.values():
            given.pop(object_id, None)
        self.object_ids.remove(object_id)

    def snapshot(self) -> tuple:
        """The session's mask state and clicks, cheap to take (compressed frames are shared)."""
        return (
            dict(self.store.frames),
            set(self.annotated),
            list(self.object_ids),
            copied_clicks(self.clicks),
        )

    def restore(self, state: tuple) -> None:
        frames, annotated, object_ids, clicks = state
        self.store.frames = dict(frames)
        self.annotated = set(annotated)
        self.object_ids = list(object_ids)
        self.clicks = copied_clicks(clicks)
        # Where a restored frame's masks came from is not kept: the next pass may overwrite them.
        self.source = {t: t for t in self.annotated}

    def labels(self, frame: int) -> np.ndarray:
        """(H,W) uint8 label map of one frame."""
        return self.store[self.frames.check_index(frame)]

    def object_mask(self, frame: int, object_id: int) -> np.ndarray:
        """(H,W) bool mask of one object on one frame."""
        if object_id not in self.object_ids:
            known = ", ".join(map(str, self.object_ids)) or "none yet"
            raise TrackpropError(f"object {object_id} does not exist (objects: {known}).")
        return self.labels(frame) == object_id

    @property
    def masks(self) -> np.ndarray:
        """(T,H,W) uint8 label maps of the whole video."""
        return self.store.to_array()

    def _references(self, start: int) -> References:
        """The annotated frames nearest `start` with their label maps, for a propagator's memory."""
        if not self.propagator.uses_references:
            return []
        nearest = sorted(self.annotated, key=lambda t: abs(t - start))[:MEMORY_FRAMES]
        return [(self.frames.read(t), self.store[t]) for t in sorted(nearest)]

    def _run(
        self, start: int, stop: int, keyframes: Keyframes | None
    ) -> Iterator[tuple[int, np.ndarray]]:
        """Propagate from frame `start` towards `stop` (exclusive), stopping before annotated frames
        and before frames that hold a nearer annotated frame's propagation (module docstring).

        With `keyframes`, the pass's state is saved every `keyframes.every` frames (after the
        caller has taken that frame) and the trackers restart from it, and a saved pass resumes
        from its last keyframe: a resumed run equals an uninterrupted one.
        """
        step = 1 if stop > start else -1
        direction = "forward" if step > 0 else "backward"
        saved = keyframes.load(direction) if keyframes else None
        if saved == FINISHED:
            return
        references = self._references(start)
        if saved is None:
            first = start
            tracks = self.propagator.start(
                self.frames.read(start), self.store[start], self.object_ids, references
            )
        else:
            first, state = saved
            tracks = self.propagator.resume(self.frames.read(first), state, references)
        frames = with_next(prefetched(self.frames.iter_range(first + step, stop)))
        for (t, frame), following in frames:
            if t in self.annotated or self._held_by_nearer(t, start):
                break
            upcoming = None if following is None else following[1]
            labels = self.propagator.step(frame, tracks, upcoming)
            self.store[t] = labels
            self.source[t] = start
            yield t, labels
            if keyframes and (t - start) % keyframes.every == 0:
                state = self.propagator.snapshot(tracks)
                keyframes.save(direction, t, state)
                tracks = self.propagator.resume(frame, state, references)
        if keyframes:
            keyframes.finish(direction)

    def propagate(
        self, from_frame: int | None = None, keyframes: Keyframes | None = None
    ) -> Iterator[tuple[int, np.ndarray]]:
        """(t, labels) for every propagated frame: forward from `from_frame`, then backward.

        from_frame defaults to the most recently annotated frame; `keyframes` makes the run
        resumable (see `_run`).
        """
        if not self.annotated:
            raise TrackpropError("nothing to propagate: add a mask or scribbles on a frame first.")
        start = max(self.annotated) if from_frame is None else self.frames.check_index(from_frame)
        if start not in self.store:
            raise TrackpropError(f"frame {start} has no mask to propagate from; annotate it first.")
        yield from self._run(start, self.num_frames, keyframes)
        yield from self._run(start, -1, keyframes)

    def export(self, out: str | Path, format: str = "davis", feather: int = 0) -> Path:
        """Write the masks as `format`: davis, png, coco-rle, mp4 or alpha (RGBA cut-outs, their
        edge softened by `feather` px). Returns the written path."""
        return export(out, format, self.frames, self.store.__getitem__, self.object_ids, feather)
