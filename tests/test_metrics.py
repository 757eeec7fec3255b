import numpy as np

from trackprop.eval.metrics import f_measure, jaccard, video_j_and_f


def test_known_values():
    a = np.zeros((100, 100), bool)
    a[20:60, 20:60] = True
    b = np.zeros_like(a)
    b[40:80, 20:60] = True
    assert jaccard(a, a) == 1 and f_measure(a, a) == 1
    assert np.isclose(jaccard(a, b), 800 / 2400)
    assert f_measure(a, b) < 0.7
    empty = np.zeros_like(a)
    assert jaccard(empty, empty) == 1 and f_measure(empty, empty) == 1
    assert jaccard(a, empty) == 0 and f_measure(a, empty) == 0


def test_video_score_averages_objects_and_skips_frames():
    truth = np.zeros((3, 20, 20), np.uint8)
    truth[:, 2:8, 2:8] = 1
    truth[:, 10:18, 10:18] = 2
    predicted = truth.copy()
    predicted[1] = 0
    scores = video_j_and_f(predicted, truth)
    assert scores["objects"] == 2 and np.isclose(scores["J"], 2 / 3)
    assert video_j_and_f(predicted, truth, skip={1})["J&F"] == 1
