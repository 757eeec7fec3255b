"""Property tests (hypothesis): the merge, RLE and PNG round trips, ROI crop/paste, guidance."""

import io
import zlib

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from trackprop import rle
from trackprop.data.davis import read_label_png, write_label_png
from trackprop.guidance import guidance_map, rasterize
from trackprop.merge import merged_probabilities, to_label_map
from trackprop.roi import crop_roi, paste_roi

PROPERTY = settings(max_examples=60, deadline=None)
finite_scores = st.floats(-60, 60, allow_nan=False, width=32)


@st.composite
def scores_and_ids(draw):
    """(N,H,W) scores d_i with −inf (outside an ROI) allowed, and N distinct ids in 1..255."""
    n = draw(st.integers(1, 4))
    height, width = draw(st.integers(1, 12)), draw(st.integers(1, 12))
    scores = draw(arrays(np.float32, (n, height, width), elements=finite_scores | st.just(-np.inf)))
    ids = draw(st.lists(st.integers(1, 255), min_size=n, max_size=n, unique=True))
    return scores, ids


@PROPERTY
@given(scores_and_ids())
def test_merge_is_exclusive_finite_and_the_argmax_of_eq_2(case):
    scores, ids = case
    labels = to_label_map(scores, ids)
    assert labels.shape == scores.shape[1:] and set(np.unique(labels)) <= {0, *ids}
    probabilities = merged_probabilities(scores)
    assert np.isfinite(probabilities).all()
    assert np.allclose(probabilities.sum(0), 1, atol=1e-5)
    best = probabilities.argmax(0)  # eq. 3 over p̂; a tie with the background goes to it
    top = np.take_along_axis(probabilities, best[None], 0)[0]
    clear = top > probabilities[0] * (1 + 1e-4)  # away from ties, where float order decides
    expected = np.where(best > 0, np.asarray([0, *ids])[best], 0)
    assert np.array_equal(labels[clear], expected[clear])
    assert (labels[scores.max(0) <= 0] == 0).all()  # p̂_i > p̂_0 iff d_i > 0: ties to background


@PROPERTY
@given(arrays(np.bool_, st.tuples(st.integers(0, 30), st.integers(0, 30))))
def test_rle_round_trip(mask):
    encoded = rle.encode(mask)
    assert encoded["size"] == list(mask.shape)
    assert np.array_equal(rle.decode(encoded), mask)


@PROPERTY
@given(labels=arrays(np.uint8, st.tuples(st.integers(1, 30), st.integers(1, 30))))
def test_label_png_round_trip(tmp_path_factory, labels):
    path = tmp_path_factory.mktemp("png") / "labels.png"
    write_label_png(path, labels)
    assert np.array_equal(read_label_png(path), labels)
    assert not list(path.parent.glob(".*"))  # no temporary file left
    buffer = io.BytesIO()
    Image.fromarray(labels).save(buffer, format="PNG")  # a grey PNG of ids reads the same
    buffer.seek(0)
    grey = path.with_name("grey.png")
    grey.write_bytes(buffer.getvalue())
    assert np.array_equal(read_label_png(grey), labels)


@PROPERTY
@given(
    st.integers(8, 40),  # ROI side in frame pixels, equal to the crop size
    st.integers(-10, 30),
    st.integers(-10, 30),
    st.integers(0, 2**16),
)
def test_an_integer_roi_crops_and_pastes_back_exactly(side, x0, y0, seed):
    frame = np.random.default_rng(seed).random((32, 36), dtype=np.float32)
    roi = np.array([x0, y0, x0 + side, y0 + side], float)
    crop = crop_roi(frame, roi, side, nearest=True)
    inside = frame[max(y0, 0) : max(y0 + side, 0), max(x0, 0) : max(x0 + side, 0)]
    assert np.array_equal(
        crop[
            max(-y0, 0) : max(-y0, 0) + inside.shape[0], max(-x0, 0) : max(-x0, 0) + inside.shape[1]
        ],
        inside,
    )
    region, (rows, cols) = paste_roi(crop, roi, frame.shape, fill=-1.0)
    assert np.allclose(region, frame[rows, cols], atol=1e-5)


@PROPERTY
@given(
    arrays(np.bool_, (24, 24)),
    arrays(np.bool_, (24, 24)),
    st.floats(0.5, 30),
)
def test_guidance_is_bounded_and_signed(positive, negative, spread):
    negative &= ~positive
    guidance = guidance_map(positive, negative, spread)
    assert guidance.dtype == np.float32 and np.isfinite(guidance).all()
    assert guidance.min() >= -1 and guidance.max() <= 1
    if positive.any() and not negative.any():
        assert np.allclose(guidance[positive], 1)
    if negative.any() and not positive.any():
        assert np.allclose(guidance[negative], -1)


@PROPERTY
@given(
    st.lists(
        st.tuples(st.floats(allow_nan=True, allow_infinity=True), st.floats(allow_nan=True)),
        min_size=1,
        max_size=6,
    ),
    st.integers(0, 3),
)
def test_strokes_stay_on_the_frame_whatever_the_points(points, object_id):
    items = [{"object_id": object_id, "path": [list(p) for p in points]}]
    on_frame = [p for p in points if all(0 <= v <= 1 for v in p)]
    if not on_frame:
        return  # an error (tested in the bad-input suite), never a stroke off the frame
    strokes = rasterize(items, (20, 30))
    assert set(strokes) == {object_id}
    assert strokes[object_id].shape == (20, 30) and strokes[object_id].any()


@st.composite
def sparse_label_maps(draw):
    """(H,W) uint8 label maps, mostly background (as propagated frames are), some empty."""
    height, width = draw(st.integers(1, 24)), draw(st.integers(1, 24))
    labels = np.zeros((height, width), np.uint8)
    for _ in range(draw(st.integers(0, 3))):
        y0, x0 = draw(st.integers(0, height - 1)), draw(st.integers(0, width - 1))
        y1, x1 = draw(st.integers(y0 + 1, height)), draw(st.integers(x0 + 1, width))
        labels[y0:y1, x0:x1] = draw(st.integers(1, 255))
    return labels


@PROPERTY
@given(sparse_label_maps())
def test_the_mask_store_gives_back_what_it_was_given(labels):
    from trackprop.masks import MaskStore

    store = MaskStore(3, *labels.shape)
    store[1] = labels
    store[2] = labels.astype(bool)  # an object's mask stored as a label map
    assert np.array_equal(store[1], labels) and store[1].dtype == np.uint8
    assert np.array_equal(store[2], labels > 0)
    assert not store[0].any() and 0 not in store
    assert np.array_equal(store.to_array(), np.stack([store[0], labels, labels > 0]))
    store.frames[0] = zlib.compress(labels.tobytes())  # the whole map: GUI histories before bands
    assert np.array_equal(store[0], labels)


@PROPERTY
@given(sparse_label_maps())
def test_mask_box_is_the_tight_box_of_the_pixels(labels):
    from trackprop.boxes import mask_box

    ys, xs = np.nonzero(labels)
    box = mask_box(labels)
    if len(xs) == 0:
        assert box is None
    else:
        assert box.tolist() == [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
