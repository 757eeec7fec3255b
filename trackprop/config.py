"""Plain frozen configuration dataclasses shared by inference and training."""

from __future__ import annotations

from dataclasses import dataclass

# The propagator (trackprop/propagators/) that Session, the CLI, the GUI, the batch runner and
# the evaluations use unless told otherwise.
DEFAULT_PROPAGATOR = "roi-tracker"
# The tracker they use unless told otherwise. CSRT: with the shipped propagation network KCF gave
# better first-frame-mask propagation (val J&F 0.723 vs 0.702) but worse DAVIS interactive
# results (AUC 0.677 vs 0.706, J&F@60s 0.761 vs 0.794; README, "Benchmarks").
DEFAULT_TRACKER = "csrt"


@dataclass(frozen=True)
class RoiConfig:
    enlarge: float = (
        1.6  # the ROI side is the tracker box's longer side times this (paper: a predefined factor)
    )
    size: int = 192  # square network input side, a multiple of 16
    min_side: float = 32.0  # never zoom in further than this many frame pixels per ROI side
    # A lost object's search ROI grows while it stays lost, up to this many times its side:
    # wider, the object shrinks in the network's crop below what it finds. Chosen with
    # benchmarks.quality --lost-max-growth on the val videos (README, "Lost objects").
    lost_max_growth: float = 2.5


@dataclass(frozen=True)
class TrackerConfig:
    name: str = DEFAULT_TRACKER
    min_score: float = (
        0.3  # below this the tracker counts as lost and is re-initialised from the mask
    )
    # The propagator takes only the tracker's centre (the size comes from the mask), so the
    # tracker is judged by its centre: re-initialised from the mask's box when the mask box,
    # moved onto the tracker's centre, overlaps the real one by less than this IoU ...
    min_box_iou: float = 0.3
    # ... or when its box's area is off the mask box's by more than this factor (fixed-scale
    # trackers such as MIL and KCF are re-sized only then: their re-initialisation is costly).
    max_area_ratio: float = 4.0
    # The ROI's centre mixes the tracker's with the one the previous mask's optical flow gives
    # (mask_flow.py), this much of the latter. 0: the tracker's alone, as in the paper. 0.5 gave
    # semi-supervised J&F +0.0111 over the 110 val videos (stop 53, with the optical flow's
    # history bug fixed), but the box protocol lost val30b and the flow costs a tenth of the
    # 1-object speed, so it is off until the other protocols are measured (README, "Lost objects").
    flow_weight: float = 0.0
