import numpy as np

from trackprop.merge import (
    merged_log_probabilities,
    merged_probabilities,
    object_scores,
    to_label_map,
)


def random_logits(rng, n=3, size=(6, 7), scale=4.0):
    return rng.normal(0, scale, (n, 2, *size)).astype(np.float32)


def test_probabilities_sum_to_one_without_renormalising(rng):
    probabilities = merged_probabilities(object_scores(random_logits(rng)))
    assert probabilities.shape == (4, 6, 7)
    assert np.allclose(probabilities.sum(0), 1, atol=1e-6)
    assert np.all(probabilities >= 0)


def test_equations_match_the_paper_literally(rng):
    logits = random_logits(rng, scale=1.0)
    p_prime = np.exp(logits[:, 1]) / np.exp(logits[:, 0])  # eq. 1
    denominator = 1 + p_prime.sum(0)
    expected = np.concatenate([[1 / denominator], p_prime / denominator])  # eq. 2
    assert np.allclose(merged_probabilities(object_scores(logits)), expected, atol=1e-6)
    assert np.array_equal(
        to_label_map(object_scores(logits), [1, 2, 3]), expected.argmax(0)
    )  # eq. 3


def test_one_object_equals_a_two_class_softmax(rng):
    logits = random_logits(rng, n=1)
    softmax = np.exp(logits[0]) / np.exp(logits[0]).sum(0)
    assert np.allclose(merged_probabilities(object_scores(logits)), softmax, atol=1e-6)


def test_permuting_objects_permutes_the_output(rng):
    logits = random_logits(rng, n=4)
    order = np.array([2, 0, 3, 1])
    merged = merged_probabilities(object_scores(logits))
    permuted = merged_probabilities(object_scores(logits[order]))
    assert np.allclose(permuted[1:], merged[1:][order], atol=1e-6)
    assert np.allclose(permuted[0], merged[0], atol=1e-6)
    ids = np.array([10, 20, 30, 40])
    assert np.array_equal(
        to_label_map(object_scores(logits), ids),
        to_label_map(object_scores(logits[order]), ids[order]),
    )


def test_huge_logits_give_no_nan_or_inf():
    logits = np.array(
        [[[[1e30, -1e30]], [[-1e30, 1e30]]], [[[0.0, 0.0]], [[1e30, 0.0]]]], np.float32
    )
    log_p = merged_log_probabilities(object_scores(logits))
    assert np.all(np.isfinite(log_p)) or np.all(np.isfinite(np.exp(log_p)))
    probabilities = np.exp(log_p)
    assert np.all(np.isfinite(probabilities)) and np.allclose(probabilities.sum(0), 1)


def test_outside_its_roi_an_object_is_absent(rng):
    logits = np.full((2, 2, 1, 4), 0.0, np.float32)
    logits[:, 1] = 5.0  # both objects very confident everywhere...
    inside = np.array([[[True, True, False, False]], [[False, False, False, True]]])
    labels = to_label_map(object_scores(logits, inside), [1, 2])
    assert labels.tolist() == [[1, 1, 0, 2]]  # ...but only count inside their ROIs
    probabilities = merged_probabilities(object_scores(logits, inside))
    assert probabilities[1, 0, 3] == 0 and np.allclose(probabilities.sum(0), 1)


def test_no_objects_is_all_background():
    assert to_label_map(np.zeros((0, 3, 5), np.float32), []).tolist() == [[0] * 5] * 3
