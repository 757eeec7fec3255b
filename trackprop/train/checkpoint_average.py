"""One network from several fine-tunes of the same start: their weights averaged (a model soup).

    python -m trackprop.train.checkpoint_average --out runs/soup.pt A.pt B.pt C.pt

Fine-tunes of one checkpoint with different seeds or rates scatter by a few hundredths of J&F
per held-out set (README, "Training"); averaging their weights is the cheap way to ask whether
the scatter is noise around a better network. Floating-point tensors are averaged (in fp32,
stored back in the checkpoint's precision), integer ones (batch-norm step counters) taken from
the first. The checkpoints must describe the same network (encoder, input channels, size).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from trackprop.atomic import atomic_path
from trackprop.errors import TrackpropError

SAME_NETWORK = ("encoder", "in_channels", "size")


def average_checkpoints(paths: list[Path]) -> dict:
    """The first checkpoint with its weights replaced by the mean over all of `paths`."""
    if len(paths) < 2:
        raise TrackpropError("checkpoint average: give at least two checkpoints.")
    loaded = []
    for path in paths:
        if not path.is_file():
            raise TrackpropError(f"{path}: checkpoint not found.")
        loaded.append(torch.load(path, map_location="cpu", weights_only=False))
    first = loaded[0]
    for path, checkpoint in zip(paths[1:], loaded[1:], strict=True):
        differs = [k for k in SAME_NETWORK if checkpoint.get(k) != first.get(k)]
        if differs or checkpoint["state_dict"].keys() != first["state_dict"].keys():
            what = ", ".join(differs) or "weight names"
            raise TrackpropError(f"{path}: not the same network as {paths[0]} ({what} differ).")
    state = {}
    for name, tensor in first["state_dict"].items():
        if tensor.is_floating_point():
            total = sum(c["state_dict"][name].float() for c in loaded)
            state[name] = (total / len(loaded)).to(tensor.dtype)
        else:
            state[name] = tensor
    return {**first, "state_dict": state, "result": {"average_of": [str(p) for p in paths]}}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoints", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        averaged = average_checkpoints(args.checkpoints)
    except TrackpropError as error:
        raise SystemExit(f"error: {error}") from None
    with atomic_path(args.out) as partial:
        torch.save(averaged, partial)
    print(f"wrote {args.out}: the mean of {len(args.checkpoints)} checkpoints")


if __name__ == "__main__":
    main()
