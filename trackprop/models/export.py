"""Export a trained torch network to ONNX (dynamic batch), the format the hot path runs."""

from __future__ import annotations

from pathlib import Path

import torch

from trackprop.models.networks import load_checkpoint


def export_onnx(
    network: torch.nn.Module,
    in_channels: int,
    size: int,
    path: str | Path,
    output: str = "logits",
    any_size: bool = False,
) -> Path:
    """Write `network` as ONNX with input "input" (B,C,S,S) and one output (segmentation networks:
    "logits" (B,2,S,S)); the batch is dynamic, and with `any_size` the height and width too."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    example = torch.zeros(1, in_channels, size, size)
    torch.onnx.export(
        network.eval(),
        (example,),
        str(path),
        input_names=["input"],
        output_names=[output],
        dynamic_axes={
            "input": {0: "batch", **({2: "height", 3: "width"} if any_size else {})},
            output: {0: "batch", **({2: "rows", 3: "columns"} if any_size else {})},
        },
        opset_version=17,
        dynamo=False,
    )
    return path


def export_checkpoint(checkpoint: str | Path, path: str | Path, size: int | None = None) -> Path:
    """ONNX of a checkpoint taking (S,S) inputs: `size`, or the side it was trained at."""
    network, meta = load_checkpoint(checkpoint)
    return export_onnx(network, meta["in_channels"], size or meta["size"], path)
