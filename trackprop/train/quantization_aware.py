"""Quantisation-aware fine-tuning: the network learns to work in the int8 it runs in.

The propagation network runs on ONNX Runtime in int8 (`models/quantize.py`: per-channel
symmetric int8 weights, uint8 activations, ranges calibrated on crops). Calibration alone lost
0.02 J&F on the val videos: each crop's mask is a little off and 50 frames compound it. Here the
network is fine-tuned with the same rounding simulated in its forward pass (straight-through
gradients), so its weights settle where int8 costs nothing:

- batch norms are folded into their convolutions first (as the ONNX export does) and then stay
  fixed: a batch norm whose statistics keep moving is not the one that runs;
- each convolution's weights are rounded per output channel to int8, and its input to uint8 over
  a running range (an exponential mean of each batch's min and max); the output logits too.

The folded network is stored in the usual checkpoint format (each batch norm becomes the identity
plus the folded bias), so everything that reads a checkpoint reads this one.
"""

from __future__ import annotations

import types

import torch

MOMENTUM = 0.01  # of the running activation ranges per training step


def fold_batch_norms(network: torch.nn.Module) -> torch.nn.Module:
    """Each batch norm folded into the convolution before it (in registration order, as in smp
    and timm), then frozen as identity plus bias; computes what it did in eval mode."""
    previous = None
    for module in network.modules():
        if isinstance(module, torch.nn.BatchNorm2d):  # timm's BatchNormAct2d is one too
            if not isinstance(previous, torch.nn.Conv2d):
                raise ValueError("a batch norm without a convolution right before it.")
            with torch.no_grad():
                scale = module.weight / torch.sqrt(module.running_var + module.eps)
                previous.weight.mul_(scale[:, None, None, None])
                bias = module.bias - module.running_mean * scale
                if previous.bias is not None:
                    bias += previous.bias * scale
                    previous.bias.zero_()
                module.bias.copy_(bias)
                module.weight.fill_(1.0)
                module.running_mean.zero_()
                module.running_var.fill_(1.0 - module.eps)
            module.weight.requires_grad_(False)
            module.eval()
            module.train = types.MethodType(lambda self, mode=True: self, module)  # stays frozen
        if isinstance(module, (torch.nn.Conv2d, torch.nn.BatchNorm2d)):
            previous = module
    return network


def int8_weights(weight: torch.Tensor) -> torch.Tensor:
    """Per-output-channel symmetric int8 rounding, gradients straight through."""
    scale = weight.detach().abs().amax(dim=(1, 2, 3)).clamp(min=1e-8) / 127
    zero = torch.zeros_like(scale, dtype=torch.int32)
    return torch.fake_quantize_per_channel_affine(weight, scale, zero, 0, -127, 127)


class RunningRange:
    """uint8 rounding of a tensor over a running (min, max), gradients straight through."""

    def __init__(self):
        self.low: float | None = None
        self.high: float | None = None

    def __call__(self, x: torch.Tensor, learning: bool) -> torch.Tensor:
        low, high = min(float(x.detach().min()), 0.0), max(float(x.detach().max()), 0.0)
        if self.low is None:
            self.low, self.high = low, high
        elif learning:
            self.low += MOMENTUM * (low - self.low)
            self.high += MOMENTUM * (high - self.high)
        scale = max(self.high - self.low, 1e-8) / 255
        zero = round(-self.low / scale)
        return torch.fake_quantize_per_tensor_affine(x, scale, zero, 0, 255)


def _int8_forward(self, x: torch.Tensor) -> torch.Tensor:
    return self._conv_forward(
        self.input_range(x, self.training), int8_weights(self.weight), self.bias
    )


def simulate_int8(network: torch.nn.Module) -> torch.nn.Module:
    """`network` (batch norms folded) with int8 rounding in its forward pass; in place."""
    for module in network.modules():
        if isinstance(module, torch.nn.Conv2d):
            module.input_range = RunningRange()
            module.forward = types.MethodType(_int8_forward, module)
    output_range = RunningRange()
    network.register_forward_hook(
        lambda module, inputs, output: output_range(output, module.training)
    )
    return network


def quantization_aware(network: torch.nn.Module) -> torch.nn.Module:
    """The network prepared for quantisation-aware fine-tuning (in place)."""
    return simulate_int8(fold_batch_norms(network))
