"""Speed of a training step of the bundled model's recipe, against the earlier loop in the same run.

    .venv/bin/python bench/training.py [--steps 15]

Needs the MILES/STELIB/LAMOST libraries in ../shared/data. Times the same steps (a batch of views
plus outlier examples as ``Schedule`` sets them, forward, backward, Adamax) three ways:
  (a) the earlier loop: views simulated, then the network run with ``conv1d`` (as before commit 54d37a1);
  (b) the same serial loop with the network's channels-last 2-D convolutions;
  (c) ``train.fit`` itself: (b) with the next step's views simulated in a second thread.
Prints seconds per step, the ratios to (a), and what 70 epochs of 100 steps would take. (c) is the
difference of a 2-step and a (2 + steps)-step ``fit``: with fewer than ~15 steps it is noise.
Target (issue 4): the whole training command in under an hour on a 2-core CPU.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bossnet_gui.model.network import BossNet  # noqa: E402
from bossnet_gui.training.pipeline import prepare  # noqa: E402
from bossnet_gui.training.sources import chosen  # noqa: E402
from bossnet_gui.training.train import (  # noqa: E402
    SMALL_ARGS, Schedule, _step_loss, draw_step, evaluate_loss, fit, fixed_views, per_label_loss, remove_flux_offset,
)


class Conv1dBossNet(BossNet):
    """The network's arithmetic with ``conv1d`` on (B, C, L), as it ran before the 2-D form."""

    def features(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.cat([x[:, :1], self.pos_enc(x), x[:, 1:]], dim=1)
        first = self.first_conv
        out = F.max_pool1d(F.elu(self._bn(first.bn, first.conv_layer(x))), 2)
        for block in self.res_blocks:
            inner = self._bn(block.bn2, block.conv2(F.elu(self._bn(block.bn1, block.conv1(out)))))
            extra = block.out_channels - block.in_channels
            shortcut = F.pad(out, (0, 0, extra // 2, extra - extra // 2)) if extra else out
            out = F.elu(inner + shortcut)
        return F.adaptive_avg_pool1d(out, self.args.adapt_pool_output_dim).flatten(1)

    @staticmethod
    def _bn(bn, x):
        return F.batch_norm(x, bn.running_mean, bn.running_var, bn.weight, bn.bias, bn.training, bn.momentum, bn.eps)


def serial_steps(network: BossNet, data, schedule: Schedule, steps: int, warmup: int = 2) -> float:
    """Seconds per step of the serial loop (views, then network) after ``warmup`` steps."""
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    head = torch.nn.Linear(SMALL_ARGS.linear_dim, 1)
    optimizer = torch.optim.Adamax([*network.parameters(), *head.parameters()], lr=1e-3)
    probability = data.weights / data.weights.sum()
    network.train()
    for n in range(warmup + steps):
        if n == warmup:
            start = time.perf_counter()
        step = draw_step(data.views, data.train, probability, data.scaling, schedule, rng, data.views.augmentation)
        loss = _step_loss(network, head, step, schedule)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        remove_flux_offset(network)
    return (time.perf_counter() - start) / steps


def fit_steps(data, schedule: Schedule, steps: int) -> tuple[float, float]:
    """Seconds per step of ``fit`` (prefetching loop), from two runs of 2 and 2 + ``steps`` steps, and
    the seconds of one epoch's validation pass."""
    validation = fixed_views(data.views, data.validation, schedule.validation_views, 0, "validation")
    times = []
    for n in (2, 2 + steps):
        one_epoch = replace(schedule, max_epochs=1, steps_per_epoch=n)
        start = time.perf_counter()
        fit(data.views, data.train, data.weights, validation, data.scaling, SMALL_ARGS, one_epoch, 0, log=lambda *_: None)
        times.append(time.perf_counter() - start)
    network = BossNet(SMALL_ARGS)
    start = time.perf_counter()
    evaluate_loss(network, validation, data.scaling)
    per_label_loss(network, validation, data.scaling)
    return (times[1] - times[0]) / steps, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=15)
    args = parser.parse_args()
    torch.set_num_threads(2)
    data = prepare(tuple(chosen(None)), 0, log=lambda *_: None)
    schedule = Schedule()
    print(f"{torch.get_num_threads()} threads, {torch.backends.cpu.get_cpu_capability()}; batch {schedule.batch_size} + "
          f"{schedule.outliers_per_batch} outlier examples, {args.steps} timed steps")
    torch.manual_seed(0)
    baseline = serial_steps(Conv1dBossNet(SMALL_ARGS), data, schedule, args.steps)
    torch.manual_seed(0)
    channels_last = serial_steps(BossNet(SMALL_ARGS), data, schedule, args.steps)
    prefetching, validation = fit_steps(data, schedule, args.steps)
    epochs, per_epoch = schedule.max_epochs, schedule.steps_per_epoch
    for name, seconds in (("(a) serial, conv1d", baseline), ("(b) serial, channels-last conv2d", channels_last), ("(c) fit: (b) + views in a second thread", prefetching)):
        run = epochs * (per_epoch * seconds + validation) / 60
        print(f"{name:42s} {seconds:6.3f} s/step  {baseline / seconds:4.2f}x  -> {epochs} epochs: {run:5.1f} min")
    print(f"validation pass per epoch: {validation:.1f} s (included above); the run adds data loading, scorer fit and evaluation")


if __name__ == "__main__":
    main()
