"""Safe handling of uploaded files: names, sizes, zip members.

An upload never replaces or deletes a file that is already there (the open video included): it
is received under a temporary name and then takes a free name beside the others; a rejected
upload leaves nothing behind. A zip of frames is checked whole before anything is extracted
(member names, count, total size) and extracted as a stream with the size counted again, since
a zip's headers can lie.
"""

from __future__ import annotations

import re
import shutil
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from trackprop.atomic import temporary_name
from trackprop.data.video import IMAGE_SUFFIXES
from trackprop.errors import TrackpropError

SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._ -]{0,120}$")
VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".avi", ".webm")
MAX_MEMBERS = 20_000
CHUNK = 1 << 20


def safe_name(name: str) -> str:
    """The upload's file name if it is a plain name (no folders, no '..'); else an error."""
    if not SAFE_NAME.match(name or "") or ".." in name:
        raise TrackpropError(
            f"upload name '{name}' is not allowed: use a plain file name (letters, digits, ._- )."
        )
    return name


def free_path(folder: Path, name: str) -> Path:
    """`folder/name`, or `stem-2.suffix`, `stem-3.suffix`... whichever is not taken (file or folder)."""
    path, stem, suffix = folder / name, Path(name).stem, Path(name).suffix

    def taken(p: Path) -> bool:
        return p.exists() or (folder / p.stem).exists() or temporary_name(p).exists()

    counter = 2
    while taken(path):
        path = folder / f"{stem}-{counter}{suffix}"
        counter += 1
    return path


def _frame_members(zipped: zipfile.ZipFile, archive: Path, max_bytes: int) -> list[zipfile.ZipInfo]:
    members = [m for m in zipped.infolist() if not m.is_dir()]
    if len(members) > MAX_MEMBERS:
        raise TrackpropError(f"{archive.name}: more than {MAX_MEMBERS} files in the zip; refused.")
    for member in members:
        parts = PurePosixPath(member.filename.replace("\\", "/")).parts
        if member.filename.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
            raise TrackpropError(
                f"zip member '{member.filename}' points outside the upload folder; refused."
            )
    images = [m for m in members if Path(m.filename).suffix.lower() in IMAGE_SUFFIXES]
    if not images:
        raise TrackpropError(f"{archive.name}: the zip holds no image frames.")
    names: dict[str, str] = {}
    for member in images:
        name = PurePosixPath(member.filename.replace("\\", "/")).name
        if name in names:
            raise TrackpropError(
                f"{archive.name}: '{names[name]}' and '{member.filename}' would both be frame "
                f"'{name}'; put one video's frames in the zip."
            )
        names[name] = member.filename
    if sum(m.file_size for m in images) > max_bytes:
        raise TrackpropError(
            f"{archive.name}: the frames unpack to more than {max_bytes >> 20} MB; refused."
        )
    return images


def _extract(zipped: zipfile.ZipFile, member: zipfile.ZipInfo, target: Path, budget: int) -> int:
    """Stream one member to `target`; returns the budget left (an error once it is spent)."""
    with zipped.open(member) as source, target.open("wb") as out:
        while chunk := source.read(CHUNK):
            budget -= len(chunk)
            if budget < 0:
                raise TrackpropError(f"zip member '{member.filename}' unpacks beyond its limit.")
            out.write(chunk)
    return budget


def extract_frames(archive: Path, target: Path, max_bytes: int) -> Path:
    """The zip's image members, flat, in the new folder `target`; on any refusal nothing stays."""
    target.mkdir(parents=True)
    try:
        with zipfile.ZipFile(archive) as zipped:
            budget = max_bytes
            for member in _frame_members(zipped, archive, max_bytes):
                name = PurePosixPath(member.filename.replace("\\", "/")).name
                budget = _extract(zipped, member, target / name, budget)
    except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError) as exc:
        shutil.rmtree(target, ignore_errors=True)
        raise TrackpropError(f"{archive.name}: not a readable zip ({exc}).") from None
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    return target
