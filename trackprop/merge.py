"""The paper's multi-object merge (eq. 1-3), in the log domain.

Each object i gives per-pixel scores p_i(x) = (background, object). Eq. 1 divides out the
background: p'_i(x,1) = exp(p_i(x,1) - p_i(x,0)). Eq. 2 normalises over objects and a shared
background: p̂(x,i) = p'_i(x,1) / (1 + Σ_j p'_j(x,1)), p̂(x,0) = 1 / (1 + Σ_j p'_j(x,1)).
Eq. 3: label = argmax_i p̂(x,i). With d_i = p_i(x,1) - p_i(x,0) (−inf outside object i's ROI:
"absent"), log p̂(x,i) = d_i − logsumexp(0, d_1..d_N): no exp of a large number is ever taken.
"""

from __future__ import annotations

import numpy as np


def object_scores(logits: np.ndarray, inside: np.ndarray | None = None) -> np.ndarray:
    """(N,H,W) d_i = object − background score; −inf where `inside` (N,H,W) bool is False.

    logits: (N,2,H,W) per-object (background, object) scores.
    """
    scores = (logits[:, 1] - logits[:, 0]).astype(np.float32)
    if inside is not None:
        scores = np.where(inside, scores, -np.inf).astype(np.float32)
    return scores


def merged_log_probabilities(scores: np.ndarray) -> np.ndarray:
    """(N+1,H,W) log p̂ for background (index 0) and objects 1..N from (N,H,W) scores d_i."""
    with_background = np.concatenate([np.zeros((1, *scores.shape[1:]), np.float32), scores], axis=0)
    peak = with_background.max(0, keepdims=True)  # >= 0, finite: the background term is 0
    log_normaliser = peak + np.log(np.exp(with_background - peak).sum(0, keepdims=True))
    return with_background - log_normaliser


def merged_probabilities(scores: np.ndarray) -> np.ndarray:
    """(N+1,H,W) p̂ (eq. 2); sums to 1 over the first axis by construction."""
    return np.exp(merged_log_probabilities(scores))


def to_label_map(scores: np.ndarray, object_ids: list[int] | np.ndarray) -> np.ndarray:
    """(H,W) uint8 label map (eq. 3): argmax over (0, d_1..d_N), i.e. over p̂, ties to background.

    The common denominator of eq. 2 does not change the argmax, so no normalisation is needed.
    """
    if len(scores) == 0:
        return np.zeros(scores.shape[1:], np.uint8)
    ids = np.concatenate([[0], np.asarray(object_ids)]).astype(np.uint8)
    best = scores.argmax(0)
    winner = np.take_along_axis(scores, best[None], 0)[0]
    return np.where(winner > 0, ids[best + 1], 0).astype(np.uint8)
