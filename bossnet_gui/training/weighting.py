"""Per-star training weights: inverse density of the labels (Sizemore et al. 2024, section 3.2).

Stars in crowded parts of label space (solar-type dwarfs, red-clump giants) would otherwise
dominate the loss; rare ones (hot stars, M dwarfs, metal-poor giants) would be ignored.
The density is a Gaussian KDE over standardised (logTeff, log g, [Fe/H]); a missing log g or
[Fe/H] is filled from the star with the nearest Teff that has it (for the density only).
Weights are clipped at ``max_ratio`` times the median so that a handful of isolated stars
do not take over a small training set, and scaled to mean 1. At 10x the few isolated stars were
drawn so often that the bulk got worse (seed 0: log g scatter 0.372 at 3x against 0.393 at 10x,
[Fe/H] 0.245 against 0.280). At 3x the stars hotter than 7500 K (15% of the training stars)
took 28% of the draws and the 4000-6000 K bulk of the held-out stars got less than its share.
At 1.5x (seed 0, same recipe) held-out [Fe/H] scatter fell to 0.221 from 0.242, log Teff 0.016 from
0.017, log g 0.357 from 0.360 (within seed noise), validation loss 0.162 from 0.168; the rarest
stars are still drawn half as often again as a typical one.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import gaussian_kde

from .library import LABELS

DENSITY_LABELS = ("logTeff", "logg", "FeH")


def fill_from_nearest_teff(labels: np.ndarray) -> np.ndarray:
    """(N, 3) labels with column 0 = logTeff complete; NaNs in other columns from the nearest-Teff row that has them."""
    filled = labels.copy()
    for column in range(1, labels.shape[1]):
        known = np.isfinite(labels[:, column])
        missing = ~known
        if missing.any() and known.any():
            nearest = np.abs(labels[missing, 0][:, None] - labels[known, 0][None, :]).argmin(axis=1)
            filled[missing, column] = labels[known, column][nearest]
    return filled


def inverse_density_weights(labels: np.ndarray, max_ratio: float = 1.5) -> np.ndarray:
    """Weights (N,) for label rows (N, 4) in ``LABELS`` order; logTeff must be known."""
    columns = [LABELS.index(name) for name in DENSITY_LABELS]
    points = fill_from_nearest_teff(np.asarray(labels, dtype=np.float64)[:, columns])
    standardised = (points - points.mean(0)) / points.std(0)
    density = gaussian_kde(standardised.T)(standardised.T)
    weights = 1.0 / density
    weights = np.minimum(weights, max_ratio * np.median(weights))
    return weights / weights.mean()
