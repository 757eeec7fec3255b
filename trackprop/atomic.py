"""Atomic file writes: a reader (or a crash) sees the old file or the whole new one, never a part.

Every writer goes through `atomic_path`: the content is written under a hidden temporary name in
the same folder, flushed to disk, then renamed over the final name (rename is atomic on POSIX
within one file system). A writer that fails or is interrupted removes its temporary file.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PARTIAL = ".partial"


def temporary_name(path: Path) -> Path:
    """Hidden, per-process name beside `path`, keeping its suffix (writers pick the format by it)."""
    return path.with_name(f".{path.stem}.{os.getpid()}{PARTIAL}{path.suffix}")


def is_temporary(path: Path) -> bool:
    return path.name.startswith(".") and PARTIAL in path.name


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def commit(partial: Path, path: Path) -> None:
    """Give the finished temporary file its final name (flushed first, so a crash keeps it whole)."""
    _fsync(partial)
    partial.replace(path)


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces `path` whole, on failure it goes."""
    path = Path(path)
    partial = temporary_name(path)
    try:
        yield partial
        commit(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def write_bytes(path: str | Path, data: bytes) -> None:
    with atomic_path(path) as partial:
        partial.write_bytes(data)


def write_text(path: str | Path, text: str) -> None:
    write_bytes(path, text.encode())
