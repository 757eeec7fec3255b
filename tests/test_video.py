import tracemalloc

import numpy as np
import pytest
from PIL import Image

from trackprop.data.video import ArrayFrames, VideoWriter, open_frames
from trackprop.errors import TrackpropError


def make_video(path, frames, size=(64, 96)):
    """A clip whose frame t has grey level 3*t (mod 256) and a bright bar at column t."""
    with VideoWriter(path, fps=25) as writer:
        for t in range(frames):
            frame = np.full((*size, 3), (3 * t) % 256, np.uint8)
            frame[:8, t % size[1]] = 255
            writer.write(frame)
    return path


def test_mp4_round_trip_frame_count_size_and_content(tmp_path):
    source = open_frames(make_video(tmp_path / "clip.mp4", 40))
    assert (source.num_frames, source.height, source.width) == (40, 64, 96)
    assert source.fps == pytest.approx(25)
    levels = [int(frame[40, 50, 0]) for frame in source]
    assert np.allclose(levels, [3 * t for t in range(40)], atol=4)


def test_backward_and_random_reads_match_forward_reads(tmp_path):
    source = open_frames(make_video(tmp_path / "clip.mp4", 70))
    forward = [int(source.read(t)[40, 50, 0]) for t in range(70)]
    backward = [int(frame[40, 50, 0]) for _, frame in source.iter_range(69, -1)]
    assert backward[::-1] == forward
    for t in (65, 3, 40, 0, 69):
        assert int(source.read(t)[40, 50, 0]) == forward[t]


def test_odd_sized_frames_are_padded_not_refused(tmp_path):
    with VideoWriter(tmp_path / "odd.mp4") as writer:
        for _ in range(3):
            writer.write(np.zeros((31, 45, 3), np.uint8))
    assert (open_frames(tmp_path / "odd.mp4").height, open_frames(tmp_path / "odd.mp4").width) == (
        32,
        46,
    )


def peak_bytes_while_reading(path):
    tracemalloc.start()
    for _frame in open_frames(path):
        pass
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_reader_streams_memory_does_not_grow_with_length(tmp_path):
    short = make_video(tmp_path / "short.mp4", 30, size=(120, 160))
    long = make_video(tmp_path / "long.mp4", 300, size=(120, 160))
    frame_bytes = 120 * 160 * 3
    short_peak, long_peak = peak_bytes_while_reading(short), peak_bytes_while_reading(long)
    # Holding the long video would cost 270 more frames; allow a few frames of slack.
    assert long_peak < short_peak + 8 * frame_bytes


def test_folder_and_array_sources(tmp_path, rng):
    frames = rng.integers(0, 255, (4, 10, 12, 3)).astype(np.uint8)
    for t, frame in enumerate(frames):
        Image.fromarray(frame).save(tmp_path / f"{t:05d}.png")
    folder = open_frames(tmp_path)
    assert folder.num_frames == 4
    assert np.array_equal(folder.read(2), frames[2])
    assert np.array_equal(open_frames(frames).read(3), frames[3])


def test_bad_inputs_give_one_line_errors_naming_the_file(tmp_path):
    with pytest.raises(TrackpropError, match="missing.mp4: video file not found"):
        open_frames(tmp_path / "missing.mp4")
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(TrackpropError, match="empty.mp4: the video file is empty"):
        open_frames(tmp_path / "empty.mp4")
    (tmp_path / "junk.mp4").write_bytes(b"this is not a video" * 100)
    with pytest.raises(TrackpropError, match="junk.mp4: not a readable video"):
        open_frames(tmp_path / "junk.mp4")
    (tmp_path / "frames").mkdir()
    with pytest.raises(TrackpropError, match="holds no image frames"):
        open_frames(tmp_path / "frames")
    with pytest.raises(TrackpropError, match="must be a \\(T,H,W,3\\) uint8"):
        ArrayFrames(np.zeros((3, 4, 4), np.uint8))
    with pytest.raises(
        TrackpropError, match="frame 9 is out of range \\(the video has 2 frames\\)"
    ):
        open_frames(np.zeros((2, 4, 4, 3), np.uint8)).read(9)


def test_truncated_video_reports_the_frame(tmp_path):
    data = make_video(tmp_path / "clip.mp4", 60).read_bytes()
    (tmp_path / "cut.mp4").write_bytes(data[: len(data) // 2])
    with pytest.raises(TrackpropError, match="cut.mp4"):
        source = open_frames(tmp_path / "cut.mp4")
        for _ in source:
            pass


def broken_at_three():
    """Items 0, 1, 2, then the error a source raises on a frame it cannot decode."""
    from trackprop.errors import TrackpropError

    yield from range(3)
    raise TrackpropError("frame 3 is broken")


class Counting:
    """Items 0..999, remembering how many were produced."""

    def __init__(self):
        self.produced = 0

    def __iter__(self):
        for i in range(1000):
            self.produced += 1
            yield i


def test_prefetched_keeps_order_raises_in_place_and_stops_early():
    from trackprop.data.video import prefetched
    from trackprop.errors import TrackpropError

    assert list(prefetched(iter(range(50)), depth=3)) == list(range(50))
    seen = []
    with pytest.raises(TrackpropError, match="frame 3 is broken"):
        for item in prefetched(broken_at_three()):
            seen.append(item)
    assert seen == [0, 1, 2]
    counting = Counting()
    stream = prefetched(iter(counting), depth=2)
    assert [next(stream) for _ in range(3)] == [0, 1, 2]
    stream.close()  # the consumer stops: the producer stops soon after, not at 1000
    assert counting.produced < 10


def test_with_next_pairs_each_item_with_the_following_one_and_closes_early():
    from trackprop.data.video import prefetched, with_next
    from trackprop.errors import TrackpropError

    assert list(with_next(iter([1, 2, 3]))) == [(1, 2), (2, 3), (3, None)]
    assert list(with_next(iter([]))) == []
    seen = []
    with pytest.raises(TrackpropError, match="frame 3 is broken"):
        for pair in with_next(broken_at_three()):
            seen.append(pair)
    assert seen == [(0, 1), (1, 2), (2, None)]  # the item before the broken one still comes
    counting = Counting()
    pairs = with_next(prefetched(iter(counting), depth=2))
    assert next(pairs) == (0, 1)
    pairs.close()  # the consumer stops: so does the producer behind the look-ahead
    assert counting.produced < 10
