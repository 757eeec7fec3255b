"""Scribbles -> masks on one frame with the two interaction networks.

An object's first interaction on a frame where it has no mask goes through the 4-channel network
(RGB + guidance); an object that already has a mask there goes through the 5-channel network
(RGB + guidance + that mask). The ROI is a square around the object's new positive strokes and,
for refinement, its current mask. Touched objects are merged exclusively (eq. 1-3) and then
painted over the frame's labels: the user's latest correction wins over untouched objects.
"""

from __future__ import annotations

import numpy as np

from trackprop.boxes import center_size, mask_box, square_region
from trackprop.guidance import guidance_map, split_polarity
from trackprop.guided_scores import guided_scores
from trackprop.merge import object_scores, to_label_map
from trackprop.models.encoding import encode_input, mask_channel
from trackprop.models.runtime import OnnxNetwork, shipped
from trackprop.roi import crop_roi, paste_roi

FIRST_ROUND_GROWTH = 2.0  # ROI side per positive-stroke box side (strokes run inside the object)
REFINE_GROWTH = 1.4  # ROI side per box side of current mask plus new strokes
# Smallest ROI side, as a share of the frame's shorter side. A first round has no mask to say how
# big the object is, and a click's stroke says nothing of it: a wider floor there. Chosen on 10
# train-split videos' first frames (0.25 / 0.4 / 0.5: mIoU after one click 0.651 / 0.806 / 0.820,
# one scribble 0.812 / 0.837 / 0.836, box 0.858 / 0.852 / 0.847; README, "Prompts").
MIN_ROI_FRACTION = {"first": 0.4, "refine": 0.25}


def interaction_roi(
    frame_size: tuple[int, int], strokes: np.ndarray, mask: np.ndarray | None
) -> np.ndarray:
    """Square ROI (x0, y0, x1, y1) for one object from its positive strokes and current mask."""
    height, width = frame_size
    boxes = [
        b
        for b in (mask_box(strokes), mask_box(mask) if mask is not None else None)
        if b is not None
    ]
    if not boxes:
        return np.array([0.0, 0.0, width, height])
    box = np.concatenate([np.min([b[:2] for b in boxes], 0), np.max([b[2:] for b in boxes], 0)])
    refine = mask is not None and mask.any()
    growth = REFINE_GROWTH if refine else FIRST_ROUND_GROWTH
    floor = MIN_ROI_FRACTION["refine" if refine else "first"] * min(height, width)
    center, size = center_size(box)
    return square_region(center, max(size.max() * growth, floor))


def interaction_input(
    frame: np.ndarray,
    roi: np.ndarray,
    size: int,
    positive: np.ndarray,
    negative: np.ndarray,
    mask: np.ndarray | None,
) -> np.ndarray:
    """(C,S,S) network input: RGB, guidance and, for refinement, the current mask."""
    image = crop_roi(frame, roi, size)[None]
    guidance = guidance_map(
        crop_roi(positive.astype(np.uint8), roi, size, nearest=True) > 0,
        crop_roi(negative.astype(np.uint8), roi, size, nearest=True) > 0,
    )[None]
    if mask is None:
        return encode_input(image, guidance)[0]
    return encode_input(
        image,
        guidance,
        mask_channel(crop_roi(mask.astype(np.uint8), roi, size, nearest=True)[None]),
    )[0]


class Interactor:
    def __init__(self, first_round: OnnxNetwork, refinement: OnnxNetwork):
        self.networks = {False: first_round, True: refinement}

    def segment(
        self,
        frame: np.ndarray,
        strokes: dict[int, np.ndarray],
        touched: list[int],
        labels: np.ndarray,
    ) -> np.ndarray:
        """New (H,W) uint8 labels after segmenting `touched` objects from the frame's strokes."""
        size = frame.shape[:2]
        scores = np.full((len(touched), *size), -np.inf, np.float32)
        has_mask = [bool((labels == k).any()) for k in touched]  # decides first round vs refinement
        for refine, network in self.networks.items():
            members = [i for i, flag in enumerate(has_mask) if flag == refine]
            if not members:
                continue
            inputs, rois = [], []
            for i in members:
                positive, negative = split_polarity(strokes, touched[i], size)
                mask = (labels == touched[i]) if refine else None
                roi = interaction_roi(size, positive, mask)
                rois.append(roi)
                inputs.append(interaction_input(frame, roi, network.size, positive, negative, mask))
            crops = object_scores(network.run(np.stack(inputs)))
            for i, roi, crop in zip(members, rois, crops, strict=True):
                region, (rows, cols) = paste_roi(crop, roi, size, fill=-np.inf)
                scores[i, rows, cols] = guided_scores(region, frame[rows, cols], colour=True)
        merged = to_label_map(scores, touched)
        out = np.where(np.isin(labels, touched), 0, labels).astype(np.uint8)
        out[merged > 0] = merged[merged > 0]
        return out


def shipped_interactor(threads: int, device: str = "cpu") -> Interactor:
    """The Interactor over the two interaction networks that ship in the package."""
    return Interactor(
        OnnxNetwork(shipped("interaction_first"), threads, device),
        OnnxNetwork(shipped("interaction_refine"), threads, device),
    )
