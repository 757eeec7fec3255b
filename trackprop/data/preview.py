"""Contact sheet of a DAVIS-format set: a few frames per sequence with mask overlays."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from trackprop.data.davis import DavisRoot
from trackprop.errors import TrackpropError
from trackprop.visual import overlay


def contact_sheet(
    root: str | Path,
    out: str | Path,
    split: str | None = None,
    sequences: int = 6,
    columns: int = 5,
    thumb_width: int = 256,
) -> Path:
    """Write a grid (one row per sequence, `columns` evenly spaced frames) and return its path."""
    davis = DavisRoot(root)
    if split is None:
        listed = sorted((davis.root / "ImageSets" / "2017").glob("*.txt"))
        if not listed:
            raise TrackpropError(f"{davis.root}: no ImageSets/2017/*.txt; is this a DAVIS root?")
        split = listed[0].stem
    names = davis.sequences(split)[:sequences]
    rows = []
    for name in names:
        count = len(davis.frame_paths(name))
        tiles = []
        for t in np.linspace(0, count - 1, columns).round().astype(int):
            tile = overlay(davis.read_frame(name, t), davis.read_annotation(name, t))
            height = round(tile.shape[0] * thumb_width / tile.shape[1])
            tile = cv2.resize(tile, (thumb_width, height), interpolation=cv2.INTER_AREA)
            cv2.putText(
                tile, f"{name} #{t}", (4, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255, 255, 255), 1
            )
            tiles.append(tile)
        rows.append(np.concatenate(tiles, axis=1))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.concatenate(rows, axis=0)).save(out)
    return out
