import numpy as np
import pytest
from PIL import Image

from trackprop.data.davis import (
    DavisRoot,
    davis_palette,
    read_label_png,
    read_scribbles,
    write_label_png,
)
from trackprop.errors import TrackpropError


def test_palette_matches_davis_colours():
    palette = davis_palette()
    assert palette[0].tolist() == [0, 0, 0]
    assert palette[1].tolist() == [128, 0, 0]
    assert palette[2].tolist() == [0, 128, 0]
    assert palette[3].tolist() == [128, 128, 0]
    assert palette[4].tolist() == [0, 0, 128]
    assert len({tuple(c) for c in palette}) == 256


def test_annotation_round_trip_keeps_ids_palette_and_size(tmp_path, rng):
    root = DavisRoot(tmp_path)
    labels = rng.integers(0, 5, (37, 53)).astype(np.uint8)
    frame = rng.integers(0, 255, (37, 53, 3)).astype(np.uint8)
    root.write_annotation("seq", 3, labels)
    root.write_frame("seq", 3, frame, quality=100)
    path = tmp_path / "Annotations/480p/seq/00003.png"
    image = Image.open(path)
    assert image.mode == "P"
    assert np.array_equal(np.array(image.getpalette()[:15]).reshape(5, 3), davis_palette()[:5])
    assert np.array_equal(root.read_annotation("seq", 3), labels)
    assert root.read_frame("seq", 3).shape == (37, 53, 3)
    assert (tmp_path / "JPEGImages/480p/seq/00003.jpg").is_file()


def test_rgb_annotation_in_davis_colours_maps_back_to_ids(tmp_path):
    labels = np.array([[0, 1], [2, 3]], np.uint8)
    Image.fromarray(davis_palette()[labels]).save(tmp_path / "rgb.png")
    assert np.array_equal(read_label_png(tmp_path / "rgb.png"), labels)


def test_rgb_annotation_with_foreign_colour_is_refused(tmp_path):
    Image.fromarray(np.full((2, 2, 3), 7, np.uint8)).save(tmp_path / "odd.png")
    with pytest.raises(TrackpropError, match="odd.png.*not a DAVIS palette colour"):
        read_label_png(tmp_path / "odd.png")


def test_split_file_merges_names_and_object_ids(tmp_path):
    root = DavisRoot(tmp_path)
    root.write_split("val", ["a", "b"])
    root.write_split("val", ["b", "c"])
    assert root.sequences("val") == ["a", "b", "c"]
    root.write_annotation("a", 0, np.array([[0, 2], [5, 0]]))
    assert root.object_ids("a") == [2, 5]


def test_scribbles_round_trip_and_errors(tmp_path):
    root = DavisRoot(tmp_path)
    scribbles = {"sequence": "a", "scribbles": [[], [{"path": [[0.1, 0.2]], "object_id": 1}]]}
    root.write_scribbles("a", scribbles)
    assert root.read_scribbles("a") == scribbles
    assert (tmp_path / "Scribbles/a/001.json").is_file()
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(TrackpropError, match="bad.json: not valid JSON"):
        read_scribbles(tmp_path / "bad.json")
    (tmp_path / "noscribbles.json").write_text('{"sequence": "a"}')
    with pytest.raises(TrackpropError, match="needs a 'scribbles' list"):
        read_scribbles(tmp_path / "noscribbles.json")


def test_missing_things_name_themselves(tmp_path):
    root = DavisRoot(tmp_path)
    with pytest.raises(TrackpropError, match="split 'val' not found"):
        root.sequences("val")
    with pytest.raises(TrackpropError, match="sequence 'ghost' has no frames"):
        root.frame_paths("ghost")
    with pytest.raises(TrackpropError, match="annotation file not found"):
        read_label_png(tmp_path / "nope.png")
    with pytest.raises(TrackpropError, match="must be 2-D"):
        write_label_png(tmp_path / "x.png", np.zeros((2, 2, 3)))
