"""The training loop: weighted sampling of stars, fresh simulated views every step, early stopping.

Each step draws a batch of training stars with probability proportional to their inverse label
density (``weighting``), simulates a new observation of each (``views``), and minimises a Huber
loss of the normalised labels (smooth L1), masking labels a star does not have: absolute error beyond a small
``huber_delta``, so the network learns the conditional median rather than the mean. Where a noisy
spectrum leaves two answers open (a G dwarf or a subgiant), the mean sits between them and is
wrong for both; the median takes the likelier one. It also shrugs off the library's label outliers. A fixed set of
simulated validation views (same seed every run) decides early stopping; the best state is kept.
Validation, early stopping and the saved network use an exponential moving average of the weights
(``WeightAverage``): with fresh random views every step the raw weights jitter around the
minimum, and their running mean sits closer to it.
"""

from __future__ import annotations

import copy
import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import torch

from ..model.network import BossNet, ModelArgs
from .library import LABELS
from .simulate import Augmentation
from .views import Batch, LabelScaling, ViewMaker

# ≥10x cheaper than the published network (~9e7 vs 1.1e9 FLOP per pass) and ~7 MB on disk
SMALL_ARGS = ModelArgs(
    model_dim=4,
    dim_mults=(1, 2, 4, 6),
    kernel_size=15,
    adapt_pool_output_dim=256,
    num_linear=3,
    linear_dim=256,
    extra_input_channels=1,
)


@dataclass(frozen=True)
class Schedule:
    batch_size: int = 64
    steps_per_epoch: int = 100
    max_epochs: int = 70
    patience: int = 15
    learning_rate: float = 2e-3
    final_learning_rate: float = 1e-5
    validation_views: int = 3
    easy_epochs: int = 10  # augmentation ramps from easy to the full ranges over these epochs
    outliers_per_batch: int = 10  # outlier-exposure examples added to each batch, two of each unlike kind (0: none)
    outlier_weight: float = 0.1  # weight of their classification loss
    huber_delta: float | None = 0.1  # normalised label units; None: squared error (the paper's)
    weight_average_decay: float | None = 0.999  # per step (~10 epochs' memory); None: the raw weights


@dataclass
class History:
    train_loss: list[float] = field(default_factory=list)
    validation_loss: list[float] = field(default_factory=list)
    best_epoch: int = -1
    seconds: float = 0.0


class WeightAverage:
    """Exponential moving average of a network's parameters and batch-norm statistics, in a copy of it.

    The decay ramps up as (1 + n) / (10 + n) over the first updates, so the average does not
    start out dominated by the random initial weights."""

    def __init__(self, network: BossNet, decay: float):
        self.network = copy.deepcopy(network).eval()
        self.decay = decay
        self.updates = 0

    def update(self, network: BossNet) -> None:
        self.updates += 1
        decay = min(self.decay, (1 + self.updates) / (10 + self.updates))
        with torch.no_grad():
            for average, current in zip(self.network.state_dict().values(), network.state_dict().values()):
                if average.dtype.is_floating_point:
                    average.mul_(decay).add_(current, alpha=1 - decay)
                else:
                    average.copy_(current)  # batch counters


def masked_loss(prediction: torch.Tensor, target: torch.Tensor, huber_delta: float | None = None) -> torch.Tensor:
    """Mean squared error (or, with ``huber_delta``, smooth L1: Huber / delta, gradients of size ≤ 1 like the
    squared error's near 0.5) over the labels that are known (target NaN = unknown)."""
    known = torch.isfinite(target)
    error = torch.where(known, prediction - torch.nan_to_num(target), torch.zeros_like(prediction))
    if huber_delta is None:
        return (error**2).sum() / known.sum().clamp(min=1)
    loss = torch.nn.functional.smooth_l1_loss(error, torch.zeros_like(error), reduction="none", beta=huber_delta)
    return torch.where(known, loss, 0.0).sum() / known.sum().clamp(min=1)


def fixed_views(views: ViewMaker, indices: list[int], count: int, seed: int, tag: str) -> Batch:
    """``count`` simulated views of each star, the same for a given seed (validation, OOD fitting)."""
    rng = np.random.default_rng([seed, 7919])
    repeated = [i for i in indices for _ in range(count)]
    batches = [views.batch(repeated[s : s + 256], rng, tag=f"{tag}{s}-") for s in range(0, len(repeated), 256)]
    return Batch(
        torch.cat([b.inputs for b in batches]),
        np.concatenate([b.labels for b in batches]),
        [c for b in batches for c in b.conditions],
        [s for b in batches for s in b.spectra],
    )


def _predict_all(network: BossNet, inputs: torch.Tensor, chunk: int) -> torch.Tensor:
    """The network's outputs for ``inputs`` in chunks, run on the network's device, returned on the CPU."""
    network.eval()
    device = next(network.parameters()).device
    with torch.no_grad():
        return torch.cat([network(inputs[s : s + chunk].to(device)).cpu() for s in range(0, len(inputs), chunk)])


def evaluate_loss(network: BossNet, batch: Batch, scaling: LabelScaling, chunk: int = 256, huber_delta: float | None = None) -> float:
    target = torch.from_numpy(scaling.normalise(batch.labels)).float()
    return float(masked_loss(_predict_all(network, batch.inputs, chunk), target, huber_delta))


def remove_flux_offset(network: BossNet) -> None:
    """Make the first convolution's flux kernels sum to zero, so a constant added to the log flux
    (the arbitrary flux scale of a spectrum: BOSS 1e-17 erg/s/cm²/Å, LAMOST relative counts)
    does not reach the rest of the network (except within a kernel's width of the grid ends)."""
    with torch.no_grad():
        weight = network.first_conv.conv_layer.weight[:, 0]
        weight -= weight.mean(dim=-1, keepdim=True)


@dataclass
class Step:
    """One training step's simulated data: views of the drawn stars and outlier-exposure examples."""

    inputs: torch.Tensor
    target: torch.Tensor  # normalised labels, NaN = unknown
    outliers: torch.Tensor | None

    def to(self, device: torch.device) -> "Step":
        outliers = None if self.outliers is None else self.outliers.to(device)
        return Step(self.inputs.to(device), self.target.to(device), outliers)


def draw_step(views: ViewMaker, train_indices, probability, scaling: LabelScaling, schedule: Schedule,
              rng: np.random.Generator, augmentation: Augmentation) -> Step:
    chosen = rng.choice(train_indices, size=schedule.batch_size, p=probability)
    batch = views.batch(chosen, rng, augmentation=augmentation)
    target = torch.from_numpy(scaling.normalise(batch.labels)).float()
    outliers = None
    if schedule.outliers_per_batch:
        outliers = views.inputs(views.unlike_stars(rng.choice(train_indices, size=schedule.outliers_per_batch), rng, augmentation))
    return Step(batch.inputs, target, outliers)


def _step_loss(network, outlier_head, step: Step, schedule: Schedule) -> torch.Tensor:
    """Label loss on the batch plus, with outlier exposure, a classification loss (star vs outlier example)
    on the last hidden layer, so that layer keeps what sets such spectra apart (the OOD score reads it)."""
    if step.outliers is None:
        return masked_loss(network(step.inputs), step.target, schedule.huber_delta)
    inputs = torch.cat([step.inputs, step.outliers])
    hidden = network.linear_sequential[:-1](network.features(inputs))
    n = len(step.inputs)
    label_loss = masked_loss(network.linear_sequential[-1](hidden[:n]), step.target, schedule.huber_delta)
    is_outlier = torch.cat([torch.zeros(n), torch.ones(len(inputs) - n)]).to(inputs.device)
    outlier_loss = torch.nn.functional.binary_cross_entropy_with_logits(outlier_head(hidden).squeeze(1), is_outlier)
    return label_loss + schedule.outlier_weight * outlier_loss


def per_label_loss(network: BossNet, batch: Batch, scaling: LabelScaling, chunk: int = 256) -> np.ndarray:
    """Validation mean squared error of each normalised label (LABELS order)."""
    target = torch.from_numpy(scaling.normalise(batch.labels)).float()
    prediction = _predict_all(network, batch.inputs, chunk)
    known = torch.isfinite(target)
    squared = torch.where(known, prediction - torch.nan_to_num(target), torch.zeros_like(prediction)) ** 2
    return (squared.sum(0) / known.sum(0).clamp(min=1)).numpy()


def learning_rate(schedule: Schedule, step: int) -> float:
    """Cosine decay from ``learning_rate`` to ``final_learning_rate`` over the maximum run."""
    total = schedule.max_epochs * schedule.steps_per_epoch
    progress = min(step / total, 1.0)
    low, high = schedule.final_learning_rate, schedule.learning_rate
    return low + 0.5 * (high - low) * (1 + math.cos(math.pi * progress))


def fit(
    views: ViewMaker,
    train_indices: list[int],
    sample_weights: np.ndarray,
    validation: Batch,
    scaling: LabelScaling,
    args: ModelArgs,
    schedule: Schedule,
    seed: int,
    log=print,
    device: str = "cpu",
) -> tuple[BossNet, History]:
    """Train a network from scratch on ``device`` (views are simulated on the CPU); returns the state with the
    lowest validation loss, on the CPU. The same seed repeats exactly on the same device, threads and torch build."""
    torch.manual_seed(seed)
    rng = np.random.default_rng([seed, 1])
    network = BossNet(args)
    remove_flux_offset(network)
    outlier_head = torch.nn.Linear(args.linear_dim, 1)  # training only: shapes the hidden layer, not saved
    network.to(device)
    outlier_head.to(device)
    optimizer = torch.optim.Adamax([*network.parameters(), *outlier_head.parameters()], lr=schedule.learning_rate)
    probability = sample_weights / sample_weights.sum()
    average = WeightAverage(network, schedule.weight_average_decay) if schedule.weight_average_decay else None
    history, best_state, best_loss, stale = History(), None, math.inf, 0
    start = time.time()
    # the next step's views are simulated in a second thread while the network trains on this one; only that
    # thread draws from ``rng``, in the same order as one thread would, so a seed still gives one network
    with ThreadPoolExecutor(max_workers=1) as simulator:  # shut down on errors too
        for epoch in range(schedule.max_epochs):
            network.train()
            augmentation = views.augmentation.eased(epoch / max(schedule.easy_epochs, 1))
            draw = partial(draw_step, views, train_indices, probability, scaling, schedule, rng, augmentation)
            upcoming = simulator.submit(draw)
            losses = []
            for step in range(schedule.steps_per_epoch):
                for group in optimizer.param_groups:
                    group["lr"] = learning_rate(schedule, epoch * schedule.steps_per_epoch + step)
                current = upcoming.result().to(device)
                if step + 1 < schedule.steps_per_epoch:
                    upcoming = simulator.submit(draw)
                loss = _step_loss(network, outlier_head, current, schedule)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                remove_flux_offset(network)
                if average:
                    average.update(network)
                losses.append(float(loss.detach()))
            judged = average.network if average else network
            history.train_loss.append(float(np.mean(losses)))
            history.validation_loss.append(evaluate_loss(judged, validation, scaling, huber_delta=schedule.huber_delta))
            improved = history.validation_loss[-1] < best_loss
            if improved:
                best_loss, best_state, stale, history.best_epoch = history.validation_loss[-1], copy.deepcopy(judged.state_dict()), 0, epoch
            else:
                stale += 1
            parts = " ".join(f"{name} {value:.3f}" for name, value in zip(LABELS, per_label_loss(judged, validation, scaling)))
            log(f"epoch {epoch:3d}  train {history.train_loss[-1]:.4f}  validation {history.validation_loss[-1]:.4f} ({parts})"
                f"{'  *' if improved else ''}  {time.time() - start:6.0f} s")
            if stale >= schedule.patience:
                break
    history.seconds = time.time() - start
    network.load_state_dict(best_state)
    return network.cpu().eval(), history
