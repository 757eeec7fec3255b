import numpy as np

from trackprop.data.strokes import stroke_inside, to_davis_path


def test_stroke_is_a_stroke_inside_the_region(rng):
    mask = np.zeros((100, 160), bool)
    mask[20:80, 30:140] = True
    for _ in range(20):
        stroke = stroke_inside(mask, rng)
        xs, ys = np.round(stroke).astype(int).T
        assert len(stroke) >= 3
        assert mask[ys, xs].all()
        assert np.ptp(xs) > 20  # a stroke along the region, not a dot


def test_thin_and_empty_regions(rng):
    thin = np.zeros((50, 50), bool)
    thin[25, 5:45] = True
    stroke = stroke_inside(thin, rng)
    xs, ys = np.round(stroke).astype(int).T
    assert thin[ys, xs].all()
    assert len(stroke_inside(np.zeros((5, 5), bool), rng)) == 0


def test_davis_path_normalisation_hits_the_corners():
    path = to_davis_path(np.array([[0.0, 0.0], [159.0, 99.0]]), (100, 160))
    assert path == [[0.0, 0.0], [1.0, 1.0]]
