"""Streaming frame sources (video file, folder of images, in-memory array) and an mp4 writer.

A source never holds the whole video: it decodes on demand and keeps at most a small block of
recent frames, so a 10,000-frame video costs the same memory as a 10-frame one.
"""

from __future__ import annotations

import queue
import threading
from collections import OrderedDict
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
from PIL import Image

from trackprop.atomic import commit, temporary_name
from trackprop.errors import TrackpropError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
DEFAULT_FPS = 24.0


class FrameSource:
    """Frames of one video as (H,W,3) uint8 RGB arrays, addressed 0..num_frames-1."""

    num_frames: int
    height: int
    width: int
    fps: float
    name: str

    def read(self, t: int) -> np.ndarray:
        raise NotImplementedError

    def check_index(self, t: int) -> int:
        if not isinstance(t, int | np.integer) or isinstance(t, bool):
            raise TrackpropError(f"{self.name}: frame index {t!r} is not an integer.")
        if not 0 <= t < self.num_frames:
            raise TrackpropError(
                f"{self.name}: frame {t} is out of range (the video has {self.num_frames} frames)."
            )
        return int(t)

    def iter_range(self, start: int, stop: int) -> Iterator[tuple[int, np.ndarray]]:
        """(t, frame) for t from start towards stop (exclusive), forwards or backwards."""
        step = 1 if stop >= start else -1
        for t in range(start, stop, step):
            yield t, self.read(t)

    def __iter__(self) -> Iterator[np.ndarray]:
        for _, frame in self.iter_range(0, self.num_frames):
            yield frame

    def __len__(self) -> int:
        return self.num_frames


class ArrayFrames(FrameSource):
    """An in-memory (T,H,W,3) uint8 array."""

    def __init__(self, frames: np.ndarray, fps: float = DEFAULT_FPS, name: str = "array"):
        frames = np.asarray(frames)
        if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
            raise TrackpropError(
                f"{name}: frames must be a (T,H,W,3) uint8 RGB array, got {frames.dtype} "
                f"of shape {frames.shape}."
            )
        if frames.shape[0] == 0:
            raise TrackpropError(f"{name}: the frame array is empty.")
        self.frames = frames
        self.num_frames, self.height, self.width = frames.shape[:3]
        self.fps = fps
        self.name = name

    def read(self, t: int) -> np.ndarray:
        return self.frames[self.check_index(t)]


class FolderFrames(FrameSource):
    """A folder of image files, in name order (a DAVIS JPEGImages sequence, say)."""

    def __init__(self, folder: str | Path, fps: float = DEFAULT_FPS):
        self.folder = Path(folder)
        self.name = str(self.folder)
        paths = sorted(p for p in self.folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not paths:
            raise TrackpropError(f"{self.folder}: the folder holds no image frames.")
        self.paths = paths
        self.num_frames = len(paths)
        self.fps = fps
        self.height, self.width = self._load(0).shape[:2]
        self._check_sizes()

    def _check_sizes(self) -> None:
        """Every frame's header read now (about 0.1 ms each), so a frame of another size or an
        unreadable file is an error before any work, not in the middle of a propagation."""
        for t, path in enumerate(self.paths):
            try:
                with Image.open(path) as image:
                    width, height = image.size
            except Exception as exc:
                raise TrackpropError(
                    f"{path}: frame {t} is not a readable image ({exc})."
                ) from None
            if (height, width) != (self.height, self.width):
                raise TrackpropError(
                    f"{path}: frame {t} is {width}x{height}, "
                    f"the first frame is {self.width}x{self.height}."
                )

    def _load(self, t: int) -> np.ndarray:
        path = self.paths[self.check_index(t)]
        try:
            return np.asarray(Image.open(path).convert("RGB"))
        except Exception as exc:
            raise TrackpropError(f"{path}: frame {t} is not a readable image ({exc}).") from None

    def read(self, t: int) -> np.ndarray:
        frame = self._load(t)
        path = self.paths[t]
        if frame.shape[:2] != (self.height, self.width):
            raise TrackpropError(
                f"{path}: frame {t} is {frame.shape[1]}x{frame.shape[0]}, "
                f"the first frame is {self.width}x{self.height}."
            )
        return frame


class VideoFileFrames(FrameSource):
    """Any FFmpeg-readable video file, decoded with PyAV on demand.

    Forward reads decode sequentially. A read behind the decoder (backward propagation) seeks to
    a block of `block` frames ending at t and caches that block, so going backwards costs one seek
    per block and memory stays bounded by `block` frames.
    """

    def __init__(self, path: str | Path, block: int = 32):
        self.path = Path(path)
        self.name = str(self.path)
        if not self.path.is_file():
            raise TrackpropError(f"{self.path}: video file not found.")
        if self.path.stat().st_size == 0:
            raise TrackpropError(f"{self.path}: the video file is empty.")
        self.block = block
        self.cache: OrderedDict[int, np.ndarray] = OrderedDict()
        self.decoder: Iterator[tuple[int, np.ndarray]] | None = None
        self.next_index = 0
        try:
            self.container = av.open(str(self.path))
            if not self.container.streams.video:
                raise TrackpropError(f"{self.path}: the file has no video stream.")
            self.stream = self.container.streams.video[0]
            self.stream.thread_type = "AUTO"
            rate = self.stream.average_rate or self.stream.guessed_rate
            self.fps = float(rate) if rate else DEFAULT_FPS
            self.num_frames = self.stream.frames or self._count_packets()
            self.width = self.stream.codec_context.width
            self.height = self.stream.codec_context.height
        except av.error.FFmpegError as exc:
            raise TrackpropError(f"{self.path}: not a readable video ({exc}).") from None
        if self.num_frames == 0:
            raise TrackpropError(f"{self.path}: the video has no frames.")

    def _count_packets(self) -> int:
        """Frame count by demuxing (no decoding) where the container does not store it."""
        count = sum(1 for packet in self.container.demux(self.stream) if packet.size)
        self.container.seek(0)
        return count

    def _decode_from(self, t: int) -> Iterator[tuple[int, np.ndarray]]:
        """(index, frame) from frame t on; seeks to the keyframe at or before t."""
        base = self.stream.start_time or 0
        time_base = self.stream.time_base
        self.container.seek(base + int(t / self.fps / time_base), stream=self.stream, backward=True)
        for frame in self.container.decode(self.stream):
            index = round(float((frame.pts - base) * time_base) * self.fps)
            if index >= t:
                yield index, frame.to_ndarray(format="rgb24")

    def _next_decoded(self, t: int) -> tuple[int, np.ndarray]:
        try:
            return next(self.decoder)
        except StopIteration:
            raise TrackpropError(
                f"{self.path}: frame {t} could not be decoded (the file ends early)."
            ) from None
        except av.error.FFmpegError as exc:
            raise TrackpropError(f"{self.path}: frame {t} could not be decoded ({exc}).") from None

    def _remember(self, index: int, frame: np.ndarray) -> None:
        self.cache[index] = frame
        while len(self.cache) > self.block:
            self.cache.popitem(last=False)

    def read(self, t: int) -> np.ndarray:
        t = self.check_index(t)
        if t in self.cache:
            return self.cache[t]
        if self.decoder is None or not self.next_index <= t < self.next_index + self.block:
            start = (
                t if self.decoder is None or t >= self.next_index else max(0, t - self.block + 1)
            )
            self.decoder = self._decode_from(start)
            self.next_index = start
        while True:
            index, frame = self._next_decoded(t)
            self.next_index = index + 1
            self._remember(index, frame)
            if index >= t:
                return self.cache.get(t, frame)

    def close(self) -> None:
        self.container.close()


def with_next(items: Iterator) -> Iterator[tuple[Any, Any]]:
    """(item, the item after it or None at the end): a loop that can look one step ahead.

    An error while reading the next item comes after the current item, paired with None, so the
    work on every item before a broken one is done as without the look-ahead.
    """
    items = iter(items)
    try:
        current = next(items, _END)
        while current is not _END:
            try:
                following = next(items, _END)
            except Exception:
                yield current, None
                raise
            yield current, None if following is _END else following
            current = following
    finally:  # a consumer that stops early stops a generator such as `prefetched` now
        if hasattr(items, "close"):
            items.close()


_END = object()


def prefetched(items: Iterator, depth: int = 4) -> Iterator:
    """`items` produced by a background thread up to `depth` ahead, so decoding the next frames
    overlaps the work on this one (PyAV and PIL release the GIL while they decode). An error of
    the producer is raised here, in order; closing the consumer early stops the thread."""
    ready: queue.Queue = queue.Queue(depth)
    stop = threading.Event()
    done = object()

    def offer(entry: tuple) -> bool:
        """Queue `entry` unless the consumer has gone; False once it has."""
        while not stop.is_set():
            try:
                ready.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not offer((item, None)):
                    return
            offer((done, None))
        except BaseException as error:  # handed to the consumer, who raises it
            offer((done, error))

    thread = threading.Thread(target=produce, daemon=True, name="prefetch")
    thread.start()
    try:
        while True:
            item, error = ready.get()
            if error is not None:
                raise error
            if item is done:
                return
            yield item
    finally:
        stop.set()
        thread.join()


def open_frames(source: str | Path | np.ndarray | FrameSource) -> FrameSource:
    """A FrameSource over a video file, a folder of frames or a (T,H,W,3) uint8 array."""
    if isinstance(source, FrameSource):
        return source
    if isinstance(source, np.ndarray):
        return ArrayFrames(source)
    if not isinstance(source, str | Path):
        raise TrackpropError(
            "a video is a file, a folder of frames or a (T,H,W,3) uint8 array, "
            f"not {type(source).__name__}."
        )
    path = Path(source)
    if path.is_dir():
        return FolderFrames(path)
    return VideoFileFrames(path)


class VideoWriter:
    """H.264 mp4 writer (PyAV's bundled libx264). Odd sizes are padded by one edge pixel.

    The file is written under a temporary name and takes its own name only when `close` finished
    it: a crash or Ctrl-C never leaves a truncated video that looks complete.
    """

    def __init__(self, path: str | Path, fps: float = DEFAULT_FPS, crf: int = 20):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.partial = temporary_name(self.path)
        self.fps = Fraction(fps).limit_denominator(1001)
        self.crf = crf
        self.container = av.open(str(self.partial), mode="w")
        self.stream = None

    def write(self, frame: np.ndarray) -> None:
        """frame: (H,W,3) uint8 RGB; every frame must have the size of the first."""
        pad_h, pad_w = frame.shape[0] % 2, frame.shape[1] % 2
        if pad_h or pad_w:
            frame = np.pad(frame, ((0, pad_h), (0, pad_w), (0, 0)), mode="edge")
        if self.stream is None:
            self.stream = self.container.add_stream("libx264", rate=self.fps)
            self.stream.width, self.stream.height = frame.shape[1], frame.shape[0]
            self.stream.pix_fmt = "yuv420p"
            self.stream.options = {"crf": str(self.crf), "preset": "veryfast"}
        video_frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
        for packet in self.stream.encode(video_frame):
            self.container.mux(packet)

    def close(self) -> None:
        """Finish the video and give it its name."""
        if self.stream is None:
            self.abort()
            raise TrackpropError(f"{self.path}: no frames were given, so no video was written.")
        for packet in self.stream.encode():
            self.container.mux(packet)
        self.container.close()
        commit(self.partial, self.path)

    def abort(self) -> None:
        """Drop the unfinished video."""
        self.container.close()
        self.partial.unlink(missing_ok=True)

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, exc_type, *exc_info) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
