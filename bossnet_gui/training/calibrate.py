"""After training: the distance-from-training scorer and the model-error term of the uncertainties.

Both are fitted on simulated views of training stars and set on validation views, never on
test stars. The scorer is ``model.ood.FeatureDistance`` (k nearest training neighbours in the
whitened last hidden layer). The model-error term is the spread, per label, that has to be added
in quadrature to the Monte-Carlo σ so that 68% of validation views fall within 1σ: the MC draws
only see photon noise, not the network's own error.
"""

from __future__ import annotations

import numpy as np
import torch

from ..model.ood import FeatureDistance
from ..model.predictor import Predictor
from .library import LABELS
from .views import Batch

ONE_SIGMA = 0.6827


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
    outlier_direction: torch.Tensor | None = None,
    direction_weight: float = 4.0,
) -> FeatureDistance:
    """kNN distance on the leading principal components of the hidden layer, plus (when given) the
    direction that the outlier-exposure head learned, as one more axis: whitened on training views and
    weighted ``direction_weight``, so a spectrum that looks like an outlier example is far from every star."""
    train_features = hidden_features(predictor, train)
    scorer = FeatureDistance.fit(train_features, n_components=n_components, k=k)
    if outlier_direction is not None:
        scorer = with_direction(scorer, train_features, outlier_direction, direction_weight)
    return scorer.calibrate(hidden_features(predictor, validation), quantile=quantile)


def with_direction(scorer: FeatureDistance, train_features: torch.Tensor, direction: torch.Tensor, weight: float) -> FeatureDistance:
    """The same scorer with one more projection axis (unit spread on the training features × ``weight``)."""
    centred = train_features.float() - scorer.mean
    column = direction.float() / (centred @ direction.float()).std().clamp(min=1e-12) * weight
    components = torch.cat([scorer.components, column[:, None]], dim=1)
    return FeatureDistance(scorer.mean, components, centred @ components, scorer.k, 1.0, float("inf"))


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
