"""`trackprop data pack`: the fetched imagery of one split, small enough to carry.

A machine that reaches no package registry (a lent GPU server) can still composite training
videos: this writes the split's stamps as they are used (cut to their alpha and shrunk to the
synthesiser's stamp side; lossy WebP colour, lossless alpha) and its backgrounds at the side
the synthesiser reads them (JPEG), with a manifest of relative paths. `trackprop data synth
--cache PACK` then draws from it as from the fetch cache: the same names, so the same split.
"""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

from trackprop.data.sources import MANIFEST_VERSION, load_manifest, split_of
from trackprop.data.synth import SynthConfig, cutout, photo

STAMP_QUALITY = 90  # WebP colour; the composited frames are JPEG-compressed afterwards anyway
BACKGROUND_QUALITY = 90


def pack_split(split: str, out: Path, cache: Path | None = None) -> dict:
    """Write the pack of `split` under `out`; returns its manifest."""
    manifest = load_manifest(cache)
    config = SynthConfig()
    (out / "stamps").mkdir(parents=True, exist_ok=True)
    (out / "backgrounds").mkdir(parents=True, exist_ok=True)
    stamps, backgrounds = [], []
    for i, stamp in enumerate(s for s in manifest["stamps"] if split_of(s["name"]) == split):
        path = Path("stamps") / f"{i:04d}.webp"
        rgba = cutout(stamp["path"], config.stamp_max_side)
        Image.fromarray(rgba).save(out / path, quality=STAMP_QUALITY, exact=True)
        stamps.append({**stamp, "path": str(path)})
    split_backgrounds = [b for b in manifest["backgrounds"] if split_of(b["name"]) == split]
    # The training-only backgrounds travel with the train split (synth still asks for them).
    train_only = manifest["train_backgrounds"] if split == "train" else []
    for i, background in enumerate(split_backgrounds + train_only):
        path = Path("backgrounds") / f"{i:03d}.jpg"
        Image.fromarray(photo(background["path"], config)).save(
            out / path, quality=BACKGROUND_QUALITY
        )
        backgrounds.append({**background, "path": str(path)})
    packed = {
        "version": MANIFEST_VERSION,
        "stamps": stamps,
        "backgrounds": backgrounds[: len(split_backgrounds)],
        "train_backgrounds": backgrounds[len(split_backgrounds) :],
        "clips": [],
    }
    (out / "manifest.json").write_text(json.dumps(packed, indent=1))
    return packed
