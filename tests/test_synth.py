import json

import numpy as np
import pytest

from trackprop.data.builtin import builtin_pool
from trackprop.data.davis import DavisRoot
from trackprop.data.sources import flat_fraction, load_manifest, split_of
from trackprop.data.synth import ImagePool, SynthConfig, cutout, pool_from_manifest, synthesize
from trackprop.data.synth_motion import CameraPath, LayerPath
from trackprop.data.synth_render import Layer, render_layers
from trackprop.errors import TrackpropError

SMALL = SynthConfig(frames=14, height=96, width=160, min_objects=2, max_objects=2)


def square(colour, side=20):
    rgba = np.zeros((side, side, 4), np.uint8)
    rgba[..., :3] = colour
    rgba[..., 3] = 255
    return rgba


def fixed_path(frames, x, depth):
    return LayerPath(
        center=np.tile([x, 30.0], (frames, 1)),
        scale=np.ones(frames),
        angle=np.zeros(frames),
        depth=np.asarray(depth, float),
        elastic=0.0,
        flip=False,
    )


def test_labels_follow_the_depth_order_when_it_changes():
    frames = 2
    still = CameraPath(center=np.tile([40.0, 30.0], (frames, 1)), zoom=np.ones(frames))
    red = Layer(square((255, 0, 0)), fixed_path(frames, 35, [0, 1]), label=1)
    blue = Layer(square((0, 0, 255)), fixed_path(frames, 45, [1, 0]), label=2)
    distractor = Layer(square((0, 255, 0), side=6), fixed_path(frames, 40, [5, 5]), label=0)
    background = np.zeros((60, 80, 3), np.float32)
    for t, front in [(0, 2), (1, 1)]:
        image, labels = render_layers(background, [red, blue, distractor], still, t)
        assert labels[30, 30] == 1 and labels[30, 50] == 2  # only one layer there
        assert labels[22, 40] == front  # the overlap belongs to the nearer layer
        assert labels[30, 40] == 0  # the distractor in front hides both: background label
        colour = image[22, 40]
        assert colour[0 if front == 1 else 2] > 200  # the image agrees with the labels


def test_synthesis_is_deterministic_for_a_seed(tmp_path):
    pool = builtin_pool()
    synthesize(tmp_path / "a", pool, videos=2, seed=3, config=SMALL, workers=2)
    synthesize(tmp_path / "b", pool, videos=2, seed=3, config=SMALL, workers=1)
    synthesize(tmp_path / "c", pool, videos=1, seed=4, config=SMALL, workers=1)
    a, b, c = DavisRoot(tmp_path / "a"), DavisRoot(tmp_path / "b"), DavisRoot(tmp_path / "c")
    assert a.sequences("train") == b.sequences("train") == ["train003-0000", "train003-0001"]
    for name in a.sequences("train"):
        for t in (0, 7, 13):
            assert np.array_equal(a.read_frame(name, t), b.read_frame(name, t))
            assert np.array_equal(a.read_annotation(name, t), b.read_annotation(name, t))
        assert a.read_scribbles(name) == b.read_scribbles(name)
    assert not np.array_equal(a.read_frame("train003-0000", 5), c.read_frame("train004-0000", 5))


def test_synthesised_video_has_objects_moving_and_scribbles_inside_them(tmp_path):
    [info] = synthesize(
        tmp_path, builtin_pool(), videos=1, seed=1, split="val", config=SMALL, workers=1
    )
    root = DavisRoot(tmp_path)
    name = info["name"]
    assert root.sequences("val") == [name]
    first, last = root.read_annotation(name, 0), root.read_annotation(name, SMALL.frames - 1)
    assert set(np.unique(first)) <= {0, 1, 2} and root.object_ids(name) == [1, 2]
    assert not np.array_equal(first, last)
    scribbles = root.read_scribbles(name)
    frame = scribbles["annotated_frame"]
    labels = root.read_annotation(name, frame)
    assert {item["object_id"] for item in scribbles["scribbles"][frame]} == {1, 2}
    for item in scribbles["scribbles"][frame]:
        points = np.array(item["path"]) * [SMALL.width - 1, SMALL.height - 1]
        xs, ys = np.round(points).astype(int).T
        assert np.mean(labels[ys, xs] == item["object_id"]) > 0.9


def test_flat_fraction_tells_photos_from_cartoons(rng):
    photo = np.dstack([rng.integers(0, 255, (40, 40, 3)), np.full((40, 40), 255)]).astype(np.uint8)
    cartoon = photo.copy()
    cartoon[..., :3] = (200, 30, 30)
    assert flat_fraction(photo) < 0.05 < flat_fraction(cartoon)


def test_splits_share_no_image(tmp_path, monkeypatch):
    stamps = [
        {
            "name": f"s{i}",
            "path": f"/s{i}.png",
            "kind": "photo" if i % 2 else "cartoon",
            "flat_fraction": 0,
        }
        for i in range(200)
    ]
    backgrounds = [{"name": f"b{i}", "path": f"/b{i}.jpg"} for i in range(40)]
    (tmp_path / "manifest.json").write_text(
        json.dumps({"stamps": stamps, "backgrounds": backgrounds, "clips": []})
    )
    train, val = pool_from_manifest("train", tmp_path), pool_from_manifest("val", tmp_path)
    for field in ("photos", "cartoons", "backgrounds"):
        a, b = set(getattr(train, field)), set(getattr(val, field))
        assert a and b and not a & b
    assert split_of("s1") == split_of("s1")


def test_training_only_backgrounds_join_the_train_split_when_asked(tmp_path):
    """`--more-backgrounds`: the extra wallpapers join train only, and only when asked, so the
    sets made without them (every val set) stay the same."""
    backgrounds = [{"name": f"b{i}", "path": f"/b{i}.jpg"} for i in range(20)]
    extra = [{"name": f"x{i}", "path": f"/x{i}.jpg"} for i in range(5)]
    manifest = {"stamps": [], "backgrounds": backgrounds, "clips": []}
    (tmp_path / "manifest.json").write_text(json.dumps({**manifest, "train_backgrounds": extra}))
    plain, more = pool_from_manifest("train", tmp_path), pool_from_manifest("train", tmp_path, True)
    assert more.backgrounds == plain.backgrounds + [f"/x{i}.jpg" for i in range(5)]
    assert not set(pool_from_manifest("val", tmp_path).backgrounds) & set(more.backgrounds)
    with pytest.raises(TrackpropError, match="train split only, not 'val'"):
        pool_from_manifest("val", tmp_path, True)
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))  # a cache from before them
    assert pool_from_manifest("train", tmp_path).backgrounds == plain.backgrounds
    with pytest.raises(TrackpropError, match="run 'trackprop data fetch'"):
        pool_from_manifest("train", tmp_path, True)


def test_missing_manifest_says_what_to_run(tmp_path):
    with pytest.raises(TrackpropError, match="run 'trackprop data fetch' first"):
        load_manifest(tmp_path)


def test_pool_without_images_is_not_needed_for_distractors(tmp_path):
    pool = ImagePool(
        photos=builtin_pool().photos, cartoons=[], backgrounds=builtin_pool().backgrounds
    )
    [info] = synthesize(tmp_path, pool, videos=1, seed=0, config=SMALL, workers=1)
    assert info["objects"] == 2


def test_annotated_objects_are_cartoon_stamps_in_the_asked_share():
    from dataclasses import replace

    from trackprop.data.synth import plan_video

    squares = [square((255, 0, 0), 24), square((0, 0, 255), 24), square((0, 255, 0), 24)]
    pool = ImagePool(builtin_pool().photos, squares, builtin_pool().backgrounds)

    def objects(share: float) -> list[np.ndarray]:
        plan = plan_video(pool, replace(SMALL, cartoon_objects=share), np.random.default_rng(0))
        return [layer.rgba for layer in plan.layers if layer.label > 0]

    def is_square(rgba: np.ndarray) -> bool:
        return any(np.array_equal(rgba, s) for s in squares)

    assert all(is_square(rgba) for rgba in objects(1.0))
    assert not any(is_square(rgba) for rgba in objects(0.0))
    plan = plan_video(pool, replace(SMALL, cartoon_objects=1.0), np.random.default_rng(0))
    distractors = [layer.rgba for layer in plan.layers if layer.label == 0]
    for rgba in distractors:  # a stamp that is an object never comes back unannotated
        assert not any(np.array_equal(rgba, o) for o in objects(1.0))


def test_a_pack_holds_one_split_small_and_synthesises_like_the_cache(tmp_path):
    """`data pack`: the split's stamps (alpha kept exactly, cut and shrunk as the synthesiser
    reads them) and backgrounds, under relative paths; `synth` reads the pack as a cache."""
    from PIL import Image

    from trackprop.data.pack import pack_split

    cache, pool = tmp_path / "cache", builtin_pool()
    cache.mkdir()
    stamps, backgrounds = [], []
    for i in range(12):  # names whose hash puts some in each split
        path = cache / f"s{i}.png"
        Image.fromarray(pool.photos[i % 2]).save(path)
        stamps.append({"name": f"s{i}", "path": str(path), "kind": "photo", "flat_fraction": 0})
    for i in range(8):
        path = cache / f"b{i}.png"
        Image.fromarray(pool.backgrounds[i % 3]).save(path)
        backgrounds.append({"name": f"b{i}", "path": str(path)})
    extra = [{"name": "x0", "path": backgrounds[0]["path"]}]
    (cache / "manifest.json").write_text(
        json.dumps(
            {"stamps": stamps, "backgrounds": backgrounds, "train_backgrounds": extra, "clips": []}
        )
    )
    out = tmp_path / "pack"
    packed = pack_split("train", out, cache)
    assert [b["name"] for b in packed["train_backgrounds"]] == ["x0"]
    assert pack_split("val", tmp_path / "val_pack", cache)["train_backgrounds"] == []
    assert {s["name"] for s in packed["stamps"]} == {
        s["name"] for s in stamps if split_of(s["name"]) == "train"
    }
    assert all(not s["path"].startswith("/") for s in packed["stamps"] + packed["backgrounds"])
    stamp = np.asarray(Image.open(out / packed["stamps"][0]["path"]))
    source = next(s for s in stamps if s["name"] == packed["stamps"][0]["name"])
    read = cutout(source["path"], SynthConfig().stamp_max_side)  # as synth reads the original
    assert max(stamp.shape[:2]) == SynthConfig().stamp_max_side < max(pool.photos[0].shape[:2])
    assert np.array_equal(stamp[..., 3], read[..., 3])
    colour_error = np.abs(stamp[..., :3].astype(int) - read[..., :3])[read[..., 3] == 255]
    assert colour_error.mean() < 4
    packed_pool = pool_from_manifest("train", out)
    assert len(packed_pool.photos) == len(packed["stamps"]) and packed_pool.backgrounds
    more = pool_from_manifest("train", out, more_backgrounds=True)
    assert len(more.backgrounds) == len(packed_pool.backgrounds) + 1
    [info] = synthesize(tmp_path / "videos", packed_pool, videos=1, seed=0, config=SMALL)
    assert info["objects"] == 2
