"""The training stars' spectra that ship beside the weights (``model.expected.TrainingSpectra``): what the
app overlays as "what the network expects".

Library and model stars at BOSS resolution without noise, survey stars as observed and moved to rest
by their own RV; all on the network grid, divided by their median and logged, then compressed to
``expected.COMPONENTS`` principal components (about 1 MB for ~1,600 stars, where the spectra
themselves would take 25 MB).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..io.common import C_KMS
from ..model.expected import TrainingSpectra, spectra_path
from ..preprocess import FLUX_FLOOR, boss_grid
from .calibrate import neighbour_labels
from .library import LABELS, LabelledStar
from .views import ViewMaker

RV = LABELS.index("rv")


def rest_log_flux(star: LabelledStar, template, grid: np.ndarray) -> np.ndarray:
    """A star's log flux on ``grid`` at rest, divided by its median; NaN where its spectrum does not reach."""
    if template is not None:
        flux = template.at(grid)
    else:
        spectrum = star.observed
        rv = star.labels[RV] if np.isfinite(star.labels[RV]) else 0.0
        usable = spectrum.mask & np.isfinite(spectrum.flux)
        rest = spectrum.wavelength[usable] / (1.0 + rv / C_KMS)
        flux = np.interp(grid, rest, spectrum.flux[usable], left=np.nan, right=np.nan)
    level = np.nanmedian(flux)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.log(np.clip(flux / level, FLUX_FLOOR, None))


def build(views: ViewMaker, indices: list[int]) -> TrainingSpectra:
    """The compressed spectra of the stars at ``indices`` (the training split)."""
    grid = boss_grid().astype(np.float64)
    stars = [views.stars[i] for i in indices]
    log_flux = np.array([rest_log_flux(views.stars[i], views.templates[i], grid) for i in indices])
    labels = neighbour_labels(np.array([s.labels for s in stars])).numpy().astype(np.float64)
    return TrainingSpectra.fit([s.spectrum_id for s in stars], labels, grid, log_flux)


def write(weights: Path, views: ViewMaker, indices: list[int]) -> Path:
    path = spectra_path(weights)
    build(views, indices).save(path)
    return path
