"""The training loop's batches, schedule and wall-time limit: batches are a function of the seed
and the step (the same in forked workers, after a resume), the schedule is one cycle, `minutes`
ends it."""

import json
import os

import numpy as np
import pytest
import torch

from trackprop.cli import build_parser, train_config
from trackprop.data.builtin import builtin_pool
from trackprop.data.synth import SynthConfig, synthesize
from trackprop.errors import TrackpropError
from trackprop.train.feed import batches
from trackprop.train.loop import TrainConfig, fit, near_boundaries, one_cycle_lr
from trackprop.train.propagation import train_propagation
from trackprop.train.propagation_data import VideoStore


def noise(rng: np.random.Generator, batch: int):
    return rng.normal(size=(batch, 3)).astype(np.float32), rng.integers(0, 2, (batch,))


def first(feed, count: int) -> list:
    drawn = [next(feed) for _ in range(count)]
    feed.close()
    return drawn


def test_batches_are_the_same_in_workers_and_after_a_resume():
    alone = first(batches(noise, 4, seed=3, first=0, workers=0), 5)
    forked = first(batches(noise, 4, seed=3, first=0, workers=2), 5)
    resumed = first(batches(noise, 4, seed=3, first=2, workers=2), 3)
    for a, b in zip(alone, forked, strict=True):
        assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    for a, b in zip(alone[2:], resumed, strict=True):
        assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not np.array_equal(alone[0][0], alone[1][0])
    other_seed = first(batches(noise, 4, seed=4, first=0, workers=0), 1)
    assert not np.array_equal(alone[0][0], other_seed[0][0])


def dies(rng: np.random.Generator, batch: int):
    os._exit(1)  # as a worker killed by the kernel (out of memory) ends


def test_a_dead_worker_ends_the_training_with_an_error():
    with pytest.raises(TrackpropError, match="a batch worker died"):
        first(batches(dies, 4, seed=0, first=0, workers=1), 1)


def test_the_schedule_warms_up_then_anneals_to_almost_nothing():
    assert one_cycle_lr(0, 1e-3) == pytest.approx(1e-3 / 25)
    assert one_cycle_lr(0.05, 1e-3) == pytest.approx(1e-3)
    assert one_cycle_lr(1, 1e-3) == pytest.approx(1e-3 / 25e4)
    rates = [one_cycle_lr(p, 1e-3) for p in np.linspace(0, 1, 101)]
    peak = int(np.argmax(rates))
    assert peak == 5 and all(np.diff(rates[: peak + 1]) > 0) and all(np.diff(rates[peak:]) < 0)


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    out = tmp_path_factory.mktemp("videos")
    small = SynthConfig(frames=6, height=120, width=200, min_objects=1, max_objects=2)
    synthesize(out, builtin_pool(), videos=3, seed=11, split="train", config=small, workers=1)
    return out


def test_videos_read_by_workers_are_the_videos_read_alone(root):
    alone, forked = VideoStore(str(root), "train"), VideoStore(str(root), "train", workers=2)
    assert alone.index == forked.index and alone.hidden == forked.hidden
    assert alone.frames == forked.frames
    for a, b in zip(alone.labels, forked.labels, strict=True):
        assert np.array_equal(a.to_array(), b.to_array())


def test_a_training_with_minutes_ends_in_time_with_its_log_and_state(root, tmp_path):
    torch.set_num_threads(1)
    out = tmp_path / "timed.pt"
    config = TrainConfig(
        steps=10_000, batch=2, size=64, eval_every=10_000, val_batches=1, threads=1,
        workers=1, minutes=0.1,
    )  # fmt: skip
    result = train_propagation(str(root), str(out), str(root), config, val_split="train")
    assert 0 < result["steps"] < 10_000 and out.is_file()
    [record] = [json.loads(line) for line in out.with_suffix(".log").read_text().splitlines()]
    assert record["step"] == result["steps"] and 0 <= record["val_iou"] <= 1
    state = torch.load(out.with_suffix(".state.pt"), weights_only=False)
    assert state["step"] == result["steps"] and state["elapsed"] >= 6
    with pytest.raises(TrackpropError, match="--workers cuts plain samples"):
        train_propagation(str(root), str(out), str(root), config, "train", "train", True)


def test_the_command_line_seed_picks_the_training_stream():
    common = ["train", "propagation", "--data", "d", "--val", "v", "--out", "o.pt"]
    assert train_config(build_parser().parse_args(common)).seed == 0
    assert train_config(build_parser().parse_args([*common, "--seed", "5"])).seed == 5
    assert train_config(build_parser().parse_args([*common, "--ema", "0.999"])).ema == 0.999
    for bad in (["--ema", "1"], ["--decoder-channels", "-8"]):
        with pytest.raises(TrackpropError, match="--ema must lie in"):  # before any data is read
            train_config(build_parser().parse_args([*common, *bad]))


def linear_fit(out, ema: float, stop_at: int | None = None) -> torch.nn.Module:
    """4 steps of a linear layer with a batch norm on noise; the loss raises at step `stop_at`."""
    torch.manual_seed(0)
    network = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    calls = []

    def loss(network, batch):
        calls.append(1)
        if len(calls) == stop_at:
            raise KeyboardInterrupt  # as a kill mid-training
        inputs, targets = batch
        return torch.nn.functional.cross_entropy(
            network(torch.from_numpy(inputs)), torch.from_numpy(targets)
        )

    def weight_sum(network):
        return {"val_iou": float(network[0].weight.detach().sum())}

    config = TrainConfig(
        steps=4, batch=4, lr=0.5, eval_every=2, checkpoint_every=1, threads=1, ema=ema
    )
    fit(network, noise, loss, weight_sum, config, out, "test")
    return network


def test_the_moving_average_ships_resumes_and_is_the_last_weights_at_no_memory(tmp_path):
    averaged = linear_fit(tmp_path / "a.pt", ema=0.7)
    raw = torch.load(tmp_path / "a.state.pt", weights_only=False)["network"]
    assert not torch.allclose(averaged[0].weight, raw["0.weight"])
    assert not torch.allclose(averaged[1].running_mean, raw["1.running_mean"])
    records = [json.loads(line) for line in (tmp_path / "a.log").read_text().splitlines()]
    assert [r["step"] for r in records] == [2, 4]
    assert records[-1]["ema_val_iou"] == pytest.approx(float(averaged[0].weight.detach().sum()))
    assert records[-1]["val_iou"] == pytest.approx(float(raw["0.weight"].sum()))

    with pytest.raises(KeyboardInterrupt):
        linear_fit(tmp_path / "b.pt", ema=0.7, stop_at=3)
    resumed = linear_fit(tmp_path / "b.pt", ema=0.7)  # from the state after step 2
    for a, b in zip(averaged.state_dict().values(), resumed.state_dict().values(), strict=True):
        assert torch.equal(a, b)

    forgetful = linear_fit(tmp_path / "c.pt", ema=1e-9)
    assert torch.allclose(forgetful[0].weight, raw["0.weight"], atol=1e-6)
    with pytest.raises(TrackpropError, match="--ema 1.5"):
        linear_fit(tmp_path / "d.pt", ema=1.5)


def test_the_boundary_weights_cover_a_band_either_side_of_the_edge():
    targets = torch.zeros(1, 20, 20, dtype=torch.long)
    targets[0, 5:15, 5:15] = 1  # a 10 x 10 square
    weights = near_boundaries(2.0, radius=2)(torch.zeros(1, 4, 20, 20), targets)[0]
    assert weights[10, 10] == 1 and weights[0, 0] == 1  # deep inside, far outside
    assert weights[10, 5] == 3 and weights[10, 4] == 3  # on the edge, either side of it
    assert weights[10, 6] == 3 and weights[10, 7] == 1  # 2 px inside the edge, then 3 px
    assert weights[10, 3] == 3 and weights[10, 2] == 1  # 2 px outside, then 3 px
    assert (weights == 3).sum() == 14 * 14 - 6 * 6  # the band: the square grown and shrunk by 2
