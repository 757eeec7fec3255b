"""--device: the CPU is the default everywhere; cuda where there is none is one documented line."""

import subprocess
import sys

import numpy as np
import onnxruntime
import pytest

from trackprop.errors import TrackpropError
from trackprop.session import Session

HAS_CUDA = "CUDAExecutionProvider" in onnxruntime.get_available_providers()
NO_CUDA = "--device cuda: this ONNX Runtime has no CUDAExecutionProvider"

COMMANDS = {
    "propagate": ["propagate", "video.mp4", "--mask", "m.png", "--out", "out"],
    "batch": ["batch", "jobs.jsonl", "--out", "out"],
    "serve": ["serve"],
    "eval": ["eval", "interactive", "--root", "davis", "--report", "report"],
    "ablation": ["eval", "ablation", "--root", "davis", "--report", "report"],
}


@pytest.mark.skipif(HAS_CUDA, reason="this machine has the CUDA provider")
@pytest.mark.parametrize("command", COMMANDS)
def test_cuda_without_a_gpu_is_one_line_before_any_work(command, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "trackprop.cli", *COMMANDS[command], "--device", "cuda"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.startswith(f"trackprop: error: {NO_CUDA}")
    assert result.stderr.count("\n") == 1
    assert list(tmp_path.iterdir()) == []  # nothing written


@pytest.mark.skipif(HAS_CUDA, reason="this machine has the CUDA provider")
def test_training_on_cuda_without_a_gpu(tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("torch sees a GPU")
    command = ["train", "propagation", "--data", "d", "--val", "v", "--out", "x.pt"]
    result = subprocess.run(
        [sys.executable, "-m", "trackprop.cli", *command, "--device", "cuda"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 2 and "torch finds no CUDA GPU here" in result.stderr


def test_the_api_takes_the_device_as_a_parameter():
    frames = np.zeros((2, 32, 32, 3), np.uint8)
    assert Session(frames).device == "cpu"
    with pytest.raises(TrackpropError, match="unknown device 'tpu'"):
        Session(frames, device="tpu")
    if HAS_CUDA:
        assert Session(frames, device="cuda").device == "cuda"
    else:
        with pytest.raises(TrackpropError, match=NO_CUDA):
            Session(frames, device="cuda")
