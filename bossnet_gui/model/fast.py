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

from .network import BossNet

CHANNELS_LAST = torch.channels_last


def _fold(conv: nn.Conv1d, bn: nn.BatchNorm1d) -> tuple[torch.Tensor, torch.Tensor]:
    """Weights and bias of one conv2d (height 1) equal to ``bn(conv(x))`` in eval mode."""
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    weight = conv.weight * scale[:, None, None]
    bias = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)
    bias = (bias - bn.running_mean) * scale + bn.bias
    return weight[:, :, None, :].contiguous(memory_format=CHANNELS_LAST), bias.contiguous()


class _FoldedConv(nn.Module):
    def __init__(self, conv: nn.Conv1d, bn: nn.BatchNorm1d):
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
        extra = block.out_channels - block.in_channels
        self.channel_pad = (extra // 2, extra - extra // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv2(F.elu(self.conv1(x)))
        if any(self.channel_pad):
            x = F.pad(x, (0, 0, 0, 0, *self.channel_pad))
        return F.elu(out.add_(x))


class FastBossNet(nn.Module):
    """Same inputs and outputs as the ``BossNet`` it is built from; inference only."""

    def __init__(self, net: BossNet):
        super().__init__()
        net = net.eval()
        self.pos_enc = net.pos_enc
        self.first = _FoldedConv(net.first_conv.conv_layer, net.first_conv.bn)
        self.blocks = nn.ModuleList(_FastResBlock(b) for b in net.res_blocks)
        self.pool_size = net.args.adapt_pool_output_dim
        self.linear = net.linear_sequential

    @torch.inference_mode()
    def features(self, x: torch.Tensor) -> torch.Tensor:
        if self.pos_enc is not None:
            x = torch.cat([x[:, :1], self.pos_enc(x), x[:, 1:]], dim=1)
        out = x[:, :, None, :].contiguous(memory_format=CHANNELS_LAST)
        out = F.max_pool2d(F.elu(self.first(out)), (1, 2))
        for block in self.blocks:
            out = block(out)
        return F.adaptive_avg_pool2d(out, (1, self.pool_size)).flatten(1)

    @torch.inference_mode()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(self.features(x))
