"""The GUI's undo/redo history on disk, so that it survives a restart (or a kill -9).

A snapshot is a Session's mask state: {frame: zlib-compressed label map}, the annotated frames,
the object ids and the clicks each frame's objects were given. Snapshots mostly share their
frames, so each compressed frame is stored once, named by its hash (blobs/<sha1>), and
history.json lists the snapshots as {frame: hash}. Every file is written atomically; blobs no
snapshot names any more are removed.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from trackprop.atomic import write_bytes, write_text
from trackprop.prompts import Click

Snapshot = tuple[dict[int, bytes], set[int], list[int], dict[int, dict[int, list[Click]]]]


class HistoryStore:
    def __init__(self, folder: Path):
        self.folder = folder
        self.blobs = folder / "blobs"
        self.index = folder / "history.json"
        # id(blob) -> (blob, hash): a shared blob is hashed once; holding the blob keeps its id
        # from being reused by another object while the entry lives.
        self.digests: dict[int, tuple[bytes, str]] = {}

    def _digest(self, blob: bytes) -> str:
        if id(blob) not in self.digests:
            self.digests[id(blob)] = (blob, hashlib.sha1(blob).hexdigest())
        return self.digests[id(blob)][1]

    def _encode(self, snapshot: Snapshot) -> dict:
        frames, annotated, object_ids, clicks = snapshot
        listed = {}
        for t, blob in frames.items():
            digest = self._digest(blob)
            path = self.blobs / digest
            if not path.is_file():
                write_bytes(path, blob)
            listed[str(t)] = digest
        return {
            "frames": listed,
            "annotated": sorted(annotated),
            "object_ids": list(object_ids),
            "clicks": {
                str(t): {str(k): v for k, v in given.items()} for t, given in clicks.items()
            },
        }

    def save(self, undo: list[Snapshot], redo: list[Snapshot]) -> None:
        self.blobs.mkdir(parents=True, exist_ok=True)
        data = {"undo": [self._encode(s) for s in undo], "redo": [self._encode(s) for s in redo]}
        write_text(self.index, json.dumps(data))
        named = {d for stack in data.values() for s in stack for d in s["frames"].values()}
        self.digests = {k: v for k, v in self.digests.items() if v[1] in named}
        for path in self.blobs.iterdir():
            if path.name not in named:
                path.unlink(missing_ok=True)

    def load(self) -> tuple[list[Snapshot], list[Snapshot]]:
        """(undo, redo) as saved; empty if there is no history or it cannot be read whole."""
        try:
            data = json.loads(self.index.read_text())
            cache: dict[str, bytes] = {}

            def decode(entry: dict) -> Snapshot:
                frames = {}
                for t, digest in entry["frames"].items():
                    if digest not in cache:
                        cache[digest] = (self.blobs / digest).read_bytes()
                    frames[int(t)] = cache[digest]
                clicks = {
                    int(t): {int(k): [tuple(c) for c in v] for k, v in given.items()}
                    for t, given in entry.get("clicks", {}).items()  # none in older histories
                }
                return frames, set(entry["annotated"]), list(entry["object_ids"]), clicks

            return [decode(s) for s in data["undo"]], [decode(s) for s in data["redo"]]
        except (OSError, ValueError, KeyError, TypeError):
            return [], []  # a lost history costs undo steps, never the masks themselves
