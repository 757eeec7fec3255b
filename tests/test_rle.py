import numpy as np

from trackprop import rle


def test_known_answer():
    mask = np.zeros((4, 5), bool)
    mask[1:3, 1:4] = True
    # Column-major runs: 5 zeros, then 2 ones / 2 zeros for three columns, then 5 zeros.
    assert rle.mask_to_runs(mask) == [5, 2, 2, 2, 2, 2, 5]
    assert rle.encode(mask) == {"size": [4, 5], "counts": "5220003"}


def test_round_trip_random_masks(rng):
    for _ in range(100):
        h, w = rng.integers(1, 30, 2)
        mask = rng.random((h, w)) < rng.random()
        assert np.array_equal(rle.decode(rle.encode(mask)), mask)


def test_large_runs_round_trip():
    mask = np.zeros((480, 854), bool)
    mask[100:300, 200:700] = True
    assert np.array_equal(rle.decode(rle.encode(mask)), mask)
