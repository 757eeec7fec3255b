"""`trackprop train propagation`: train the 4-channel propagation network on composited videos.

Resumable: a checkpoint (weights, optimizer, schedule, step, RNG state) is written every
`checkpoint_every` steps next to the output and picked up automatically. The log is one JSON line
per evaluation: step, train loss, val IoU, elapsed seconds.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from trackprop.config import RoiConfig
from trackprop.models.networks import build_network, encode_input, mask_channel, save_checkpoint
from trackprop.train.propagation_data import VideoStore, sample_batch


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 6000
    batch: int = 8
    lr: float = 2e-3
    weight_decay: float = 1e-4
    encoder: str = "mobilenetv3-small"
    size: int = 192
    enlarge: float = 1.6
    eval_every: int = 250
    checkpoint_every: int = 100
    val_samples: int = 192
    seed: int = 0


def segmentation_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Cross-entropy plus soft Dice on the object channel (Dice keeps small objects weighted)."""
    cross_entropy = torch.nn.functional.cross_entropy(logits, targets)
    probability = logits.softmax(1)[:, 1]
    target = targets.float()
    overlap = (probability * target).sum((1, 2))
    dice = 1 - (2 * overlap + 1) / (probability.sum((1, 2)) + target.sum((1, 2)) + 1)
    return cross_entropy + dice.mean()


def to_tensors(images, previous, targets):
    inputs = torch.from_numpy(encode_input(images, mask_channel(previous)))
    return inputs.contiguous(memory_format=torch.channels_last), torch.from_numpy(
        targets.astype(np.int64)
    )


def evaluate(network: torch.nn.Module, batches: list) -> float:
    """Mean IoU of the object over fixed validation crops (empty-vs-empty counts as 1)."""
    network.eval()
    scores = []
    with torch.no_grad():
        for images, previous, targets in batches:
            inputs, _ = to_tensors(images, previous, targets)
            predicted = network(inputs).argmax(1).numpy().astype(bool)
            truth = targets.astype(bool)
            union = (predicted | truth).sum((1, 2))
            inter = (predicted & truth).sum((1, 2))
            scores.extend(np.where(union == 0, 1.0, inter / np.maximum(union, 1)))
    network.train()
    return float(np.mean(scores))


def train_propagation(
    data: str, out: str, val: str, config: TrainConfig, split: str = "train", val_split: str = "val"
) -> dict:
    torch.set_num_threads(torch.get_num_threads())
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    state_path, log_path = out.with_suffix(".state.pt"), out.with_suffix(".log")
    roi = RoiConfig(enlarge=config.enlarge, size=config.size)
    network = build_network(config.encoder, 4).to(memory_format=torch.channels_last)
    optimizer = torch.optim.AdamW(
        network.parameters(), lr=config.lr, weight_decay=config.weight_decay
    )
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=config.lr, total_steps=config.steps, pct_start=0.05
    )
    rng = np.random.default_rng(config.seed)
    step, elapsed = 0, 0.0
    if state_path.is_file():
        state = torch.load(state_path, map_location="cpu", weights_only=False)
        network.load_state_dict(state["network"])
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["schedule"])
        rng.bit_generator.state = state["rng"]
        step, elapsed = state["step"], state["elapsed"]
        print(f"resumed from {state_path} at step {step}")
    store = VideoStore(data, split)
    val_store = VideoStore(val, val_split)
    val_rng = np.random.default_rng(12345)
    val_batches = [
        sample_batch(val_store, val_rng, roi, 16) for _ in range(config.val_samples // 16)
    ]
    print(
        f"train: {len(store.videos)} videos, {len(store.index)} object-frames; val: {len(val_store.videos)} videos"
    )
    network.train()
    losses = []
    progress = tqdm(total=config.steps, initial=step, desc="train propagation")
    started = time.perf_counter() - elapsed
    while step < config.steps:
        inputs, targets = to_tensors(*sample_batch(store, rng, roi, config.batch))
        loss = segmentation_loss(network(inputs), targets)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
        step += 1
        losses.append(float(loss))
        progress.update(1)
        progress.set_postfix(loss=f"{np.mean(losses[-50:]):.3f}")
        if step % config.eval_every == 0 or step == config.steps:
            record = {
                "step": step,
                "loss": float(np.mean(losses[-config.eval_every :])),
                "val_iou": evaluate(network, val_batches),
                "seconds": round(time.perf_counter() - started),
            }
            with log_path.open("a") as log:
                log.write(json.dumps(record) + "\n")
            progress.write(json.dumps(record))
        if step % config.checkpoint_every == 0 or step == config.steps:
            torch.save(
                {
                    "network": network.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "schedule": schedule.state_dict(),
                    "rng": rng.bit_generator.state,
                    "step": step,
                    "elapsed": time.perf_counter() - started,
                },
                state_path,
            )
    progress.close()
    final = {
        "val_iou": evaluate(network, val_batches),
        "seconds": round(time.perf_counter() - started),
        "steps": step,
    }
    save_checkpoint(
        out,
        network,
        config.encoder,
        4,
        config.size,
        enlarge=config.enlarge,
        train=asdict(config),
        result=final,
    )
    return final
