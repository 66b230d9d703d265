"""Which wavelengths drove a prediction: integrated gradients on the network's input grid.

For each label, the integrated gradient (Sundararajan, Taly & Yan 2017) of the network's output with
respect to the log-scaled flux, along the straight path from a featureless baseline (the
spectrum's own median log flux everywhere, the coverage channel unchanged) to the spectrum.
Each pixel's share says how much that pixel moved the answer away from what a featureless
spectrum gets; the shares add up to the prediction minus the baseline's ("completeness"), in the
label's physical units. ``STEPS`` points along the path (midpoint rule) keep that sum within a few
per cent of the difference for these networks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..spectrum import Spectrum
from .predictor import Predictor

STEPS = 32
LABELS = ("logTeff", "logg", "FeH")


@dataclass(frozen=True)
class Saliency:
    wavelength: np.ndarray  # (L,) the network's grid, vacuum Å
    attribution: dict[str, np.ndarray]  # label -> (L,) per-pixel contribution, the label's units
    prediction: dict[str, float]  # the point estimate
    baseline: dict[str, float]  # the featureless baseline's prediction

    def share(self, label: str) -> np.ndarray:
        """|attribution| normalised to sum 1: where the answer came from, whatever the sign."""
        weight = np.abs(self.attribution[label])
        total = weight.sum()
        return weight / total if total > 0 else weight


def saliency(predictor: Predictor, spectrum: Spectrum, labels=LABELS, steps: int = STEPS) -> Saliency:
    """Integrated gradients of ``labels`` (those the model has) for one spectrum on the optical grid."""
    model = predictor.model
    labels = [label for label in labels if label in model.columns]
    inputs, _, _ = predictor._prepare([spectrum], draws=0, seed=0)
    x = inputs[0, :1].float()  # (1, C, L)
    baseline = x.clone()
    baseline[:, 0] = torch.median(x[0, 0])
    alphas = (torch.arange(steps, dtype=torch.float32) + 0.5) / steps
    path = (baseline + alphas[:, None, None] * (x - baseline)).detach().requires_grad_(True)
    network = model.network.eval()
    with torch.enable_grad():
        outputs = model.unnormalise(network(path))  # physical units, (steps, T)
        ends = model.unnormalise(network(torch.cat([baseline, x]))).detach()
        attribution = {}
        for label in labels:
            j = model.columns.index(label)
            (gradient,) = torch.autograd.grad(outputs[:, j].sum(), path, retain_graph=True)
            attribution[label] = ((x - baseline)[0, 0] * gradient[:, 0].mean(0)).detach().numpy().astype(np.float64)
    return Saliency(
        wavelength=np.asarray(predictor.grid, dtype=np.float64),
        attribution=attribution,
        prediction={label: float(ends[1, model.columns.index(label)]) for label in labels},
        baseline={label: float(ends[0, model.columns.index(label)]) for label in labels},
    )
