"""Network scores brought to the frame's own edges with a guided filter (He et al. 2010).

The networks see their ROI at 192 px, so where an ROI is larger than that their masks are
upsampled, and their boundaries are soft and a little off the frame's edges. Filtering each
object's probability at full resolution, with the frame as guide, snaps it to the
edges there. Used on what the user sees: the interaction networks' masks and the propagated
masks a frame reports. Not on the masks a propagator carries to the next frame: fed forward,
each frame's small shift compounds (semi-supervised J&F on val20 0.721 against 0.750 without,
README "Prompts").

Radius 4 px and eps 1e-2 were the best of 2/4/8 px x 1e-3/1e-2 on val20 first frames. Guides:
the colour frame for an interaction (OpenCV's filter, 6 ms on a 300 px region: nothing beside a
network run per click; first frames' mIoU and box IoU 0.003-0.007 above the luminance guide on
val20, val30b and calib10) and its luminance for propagation (the filter's closed form in box
filters, fitted at half resolution: 1.2 ms on the same region with the conversions, once per
object and frame).
"""

from __future__ import annotations

import cv2
import numpy as np

RADIUS = 4  # frame pixels
EPS = 1e-2  # regularisation, in (guide intensity in [0, 1])^2
SUBSAMPLE = 2  # the luminance filter fits its coefficients at half resolution (He & Sun 2015)
LIMIT = 30.0  # scores beyond ±LIMIT are certain either way; keeps exp finite


def guided_scores(scores: np.ndarray, frame: np.ndarray, colour: bool = False) -> np.ndarray:
    """(H,W) object - background scores re-fitted to the edges of `frame` (H,W,3) uint8 RGB,
    guided by its colours or (the default, several times faster) its luminance.

    What comes back is the fitted object probability minus 1/2: it has the sign and the order
    of the fitted scores, which is all eq. 3's merge reads (merge.to_label_map). −inf (outside
    the ROI's part of the frame) stays −inf.
    """
    if not scores.size:
        return scores
    inside = np.isfinite(scores)
    clipped = np.clip(np.where(inside, scores, -LIMIT), -LIMIT, LIMIT)
    probability = (1 / (1 + np.exp(-clipped))).astype(np.float32)
    if colour:
        guide = frame.astype(np.float32) / 255
        filtered = cv2.ximgproc.guidedFilter(guide, probability, RADIUS, EPS)
    else:
        guide = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255
        filtered = guided_filter(probability, guide)
    return np.where(inside, filtered - 0.5, -np.inf).astype(np.float32)


def guided_filter(values: np.ndarray, guide: np.ndarray) -> np.ndarray:
    """The fast guided filter with a one-channel guide: per window values ≈ a * guide + b, with
    a and b fitted at 1/SUBSAMPLE resolution and applied at full resolution."""
    height, width = values.shape
    small = (max(width // SUBSAMPLE, 1), max(height // SUBSAMPLE, 1))
    guide_small = cv2.resize(guide, small, interpolation=cv2.INTER_AREA)
    values_small = cv2.resize(values, small, interpolation=cv2.INTER_AREA)
    side = 2 * max(RADIUS // SUBSAMPLE, 1) + 1

    def mean(x: np.ndarray) -> np.ndarray:
        return cv2.boxFilter(x, -1, (side, side), borderType=cv2.BORDER_REFLECT)

    mean_guide, mean_values = mean(guide_small), mean(values_small)
    covariance = mean(guide_small * values_small) - mean_guide * mean_values
    variance = mean(guide_small * guide_small) - mean_guide * mean_guide
    a = covariance / (variance + EPS)
    b = mean_values - a * mean_guide
    a, b = (cv2.resize(mean(x), (width, height), interpolation=cv2.INTER_LINEAR) for x in (a, b))
    return a * guide + b
