"""Read and write DAVIS-2017-style dataset roots.

Layout (the same one real DAVIS 2017 uses, so a user's copy loads unchanged)::

    JPEGImages/480p/<seq>/00000.jpg     RGB frames
    Annotations/480p/<seq>/00000.png    indexed PNG, DAVIS palette, 0 background, 1..K objects
    ImageSets/2017/<split>.txt          one sequence name per line
    Scribbles/<seq>/001.json            {"sequence": seq, "scribbles": [[item, ...] per frame]}
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from trackprop.atomic import atomic_path
from trackprop.errors import MAX_OBJECT_ID, TrackpropError

RESOLUTION = "480p"
IMAGESET_YEAR = "2017"


def davis_palette() -> np.ndarray:
    """(256, 3) uint8: the PASCAL VOC colour map that DAVIS annotations use (1 = dark red, ...)."""
    palette = np.zeros((256, 3), dtype=np.uint8)
    for index in range(256):
        code, r, g, b = index, 0, 0, 0
        for bit in range(8):
            r |= ((code >> 0) & 1) << (7 - bit)
            g |= ((code >> 1) & 1) << (7 - bit)
            b |= ((code >> 2) & 1) << (7 - bit)
            code >>= 3
        palette[index] = (r, g, b)
    return palette


def write_label_png(path: str | Path, labels: np.ndarray) -> None:
    """Write an (H,W) integer label map as an indexed PNG with the DAVIS palette."""
    labels = np.asarray(labels)
    if labels.ndim != 2:
        raise TrackpropError(f"{path}: a label map must be 2-D (H,W), got shape {labels.shape}.")
    if labels.size and (labels.min() < 0 or labels.max() > 255):
        raise TrackpropError(f"{path}: label ids must lie in 0..255.")
    image = Image.fromarray(labels.astype(np.uint8), mode="P")
    image.putpalette(davis_palette().reshape(-1).tolist())
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as partial:
        image.save(partial, optimize=False)


LOSSY_FORMATS = ("JPEG", "MPO", "JPEG2000", "WEBP")  # compression noise would invent objects


def read_label_png(path: str | Path) -> np.ndarray:
    """(H,W) uint8 label map from an indexed PNG (or a grey PNG of ids, or RGB in DAVIS colours).

    Ids beyond MAX_OBJECT_ID and lossy files are refused: wrapping id 300 to 44, or reading JPEG
    noise as objects, would give a silently wrong result.
    """
    path = Path(path)
    if not path.is_file():
        raise TrackpropError(f"{path}: annotation file not found.")
    try:
        image = Image.open(path)
        image.load()
    except Exception as exc:
        raise TrackpropError(f"{path}: not a readable PNG ({exc}).") from None
    if image.format in LOSSY_FORMATS:
        raise TrackpropError(
            f"{path}: a {image.format} mask is lossy (its noise would read as objects); "
            "save it as PNG."
        )
    if image.mode == "P":
        return np.asarray(image, dtype=np.uint8)
    if image.mode in ("L", "I", "I;16", "I;16B", "I;16L"):
        ids = np.asarray(image)
        if ids.size and (ids.min() < 0 or ids.max() > MAX_OBJECT_ID):
            raise TrackpropError(
                f"{path}: object id {int(ids.max()) if ids.max() > MAX_OBJECT_ID else int(ids.min())}"
                f" is outside 1..{MAX_OBJECT_ID} (label maps are 8-bit)."
            )
        return ids.astype(np.uint8)
    if image.mode not in ("RGB", "RGBA"):
        raise TrackpropError(f"{path}: a mask of mode {image.mode} is not a label map.")
    return _rgb_to_labels(np.asarray(image.convert("RGB")), path)


def _rgb_to_labels(rgb: np.ndarray, path: Path) -> np.ndarray:
    """Map DAVIS palette colours back to ids; any other colour is an error, not a guess."""
    palette = davis_palette().astype(np.int32)
    rgb = rgb.astype(np.int32)
    codes = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    lookup = {(r << 16) | (g << 8) | b: i for i, (r, g, b) in enumerate(palette)}
    labels = np.zeros(codes.shape, dtype=np.uint8)
    for code in np.unique(codes):
        if int(code) not in lookup:
            raise TrackpropError(f"{path}: colour #{int(code):06x} is not a DAVIS palette colour.")
        labels[codes == code] = lookup[int(code)]
    return labels


def read_scribbles(path: str | Path) -> dict:
    """A DAVIS scribble dict, checked for the keys every consumer relies on."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise TrackpropError(f"{path}: scribble file not found.") from None
    except json.JSONDecodeError as exc:
        raise TrackpropError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno}).") from None
    if not isinstance(data, dict) or not isinstance(data.get("scribbles"), list):
        raise TrackpropError(f"{path}: a scribble file needs a 'scribbles' list (one per frame).")
    return data


def write_scribbles(path: str | Path, scribbles: dict) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(scribbles))


@dataclass(frozen=True)
class DavisRoot:
    """A DAVIS-format dataset root on disk (real DAVIS 2017 or a composited set)."""

    root: Path
    resolution: str = RESOLUTION

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    def frame_dir(self, sequence: str) -> Path:
        return self.root / "JPEGImages" / self.resolution / sequence

    def annotation_dir(self, sequence: str) -> Path:
        return self.root / "Annotations" / self.resolution / sequence

    def scribble_path(self, sequence: str, index: int = 1) -> Path:
        return self.root / "Scribbles" / sequence / f"{index:03d}.json"

    def split_path(self, split: str) -> Path:
        return self.root / "ImageSets" / IMAGESET_YEAR / f"{split}.txt"

    def sequences(self, split: str) -> list[str]:
        path = self.split_path(split)
        if not path.is_file():
            raise TrackpropError(f"{path}: split '{split}' not found in {self.root}.")
        return [line.strip() for line in path.read_text().splitlines() if line.strip()]

    def frame_paths(self, sequence: str) -> list[Path]:
        paths = sorted(self.frame_dir(sequence).glob("*.jpg"))
        if not paths:
            raise TrackpropError(
                f"{self.frame_dir(sequence)}: sequence '{sequence}' has no frames."
            )
        return paths

    def annotation_paths(self, sequence: str) -> list[Path]:
        return sorted(self.annotation_dir(sequence).glob("*.png"))

    def read_frame(self, sequence: str, t: int) -> np.ndarray:
        """(H,W,3) uint8 RGB frame t."""
        return np.asarray(Image.open(self.frame_dir(sequence) / f"{t:05d}.jpg").convert("RGB"))

    def read_annotation(self, sequence: str, t: int) -> np.ndarray:
        return read_label_png(self.annotation_dir(sequence) / f"{t:05d}.png")

    def object_ids(self, sequence: str) -> list[int]:
        """Object ids present in the first annotation (the DAVIS convention for a sequence)."""
        ids = np.unique(self.read_annotation(sequence, 0))
        return [int(i) for i in ids if i != 0]

    def read_scribbles(self, sequence: str, index: int = 1) -> dict:
        return read_scribbles(self.scribble_path(sequence, index))

    def write_frame(self, sequence: str, t: int, frame: np.ndarray, quality: int = 90) -> None:
        path = self.frame_dir(sequence) / f"{t:05d}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(frame).save(path, quality=quality)

    def write_annotation(self, sequence: str, t: int, labels: np.ndarray) -> None:
        write_label_png(self.annotation_dir(sequence) / f"{t:05d}.png", labels)

    def write_split(self, split: str, sequences: Iterable[str]) -> None:
        """Add sequences to a split file, keeping the names already listed there."""
        path = self.split_path(split)
        existing = self.sequences(split) if path.is_file() else []
        names = existing + [s for s in sequences if s not in existing]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(f"{name}\n" for name in names))

    def write_scribbles(self, sequence: str, scribbles: dict, index: int = 1) -> None:
        write_scribbles(self.scribble_path(sequence, index), scribbles)
