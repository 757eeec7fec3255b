"""Where trackprop keeps what it makes outside the repo: fetched imagery, built ONNX files."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """$TRACKPROP_CACHE, else $XDG_CACHE_HOME/trackprop, else ~/.cache/trackprop."""
    if os.environ.get("TRACKPROP_CACHE"):
        return Path(os.environ["TRACKPROP_CACHE"])
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "trackprop"
