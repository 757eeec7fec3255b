"""A narrower DeepLab v3+ decoder cut from a trained one (network slimming, Liu et al. 2017).

A third of the propagation network's time on the CPU is its decoder, most of it the separable
convolution over 256 + 48 channels at a quarter of the input's side. `narrow_decoder` keeps, in
every layer of the decoder, the `channels` output channels whose batch norm scales |gamma| are
largest, and the weights between kept channels, so that a fine-tune starts from what the wide
decoder learnt instead of from scratch. The encoder is untouched.
"""

from __future__ import annotations

import torch

from trackprop.models.networks import build_network, decoder_width


def layers(module: torch.nn.Module, kind: type) -> list:
    """`module`'s layers of one kind, in order."""
    return [m for m in module.modules() if isinstance(m, kind)]


def strongest(norm: torch.nn.BatchNorm2d, count: int) -> torch.Tensor:
    """Indices (ascending) of the `count` channels with the largest |gamma|."""
    return norm.weight.detach().abs().topk(count).indices.sort().values


def narrow_decoder(
    network: torch.nn.Module, encoder: str, in_channels: int, channels: int
) -> torch.nn.Module:
    """A copy of `network` whose decoder has `channels` channels (fewer than it has)."""
    wide = decoder_width(network)
    if not 0 < channels < wide:
        raise ValueError(f"a decoder of {wide} channels narrows to 1..{wide - 1}, not {channels}.")
    narrow = build_network(encoder, in_channels, decoder_channels=channels)
    narrow.encoder.load_state_dict(network.encoder.state_dict())
    source, target = network.decoder, narrow.decoder
    aspp, aspp_narrow = source.aspp[0], target.aspp[0]

    branch_kept = []
    for index, (branch, cut) in enumerate(zip(aspp.convs, aspp_narrow.convs, strict=True)):
        convs, cut_convs = layers(branch, torch.nn.Conv2d), layers(cut, torch.nn.Conv2d)
        [norm], [cut_norm] = layers(branch, torch.nn.BatchNorm2d), layers(cut, torch.nn.BatchNorm2d)
        kept = strongest(norm, channels)
        for conv, cut_conv in zip(convs[:-1], cut_convs[:-1], strict=True):
            cut_conv.load_state_dict(conv.state_dict())  # depthwise over the encoder's channels
        copy_conv(convs[-1], cut_convs[-1], kept, None)
        copy_norm(norm, cut_norm, kept)
        branch_kept.append(kept + index * wide)
    projected = strongest(aspp.project[1], channels)
    copy_conv(aspp.project[0], aspp_narrow.project[0], projected, torch.cat(branch_kept))
    copy_norm(aspp.project[1], aspp_narrow.project[1], projected)

    depthwise, pointwise = source.aspp[1]
    smoothed = strongest(source.aspp[2], channels)
    copy_conv(depthwise, target.aspp[1][0], projected, None)
    copy_conv(pointwise, target.aspp[1][1], smoothed, projected)
    copy_norm(source.aspp[2], target.aspp[2], smoothed)

    target.block1.load_state_dict(source.block1.state_dict())
    high = source.block1[0].out_channels
    joined = torch.cat([smoothed, wide + torch.arange(high)])  # [upsampled ASPP, high-res]
    depthwise, pointwise = source.block2[0]
    out = strongest(source.block2[1], channels)
    copy_conv(depthwise, target.block2[0][0], joined, None)
    copy_conv(pointwise, target.block2[0][1], out, joined)
    copy_norm(source.block2[1], target.block2[1], out)

    head, head_narrow = network.segmentation_head[0], narrow.segmentation_head[0]
    copy_conv(head, head_narrow, None, out)
    return narrow


def copy_conv(
    conv: torch.nn.Conv2d,
    into: torch.nn.Conv2d,
    outputs: torch.Tensor | None,
    inputs: torch.Tensor | None,
) -> None:
    """`into` takes `conv`'s weights at the kept output / input channels (None: all). A depthwise
    convolution keeps its kept channels' filters (its inputs are its outputs)."""
    weight = conv.weight.detach()
    if outputs is not None:
        weight = weight[outputs]
    if inputs is not None and conv.groups == 1:
        weight = weight[:, inputs]
    into.weight.data.copy_(weight)
    if conv.bias is not None:
        bias = conv.bias.detach()
        into.bias.data.copy_(bias if outputs is None else bias[outputs])


def copy_norm(norm: torch.nn.BatchNorm2d, into: torch.nn.BatchNorm2d, kept: torch.Tensor) -> None:
    for name in ("weight", "bias", "running_mean", "running_var"):
        getattr(into, name).data.copy_(getattr(norm, name).detach()[kept])
