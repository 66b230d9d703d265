"""After training: the distance-from-training scorer and the model-error term of the uncertainties.

Both are fitted on simulated views of training stars and set on validation views, never on
test stars. The scorer is ``model.ood.FeatureDistance`` (k nearest training neighbours in the
whitened last hidden layer) with an ``OutlierProbe`` (logistic regression on the same layer:
training views against simulated white-dwarf-like, subdwarf-like and other unlike-star spectra). The model-error term is the spread, per label, that has to be added
in quadrature to the Monte-Carlo σ so that 68% of validation views fall within 1σ: the MC draws
only see photon noise, not the network's own error.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch
from scipy.ndimage import gaussian_filter

from ..catalog.flags import LabelDensity
from ..model.ood import FeatureDistance, OutlierProbe
from ..model.predictor import Predictor
from .library import LABELS
from .views import Batch

ONE_SIGMA = 0.6827
LABEL_DENSITY_QUANTILE = 0.005  # share of validation views the coverage flag may call sparse (its rule says 99.5%)
LABEL_DENSITY_SMOOTHING = (1.5, 2.0)  # cells: 0.0375 dex in log Teff, 0.25 dex in log g
# the density's cells: 0.025 dex × 0.125 dex, reaching past every training label by several smoothing widths, so a
# prediction just beyond the edge of the labels (a white dwarf at log g 9.6) sits on the density's smooth fall-off, not on 0
LABEL_DENSITY_LOGTEFF = np.linspace(3.2, 5.2, 81)
LABEL_DENSITY_LOGG = np.linspace(-1.5, 11.0, 101)


def hidden_features(predictor: Predictor, batch: Batch) -> torch.Tensor:
    """Last hidden layer (N, H) of the network for prepared inputs."""
    _, hidden = predictor._run_network(batch.inputs)
    return hidden


def fit_feature_distance(
    predictor: Predictor,
    train: Batch,
    validation: Batch,
    n_components: int,
    k: int,
    quantile: float,
    unlike_inputs: torch.Tensor | None = None,
    blend_inputs: torch.Tensor | None = None,
) -> FeatureDistance:
    """kNN distance on the leading principal components of the hidden layer, and (given network
    inputs of spectra unlike any training star, and of blended pairs) the outlier probes; all set on validation views."""
    train_features = hidden_features(predictor, train)
    validation_features = hidden_features(predictor, validation)
    scorer = FeatureDistance.fit(train_features, n_components=n_components, k=k).calibrate(validation_features, quantile=quantile)
    scorer = replace(scorer, reference_names=tuple(s.meta.object_id for s in train.spectra), reference_labels=neighbour_labels(train.labels))
    if unlike_inputs is not None:
        unlike_features = predictor._run_network(unlike_inputs)[1]
        scorer = scorer.with_probe(fit_outlier_probe(train_features, unlike_features, validation_features, quantile))
    if blend_inputs is not None:
        blend_features = predictor._run_network(blend_inputs)[1]
        scorer = replace(scorer, blend_probe=fit_outlier_probe(train_features, blend_features, validation_features, quantile))
    return scorer


def neighbour_labels(labels: np.ndarray) -> torch.Tensor:
    """(N, 3) Teff, log g, [Fe/H] of training views (``ood.NEIGHBOUR_LABELS``) from LABELS-ordered rows."""
    labels = np.asarray(labels, dtype=np.float64)
    teff = 10 ** labels[:, LABELS.index("logTeff")]
    return torch.tensor(np.column_stack([teff, labels[:, LABELS.index("logg")], labels[:, LABELS.index("FeH")]]), dtype=torch.float32)


def fit_outlier_probe(
    star_features: torch.Tensor, unlike_features: torch.Tensor, validation_features: torch.Tensor, quantile: float, ridge: float = 1e-3
) -> OutlierProbe:
    """Ridge-regularised logistic regression, stars (0) against unlike spectra (1), classes weighted
    equally; deterministic (zero start, L-BFGS). Its limit is the validation ``quantile`` of the logit."""
    mean, spread = star_features.mean(0), star_features.std(0).clamp(min=1e-6)
    x = (torch.cat([star_features, unlike_features]).float() - mean) / spread
    y = torch.cat([torch.zeros(len(star_features)), torch.ones(len(unlike_features))])
    balance = torch.tensor(len(star_features) / max(len(unlike_features), 1))
    weight = torch.zeros(x.shape[1], requires_grad=True)
    bias = torch.zeros(1, requires_grad=True)
    optimiser = torch.optim.LBFGS([weight, bias], max_iter=300, line_search_fn="strong_wolfe")

    def loss():
        optimiser.zero_grad()
        value = torch.nn.functional.binary_cross_entropy_with_logits(x @ weight + bias, y, pos_weight=balance) + ridge * weight.pow(2).sum()
        value.backward()
        return value

    optimiser.step(loss)
    raw_weight = (weight.detach() / spread).float()
    raw_bias = float(bias.detach() - (weight.detach() * mean / spread).sum())
    logits = validation_features.float() @ raw_weight + raw_bias
    return OutlierProbe(raw_weight, raw_bias, float(logits.median()), float(torch.quantile(logits, quantile)))


def coverage_fraction(error: np.ndarray, sigma: np.ndarray) -> float:
    """Share of finite rows with |error| < sigma."""
    good = np.isfinite(error) & np.isfinite(sigma)
    return float(np.mean(np.abs(error[good]) < sigma[good])) if good.any() else float("nan")


def model_error_term(error: np.ndarray, mc_sigma: np.ndarray, target: float = ONE_SIGMA) -> float:
    """Smallest s ≥ 0 with coverage(|error| < sqrt(mc_sigma² + s²)) ≥ target (0 if the MC σ already cover)."""
    good = np.isfinite(error) & np.isfinite(mc_sigma)
    error, mc_sigma = np.abs(error[good]), mc_sigma[good]
    if coverage_fraction(error, mc_sigma) >= target:
        return 0.0
    # each row is covered once s exceeds sqrt(error² - σ²): take the target quantile of that
    needed = np.sqrt(np.clip(error**2 - mc_sigma**2, 0.0, None))
    return float(np.quantile(needed, target))


def model_error_terms(point: np.ndarray, std: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Per label (model columns only), the term that brings validation coverage to 68%."""
    return {name: model_error_term(point[:, i] - labels[:, i], std[:, i]) for i, name in enumerate(LABELS)}


def label_density(train_labels: np.ndarray, validation_point: np.ndarray, quantile: float, logteff_edges: np.ndarray = LABEL_DENSITY_LOGTEFF,
                  logg_edges: np.ndarray = LABEL_DENSITY_LOGG, smoothing_cells: tuple[float, float] = LABEL_DENSITY_SMOOTHING) -> dict:
    """``LabelDensity`` of the training labels (share of training spectra per cell, Gaussian-smoothed by
    ``smoothing_cells``) with its threshold at the ``quantile`` of the density at validation predictions;
    a plain dict for the weights' metadata."""
    t, g = LABELS.index("logTeff"), LABELS.index("logg")
    known = np.isfinite(train_labels[:, t]) & np.isfinite(train_labels[:, g])
    counts, _, _ = np.histogram2d(train_labels[known, t], train_labels[known, g], bins=(logteff_edges, logg_edges))
    density = gaussian_filter(counts / counts.sum(), smoothing_cells, mode="constant")
    unset = LabelDensity(np.asarray(logteff_edges), np.asarray(logg_edges), density, 0.0)
    at_validation = unset.at(validation_point[:, t], validation_point[:, g])
    return {
        "logteff_edges": [float(e) for e in logteff_edges],
        "logg_edges": [float(e) for e in logg_edges],
        "density": [[float(f"{v:.4g}") for v in row] for row in density],
        "threshold": float(np.nanquantile(at_validation, quantile)),
        "quantile": quantile,
        "smoothing_cells": list(smoothing_cells),
    }
