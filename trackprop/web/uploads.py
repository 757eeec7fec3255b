"""Safe handling of uploaded files: names, sizes, zip members."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path, PurePosixPath

from trackprop.data.video import IMAGE_SUFFIXES
from trackprop.errors import TrackpropError

SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._ -]{0,120}$")
VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".avi", ".webm")


def safe_name(name: str) -> str:
    """The upload's file name if it is a plain name (no folders, no '..'); else an error."""
    if not SAFE_NAME.match(name or "") or ".." in name:
        raise TrackpropError(
            f"upload name '{name}' is not allowed: use a plain file name (letters, digits, ._- )."
        )
    return name


def extract_frames(archive: Path, target: Path) -> Path:
    """Extract the image members of a zip of frames into `target`; refuse any member that escapes it."""
    target.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive) as zipped:
        members = [m for m in zipped.infolist() if not m.is_dir()]
        for member in members:
            parts = PurePosixPath(member.filename.replace("\\", "/")).parts
            if (
                member.filename.startswith(("/", "\\"))
                or ".." in parts
                or (parts and ":" in parts[0])
            ):
                raise TrackpropError(
                    f"zip member '{member.filename}' points outside the upload folder; refused."
                )
        images = [m for m in members if Path(m.filename).suffix.lower() in IMAGE_SUFFIXES]
        if not images:
            raise TrackpropError(f"{archive.name}: the zip holds no image frames.")
        for member in images:
            (target / Path(member.filename).name).write_bytes(zipped.read(member))
    return target
