import numpy as np
import pytest

from trackprop.errors import TrackpropError
from trackprop.guidance import frame_items, guidance_map, rasterize, split_polarity


def item(path, object_id):
    return {"path": path, "object_id": object_id}


def test_known_scribble_lands_on_the_expected_pixels():
    # A horizontal stroke across the middle of an 11x21 frame: x in [0.25, 0.75] -> columns 5..15.
    strokes = rasterize([item([[0.25, 0.5], [0.75, 0.5]], 1)], (11, 21))
    ys, xs = np.nonzero(strokes[1])
    # OpenCV's thickness-3 line: a band two pixels either side of row 5, with round caps.
    assert set(ys) == {3, 4, 5, 6, 7}
    assert xs.min() == 3 and xs.max() == 17
    assert strokes[1][5, 3:18].all() and strokes[1][3, 5:16].all() and not strokes[1][3, 4]


def test_normalisation_reaches_the_borders():
    strokes = rasterize([item([[0.0, 0.0], [1.0, 1.0]], 2)], (30, 40))
    assert strokes[2][0, 0] and strokes[2][29, 39]


def test_sign_of_the_guidance():
    size = (40, 40)
    strokes = rasterize(
        [
            item([[0.2, 0.2], [0.4, 0.2]], 1),
            item([[0.2, 0.8], [0.4, 0.8]], 2),
            item([[0.8, 0.5]], 0),
        ],
        size,
    )
    positive, negative = split_polarity(strokes, 1, size)
    guidance = guidance_map(positive, negative)
    assert guidance.min() >= -1 and guidance.max() <= 1
    assert guidance[8, 12] == pytest.approx(1, abs=0.05)  # on the object's stroke
    assert guidance[31, 12] == pytest.approx(-1, abs=0.05)  # on another object's stroke
    assert guidance[20, 31] == pytest.approx(-1, abs=0.1)  # on the background stroke
    assert abs(guidance[0, 39]) < 0.02  # far from every stroke
    own, others = split_polarity(strokes, 2, size)
    assert guidance_map(own, others)[31, 12] == pytest.approx(1, abs=0.05)


def test_off_frame_points_are_dropped_and_fully_off_scribbles_refused():
    strokes = rasterize([item([[-0.5, 0.5], [0.5, 0.5], [1.5, 0.5]], 1)], (10, 10))
    assert strokes[1].any()
    with pytest.raises(TrackpropError, match="frame 3, object 1: every point lies off the frame"):
        rasterize([item([[1.2, 0.5], [1.5, 0.5]], 1)], (10, 10), frame=3)


def test_bad_items_name_frame_and_object():
    with pytest.raises(
        TrackpropError, match=r"frame 2: object id -1 is not an integer in 0\.\.255"
    ):
        rasterize([item([[0.5, 0.5]], -1)], (10, 10), frame=2)
    with pytest.raises(TrackpropError, match="object 4: 'path' must be a list"):
        rasterize([{"path": "nope", "object_id": 4}], (10, 10))
    with pytest.raises(TrackpropError, match="'scribbles' list"):
        frame_items({"sequence": "x"}, 0)
    assert frame_items({"scribbles": [[], [item([[0.1, 0.1]], 1)]]}, 5) == []
