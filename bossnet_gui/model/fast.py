"""An inference-only rendering of ``BossNet`` that runs the same arithmetic faster on CPU.

Batch-norm statistics are folded into the convolution weights, and the 1-D convolutions run as
channels-last 2-D convolutions of height 1, which oneDNN executes far closer to the machine's
matrix-multiply peak than ``conv1d`` (measured by ``bench/``). Outputs agree with ``BossNet``
in eval mode to float32 rounding.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.fusion import fuse_conv_bn_weights

from .network import CHANNELS_LAST, BossNet


def _fold(conv: nn.Conv1d, bn: nn.BatchNorm2d) -> tuple[torch.Tensor, torch.Tensor]:
    """Weights and bias of one conv2d (height 1) equal to ``bn(conv(x))`` in eval mode."""
    weight, bias = fuse_conv_bn_weights(conv.weight, conv.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias)
    return weight.detach()[:, :, None, :].contiguous(memory_format=CHANNELS_LAST), bias.detach().contiguous()


class _FoldedConv(nn.Module):
    def __init__(self, conv: nn.Conv1d, bn: nn.BatchNorm2d):
        super().__init__()
        weight, bias = _fold(conv, bn)
        self.register_buffer("weight", weight.detach().clone())
        self.register_buffer("bias", bias.detach().clone())
        self.padding = (0, conv.padding[0])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight, self.bias, padding=self.padding)


class _FastResBlock(nn.Module):
    def __init__(self, block):
        super().__init__()
        self.conv1 = _FoldedConv(block.conv1, block.bn1)
        self.conv2 = _FoldedConv(block.conv2, block.bn2)
        # the shortcut zero-pads channels (floor half before); adding into that slice is the same sum
        first = (block.out_channels - block.in_channels) // 2
        self.shortcut_channels = slice(first, first + block.in_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv2(F.elu(self.conv1(x), inplace=True))
        out[:, self.shortcut_channels].add_(x)
        return F.elu(out, inplace=True)


class _FirstConv(nn.Module):
    """The first folded convolution with the position channel's constant contribution precomputed.

    Convolution is linear in its input channels, so conv([flux, pos, ...]) = conv(flux, ...) +
    conv(pos); the second term is the same for every spectrum and is added as a bias map.
    """

    def __init__(self, conv: nn.Conv1d, bn: nn.BatchNorm2d, pos_enc):
        super().__init__()
        weight, bias = _fold(conv, bn)
        self.pos_enc = pos_enc
        self.padding = (0, conv.padding[0])
        pos_channel = 1 if pos_enc is not None else None
        keep = [c for c in range(weight.shape[1]) if c != pos_channel]
        self.register_buffer("weight", weight[:, keep].contiguous(memory_format=CHANNELS_LAST).detach().clone())
        self.register_buffer("bias", bias.detach().clone())
        self.register_buffer("pos_weight", weight[:, 1:2].detach().clone() if pos_enc is not None else None)
        self._bias_maps: dict[tuple[int, torch.device], torch.Tensor] = {}

    def bias_map(self, x: torch.Tensor) -> torch.Tensor:
        key = (x.shape[-1], x.device)
        if key not in self._bias_maps:
            pos = self.pos_enc(x[:1, :, 0, :])[:, :, None, :]
            self._bias_maps[key] = F.conv2d(pos, self.pos_weight, self.bias, padding=self.padding).contiguous(memory_format=CHANNELS_LAST)
        return self._bias_maps[key]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.pos_enc is None:
            return F.conv2d(x, self.weight, self.bias, padding=self.padding)
        return F.conv2d(x, self.weight, None, padding=self.padding).add_(self.bias_map(x))


def pairwise_max(x: torch.Tensor) -> torch.Tensor:
    """``max_pool2d(x, (1, 2))`` of a channels-last (B, C, 1, L) tensor, as the maximum of its even and odd
    pixels. Channels-last pooling vectorises over channels, and the first layer has only a few: this is
    ~8x faster there (measured, 4 channels) with the same values."""
    length = x.shape[-1] - x.shape[-1] % 2  # an odd last pixel is dropped, as max_pool2d drops it
    pixels = x.permute(0, 2, 3, 1)[:, 0, :length].unflatten(1, (length // 2, 2))  # (B, L/2, 2, C): views
    return torch.maximum(pixels[:, :, 0], pixels[:, :, 1]).permute(0, 2, 1)[:, :, None, :]


class FastBossNet(nn.Module):
    """Same inputs and outputs as the ``BossNet`` it is built from; inference only."""

    def __init__(self, net: BossNet):
        super().__init__()
        net = net.eval()
        self.first = _FirstConv(net.first_conv.conv_layer, net.first_conv.bn, net.pos_enc)
        self.blocks = nn.ModuleList(_FastResBlock(b) for b in net.res_blocks)
        self.pool_size = net.args.adapt_pool_output_dim
        self.linear_input_size = net.linear_input_size
        self.linear = net.linear_sequential

    @torch.inference_mode()
    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Input channels (flux, then any extra channel; the position channel is implicit)."""
        out = x[:, :, None, :].contiguous(memory_format=CHANNELS_LAST)
        # ELU is non-decreasing, so it commutes with the max: applied after pooling, on half the pixels
        out = F.elu(pairwise_max(self.first(out)), inplace=True)
        for block in self.blocks:
            out = block(out)
        return F.adaptive_avg_pool2d(out, (1, self.pool_size)).flatten(1)

    @torch.inference_mode()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(self.features(x))
