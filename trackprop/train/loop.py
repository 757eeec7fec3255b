"""The training loop every network shares: a loss per step in, resumable checkpoints and a log out.

`fit` is the loop (segmentation networks and the learned trackers use it). For segmentation, a
sampler draws a batch: (inputs (B,C,S,S) float32, targets (B,S,S) int64 0/1). The loop
writes <out>.state.pt (weights, optimizer, step, time) every `checkpoint_every` steps and
resumes from it (the schedule and the batches are functions of the step); <out>.log gets one JSON line per evaluation (step, loss, val IoU, seconds); at the
end <out> holds the fp16 checkpoint that ships and <out minus .pt>.onnx its ONNX export.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from tqdm import tqdm

from trackprop.atomic import atomic_path
from trackprop.errors import TrackpropError
from trackprop.models.export import export_checkpoint
from trackprop.models.networks import (
    DECODER_CHANNELS,
    build_network,
    decoder_width,
    fit_input,
    has_imagenet_weights,
    load_checkpoint,
    save_checkpoint,
)
from trackprop.train.feed import Sampler, batches
from trackprop.train.prune import narrow_decoder
from trackprop.train.quantization_aware import quantization_aware

Batch = tuple[np.ndarray, np.ndarray]
BatchLoss = Callable[[torch.nn.Module, Any], torch.Tensor]
PixelWeights = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (inputs, targets) -> (B,H,W)
Evaluate = Callable[[torch.nn.Module], dict]


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 6000
    batch: int = 8
    lr: float = 1e-3
    weight_decay: float = 1e-4
    encoder: str = "efficientnet-lite0"
    size: int = 192
    eval_every: int = 250
    checkpoint_every: int = 100
    # On a GPU 100 steps take seconds: a state (weights and optimizer, ~95 MB) at most this
    # often then, so that saving does not take a tenth of the lease.
    checkpoint_seconds: float = 0.0
    val_batches: int = 12  # of 16 samples, drawn once with a fixed seed
    seed: int = 0
    threads: int = 2  # torch intra-op threads; oversubscribing the cores slows training tenfold
    init: str | None = None  # a checkpoint to fine-tune further (default: ImageNet encoder)
    device: str = "cpu"  # torch device of the training ("cuda" where one is present)
    workers: int = 0  # processes cutting the batches (0: the training's own)
    minutes: float | None = None  # the schedule ends at this wall time if before `steps`
    int8_aware: bool = False  # fine-tune with int8 rounding simulated (quantization_aware.py)
    # Where above 0: what ships is an exponential moving average of the weights (and batch-norm
    # statistics) with this decay per step, not the last step's weights.
    ema: float = 0.0
    # Where above 0, the decoder's width; an --init network with a wider decoder is narrowed to
    # it (train/prune.py). 0: the init's width, or DECODER_CHANNELS from ImageNet.
    decoder_channels: int = 0

    def __post_init__(self) -> None:
        # Checked when the command line is read, before any data: the one place for both bounds.
        if not (0 <= self.ema < 1 and self.decoder_channels >= 0):
            raise TrackpropError(
                f"--ema {self.ema}, --decoder-channels {self.decoder_channels}: --ema must lie "
                "in [0, 1) and --decoder-channels be 0 or more."
            )


def segmentation_loss(
    logits: torch.Tensor, targets: torch.Tensor, weights: torch.Tensor | None = None
) -> torch.Tensor:
    """Cross-entropy plus soft Dice on the object channel (Dice keeps small objects weighted).

    `weights` (B,H,W), where given, weigh each pixel's cross-entropy (their mean stays its scale).
    """
    if weights is None:
        cross_entropy = torch.nn.functional.cross_entropy(logits, targets)
    else:
        per_pixel = torch.nn.functional.cross_entropy(logits, targets, reduction="none")
        cross_entropy = (per_pixel * weights).sum() / weights.sum()
    probability = logits.softmax(1)[:, 1]
    target = targets.float()
    overlap = (probability * target).sum((1, 2))
    dice = 1 - (2 * overlap + 1) / (probability.sum((1, 2)) + target.sum((1, 2)) + 1)
    return cross_entropy + dice.mean()


def near_boundaries(weight: float, radius: int = 3) -> PixelWeights:
    """Pixel weights 1 + weight within `radius` crop pixels of the target's boundary: the
    cross-entropy counts most where the mask's edge is (J&F's F scores only the edge)."""

    def weights(inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        target = targets[:, None].float()
        grown = torch.nn.functional.max_pool2d(target, 2 * radius + 1, 1, radius)
        shrunk = -torch.nn.functional.max_pool2d(-target, 2 * radius + 1, 1, radius)
        return 1 + weight * (grown != shrunk)[:, 0].float()

    return weights


def torch_device(name: str) -> torch.device:
    """The training device, if present (else a one-line error)."""
    if name == "cuda" and not torch.cuda.is_available():
        raise TrackpropError(
            "--device cuda: torch finds no CUDA GPU here; --device cpu runs anywhere."
        )
    if name not in ("cpu", "cuda"):
        raise TrackpropError(f"unknown device '{name}'; choose one of: cpu, cuda.")
    return torch.device(name)


def to_tensors(
    batch: Batch, device: torch.device | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    inputs, targets = batch
    tensor = torch.from_numpy(inputs).to(device).contiguous(memory_format=torch.channels_last)
    return tensor, torch.from_numpy(targets.astype(np.int64)).to(device)


def mean_iou(
    network: torch.nn.Module, batches: list[Batch], device: torch.device | None = None
) -> float:
    """Mean IoU of the object over fixed validation crops (empty-vs-empty counts as 1)."""
    network.eval()
    scores = []
    with torch.no_grad():
        for inputs, targets in batches:
            logits = network(to_tensors((inputs, targets), device)[0])
            predicted = logits.argmax(1).cpu().numpy().astype(bool)
            truth = targets.astype(bool)
            union = (predicted | truth).sum((1, 2))
            inter = (predicted & truth).sum((1, 2))
            scores.extend(np.where(union == 0, 1.0, inter / np.maximum(union, 1)))
    network.train()
    return float(np.mean(scores))


def one_cycle_lr(progress: float, max_lr: float, warmup: float = 0.05) -> float:
    """The learning rate at `progress` (0..1) of a one-cycle schedule (torch's OneCycleLR's
    cosine shape: from max_lr/25 up to max_lr over `warmup`, then down to max_lr/25e4)."""
    start, end = max_lr / 25, max_lr / 25e4

    def cosine(high: float, low: float, fraction: float) -> float:
        return low + (high - low) * (1 + math.cos(math.pi * min(fraction, 1.0))) / 2

    if progress < warmup:
        return cosine(max_lr, start, 1 - progress / warmup)
    return cosine(max_lr, end, (progress - warmup) / (1 - warmup))


def fit(
    network: torch.nn.Module,
    sampler: Sampler,
    batch_loss: BatchLoss,
    evaluate: Evaluate,
    config: TrainConfig,
    out: Path,
    desc: str,
) -> dict:
    """Optimise `network` for config.steps steps, resuming from and checkpointing to <out>.state.pt.

    With `config.ema`, an exponential moving average of the weights is kept beside them, logged
    with an `ema_` prefix and copied into `network` at the end (so it is what ships).

    `sampler(rng, batch)` draws a batch (`feed.batches`: by step number, in `config.workers`
    forked workers where asked); `batch_loss(network, batch)` is its loss (bf16 autocast on a
    GPU); `evaluate(network)` returns the validation metrics logged every `eval_every` steps and
    at the end. With `config.minutes`, the schedule runs over whichever ends first, the steps or
    the wall time: a training on a lent machine ends annealed inside its lease.
    """
    torch.set_num_threads(config.threads)
    device = torch_device(config.device)
    out.parent.mkdir(parents=True, exist_ok=True)
    state_path, log_path = out.with_suffix(".state.pt"), out.with_suffix(".log")
    optimizer = torch.optim.AdamW(
        network.parameters(), lr=config.lr, weight_decay=config.weight_decay
    )
    averaged = moving_average(network, config.ema) if config.ema else None
    step, elapsed = 0, 0.0
    if state_path.is_file():
        state = torch.load(state_path, map_location=config.device, weights_only=False)
        network.load_state_dict(state["network"])
        optimizer.load_state_dict(state["optimizer"])
        if averaged is not None:
            averaged.load_state_dict(state["averaged"])
        step, elapsed = state["step"], state["elapsed"]
        print(f"resumed from {state_path} at step {step}")
    network.train()
    losses: list[float] = []
    progress = tqdm(total=config.steps, initial=step, desc=desc)
    started = time.perf_counter() - elapsed
    seconds = config.minutes * 60 if config.minutes else math.inf

    def done() -> float:
        # steps 0 saves the start as it is (e.g. a memory network narrowed to the propagation
        # one), validated and in the shipped format.
        return max(step / max(config.steps, 1), (time.perf_counter() - started) / seconds)

    feed = batches(sampler, config.batch, config.seed, step, config.workers)
    last_saved = -math.inf
    torch.backends.cudnn.benchmark = True  # fixed input sizes: the fastest kernels, once found
    finished = step >= config.steps or done() >= 1
    while not finished:
        for group in optimizer.param_groups:
            group["lr"] = one_cycle_lr(done(), config.lr)
        with torch.autocast(device.type, torch.bfloat16, enabled=device.type == "cuda"):
            loss = batch_loss(network, next(feed))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if averaged is not None:
            averaged.update_parameters(network)
        step += 1
        losses.append(float(loss.detach()))
        progress.update(1)
        progress.set_postfix(loss=f"{np.mean(losses[-50:]):.3f}")
        finished = step >= config.steps or done() >= 1
        if step % config.eval_every == 0 or finished:
            record = {
                "step": step,
                "loss": float(np.mean(losses[-config.eval_every :])),
                **evaluate(network),
                **({} if averaged is None else prefixed("ema_", evaluate(averaged.module))),
                "seconds": round(time.perf_counter() - started),
            }
            network.train()
            with log_path.open("a") as log:
                log.write(json.dumps(record) + "\n")
            progress.write(json.dumps(record))
        saved_long_ago = time.perf_counter() - last_saved >= config.checkpoint_seconds
        if (step % config.checkpoint_every == 0 and saved_long_ago) or finished:
            last_saved = time.perf_counter()
            state = {
                "network": network.state_dict(),
                "optimizer": optimizer.state_dict(),
                "step": step,
                "elapsed": time.perf_counter() - started,
                **({} if averaged is None else {"averaged": averaged.state_dict()}),
            }
            with atomic_path(state_path) as partial:  # a kill mid-write keeps the last state
                torch.save(state, partial)
    feed.close()  # ends the workers
    progress.close()
    if averaged is not None:
        network.load_state_dict(averaged.module.state_dict())
    final = {**evaluate(network), "seconds": round(time.perf_counter() - started), "steps": step}
    network.train()
    return final


def moving_average(network: torch.nn.Module, decay: float) -> AveragedModel:
    """An exponential moving average of `network`'s weights and buffers (torch's EMA)."""
    return AveragedModel(network, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True)


def prefixed(prefix: str, metrics: dict) -> dict:
    return {prefix + key: value for key, value in metrics.items()}


def initial_network(config: TrainConfig, in_channels: int) -> torch.nn.Module:
    """The start: a checkpoint to train further, or the encoder's ImageNet weights where packaged."""
    if config.init is None:
        return build_network(
            config.encoder,
            in_channels,
            has_imagenet_weights(config.encoder),
            config.decoder_channels or DECODER_CHANNELS,
        )
    network, checkpoint = load_checkpoint(config.init)
    if checkpoint["encoder"] != config.encoder:
        raise TrackpropError(
            f"{config.init}: a {checkpoint['encoder']} network cannot start a {config.encoder} one."
        )
    # A network with fewer inputs starts one with more (propagation -> with a memory), and one
    # with more starts one with fewer as if its extra inputs were blank (memory -> propagation).
    network = fit_input(network, in_channels)
    wide = decoder_width(network)
    if config.decoder_channels and config.decoder_channels != wide:
        if config.decoder_channels > wide:
            raise TrackpropError(
                f"--decoder-channels {config.decoder_channels}: {config.init} has {wide}; a "
                "decoder can be narrowed, not widened."
            )
        network = narrow_decoder(network, config.encoder, in_channels, config.decoder_channels)
    return network.train()


def train_network(
    sampler: Sampler,
    val_sampler: Sampler,
    in_channels: int,
    config: TrainConfig,
    out: str | Path,
    desc: str,
    pixel_weights: PixelWeights | None = None,
    **meta,
) -> dict:
    """A segmentation network: trained by `fit`, then shipped as fp16 .pt and ONNX.

    `pixel_weights(inputs, targets)`, where given, weighs each pixel of the loss
    (segmentation_loss)."""
    out = Path(out)
    device = torch_device(config.device)
    network = initial_network(config, in_channels)
    if config.int8_aware:
        network = quantization_aware(network)
    network = network.to(device, memory_format=torch.channels_last)
    val_rng = np.random.default_rng(12345)
    val_batches = [val_sampler(val_rng, 16) for _ in range(config.val_batches)]

    def batch_loss(network: torch.nn.Module, batch: Batch) -> torch.Tensor:
        inputs, targets = to_tensors(batch, device)
        weights = pixel_weights(inputs, targets) if pixel_weights else None
        return segmentation_loss(network(inputs), targets, weights)

    def evaluate(network: torch.nn.Module) -> dict:
        return {"val_iou": mean_iou(network, val_batches, device)}

    final = fit(network, sampler, batch_loss, evaluate, config, out, desc)
    network = network.cpu()  # what ships is read on the CPU
    save_checkpoint(
        out,
        network,
        config.encoder,
        in_channels,
        config.size,
        train=asdict(config),
        result=final,
        **meta,
    )
    export_checkpoint(out, out.with_suffix(".onnx"))  # from the fp16-rounded weights that ship
    return final
