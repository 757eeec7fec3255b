"""Averaging fine-tuned checkpoints (train/checkpoint_average.py)."""

import pytest
import torch

from trackprop.errors import TrackpropError
from trackprop.train.checkpoint_average import average_checkpoints, main


def checkpoint(path, weight, steps, encoder="efficientnet-lite0"):
    state = {
        "conv.weight": torch.tensor(weight).half(),
        "bn.num_batches_tracked": torch.tensor(steps),
    }
    torch.save({"encoder": encoder, "in_channels": 4, "size": 192, "state_dict": state}, path)
    return path


def test_floats_are_averaged_in_their_precision_and_counters_kept(tmp_path):
    a = checkpoint(tmp_path / "a.pt", [1.0, 2.0], 3000)
    b = checkpoint(tmp_path / "b.pt", [3.0, 6.0], 2500)
    c = checkpoint(tmp_path / "c.pt", [2.0, 1.0], 1000)
    averaged = average_checkpoints([a, b, c])
    weight = averaged["state_dict"]["conv.weight"]
    assert weight.dtype == torch.float16
    assert torch.allclose(weight.float(), torch.tensor([2.0, 3.0]))
    assert int(averaged["state_dict"]["bn.num_batches_tracked"]) == 3000
    assert (averaged["encoder"], averaged["in_channels"], averaged["size"]) == (
        "efficientnet-lite0",
        4,
        192,
    )


def test_different_networks_are_refused_by_name(tmp_path):
    a = checkpoint(tmp_path / "a.pt", [1.0, 2.0], 1)
    b = checkpoint(tmp_path / "b.pt", [1.0, 2.0], 1, encoder="efficientnet-lite2")
    with pytest.raises(TrackpropError, match=r"b\.pt: not the same network .*encoder"):
        average_checkpoints([a, b])
    with pytest.raises(TrackpropError, match="at least two"):
        average_checkpoints([a])


def test_command_writes_the_average(tmp_path, capsys):
    a = checkpoint(tmp_path / "a.pt", [0.0, 4.0], 1)
    b = checkpoint(tmp_path / "b.pt", [2.0, 0.0], 1)
    main([str(a), str(b), "--out", str(tmp_path / "soup.pt")])
    written = torch.load(tmp_path / "soup.pt", weights_only=False)
    assert torch.allclose(written["state_dict"]["conv.weight"].float(), torch.tensor([1.0, 2.0]))
    assert "mean of 2 checkpoints" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="missing.pt: checkpoint not found"):
        main([str(a), str(tmp_path / "missing.pt"), "--out", str(tmp_path / "x.pt")])
