"""What the network expects a star to look like: the training spectra it learnt from, on its grid.

``TrainingSpectra`` holds the bundled model's training stars (library and model spectra without
noise at BOSS resolution, survey spectra as observed; all at rest on the 3800-8900 Å grid) as a
few dozen principal components of their log flux, with their labels. It ships beside the weights
(``<model>.spectra.npz``, written by ``python -m bossnet_gui.training spectra``). For one star:

- ``template``: a library template at given parameters, the inverse-distance mean of the training
  stars nearest in (log Teff, log g, [Fe/H]), each label in units of about the model's own error;
- ``spectrum``: one training star by name (the nearest in the network's feature space come from
  the distance scorer, ``explain.nearest_training``);

and ``match`` puts either over the observed grid flux: shifted to the star's RV, then multiplied by
the smooth curve (a low-order polynomial in log flux) that best matches the star's continuum, so
flux calibration and reddening drop out and the lines are what the eye compares. No torch here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..io.common import doppler_shift

COMPONENTS = 48
TEMPLATE_STARS = 4  # training stars averaged into a template
LABEL_SCALES = np.array([0.02, 0.3, 0.25])  # log Teff, log g, [Fe/H]: about the bundled model's own errors, so distances count in them
MATCH_DEGREE = 3  # Legendre degree of the log-flux ratio star / template
CLIP_SIGMA = 2.5  # pixels (lines) further than this from the smooth ratio do not steer it
SUFFIX = ".spectra.npz"


@dataclass(frozen=True)
class TrainingSpectra:
    names: tuple[str, ...]
    labels: np.ndarray  # (N, 3) Teff [K], log g, [Fe/H]; NaN where unknown
    mean: np.ndarray  # (G,) mean log flux on the grid
    basis: np.ndarray  # (K, G) principal components of the log flux
    coefficients: np.ndarray  # (N, K)
    coverage: np.ndarray  # (N, 2) first and last grid wavelength [Å] the star's own spectrum covers
    grid: np.ndarray  # (G,) the grid's wavelengths [Å]
    error: np.ndarray  # (N,) median |log flux - its reconstruction| over the star's own pixels (≈ relative flux error)
    _index: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def fit(cls, names, labels, grid: np.ndarray, log_flux: np.ndarray, components: int = COMPONENTS) -> "TrainingSpectra":
        """From (N, G) log flux on ``grid``, NaN where a star's spectrum does not reach (filled flat for the fit)."""
        log_flux = np.asarray(log_flux, dtype=np.float64)
        known = np.isfinite(log_flux)
        coverage = np.array([[grid[row].min(), grid[row].max()] for row in known])
        filled = np.array([np.interp(grid, grid[row], values[row]) for row, values in zip(known, log_flux)])
        mean = filled.mean(0)
        _, _, vt = np.linalg.svd(filled - mean, full_matrices=False)
        basis = vt[: min(components, len(vt))]
        coefficients = (filled - mean) @ basis.T
        error = np.nanmedian(np.abs(log_flux - mean - coefficients @ basis), axis=1)
        return cls(tuple(names), np.asarray(labels, dtype=np.float64), mean.astype(np.float32), basis.astype(np.float32),
                   coefficients.astype(np.float32), coverage, np.asarray(grid, dtype=np.float64), error)

    def save(self, path: Path) -> None:
        np.savez_compressed(path, names=np.array(self.names), labels=self.labels, mean=self.mean, basis=self.basis, coefficients=self.coefficients,
                            coverage=self.coverage, grid=self.grid, error=self.error,
                            description=np.array("training spectra of a bossnet-gui model: log flux on the grid at rest = mean + coefficients @ basis, "
                                                 "valid within coverage [Å]; labels Teff [K], log g, [Fe/H]"))

    @classmethod
    def load(cls, path: Path) -> "TrainingSpectra":
        with np.load(path, allow_pickle=False) as data:
            return cls(tuple(str(n) for n in data["names"]), data["labels"], data["mean"], data["basis"], data["coefficients"],
                       data["coverage"], data["grid"], data["error"])

    def __len__(self) -> int:
        return len(self.names)

    def log_flux(self, index: int) -> np.ndarray:
        """One training star's log flux at rest on the grid; NaN beyond its own spectrum."""
        values = self.mean + self.coefficients[index] @ self.basis
        first, last = self.coverage[index]
        return np.where((self.grid >= first) & (self.grid <= last), values, np.nan)

    def index(self, name: str) -> int | None:
        if not self._index:
            self._index.update({n: i for i, n in enumerate(self.names)})
        return self._index.get(name)

    def nearest_in_labels(self, teff: float, logg: float, feh: float, k: int = TEMPLATE_STARS) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` training stars nearest to these parameters (each label in units of LABEL_SCALES) and their
        inverse-distance weights (summing to 1); [Fe/H] counts only where both sides know it (the white-dwarf models
        have none); stars without Teff or log g are never chosen."""
        known = np.column_stack([np.log10(self.labels[:, 0]), self.labels[:, 1], self.labels[:, 2]])
        asked = np.array([np.log10(teff), logg, feh])
        difference = (known - asked) / LABEL_SCALES
        difference[:, 2] = np.nan_to_num(difference[:, 2], nan=0.0)
        distance = np.sqrt((difference**2).sum(1))
        distance[~np.isfinite(distance)] = np.inf  # no Teff or log g: never a template
        nearest = np.argsort(distance)[:k]
        weights = 1.0 / (distance[nearest] + 1e-3)
        return nearest, weights / weights.sum()

    def template(self, teff: float, logg: float, feh: float) -> tuple[np.ndarray, list[str]]:
        """Log flux at rest of a template at these parameters, and the training stars it is made of."""
        nearest, weights = self.nearest_in_labels(teff, logg, feh)
        curves = np.array([self.log_flux(i) for i in nearest])
        present = np.isfinite(curves)
        weight = (weights[:, None] * present).sum(0)
        with np.errstate(invalid="ignore"):
            mean = np.where(present, curves * weights[:, None], 0.0).sum(0) / weight
        return np.where(weight > 0, mean, np.nan), [self.names[i] for i in nearest]


@dataclass(frozen=True)
class Expected:
    """Curves on the network grid, matched to one observed star (linear flux in its units)."""

    wavelength: np.ndarray
    template: np.ndarray | None
    template_stars: list[str]
    neighbours: list[tuple[str, np.ndarray]]  # nearest training spectra in feature space, nearest first


def match(rest_log_flux: np.ndarray, grid: np.ndarray, observed: np.ndarray, rv: float) -> np.ndarray | None:
    """A rest-frame log-flux curve on ``grid`` moved to velocity ``rv`` (km/s) and scaled to the ``observed`` flux
    on the same grid by a smooth curve; None when the star has too little usable flux to match."""
    shifted = np.interp(grid, doppler_shift(grid, rv), rest_log_flux)  # NaN beyond the training star's range stays NaN
    usable = np.isfinite(observed) & (observed > 0) & np.isfinite(shifted)
    if usable.sum() < 10 * (MATCH_DEGREE + 1):
        return None
    x = (grid - grid[0]) / (grid[-1] - grid[0]) * 2 - 1
    ratio = np.log(observed[usable]) - shifted[usable]
    keep = np.ones(usable.sum(), dtype=bool)
    for _ in range(3):
        fit = np.polynomial.legendre.Legendre.fit(x[usable][keep], ratio[keep], MATCH_DEGREE, domain=[-1, 1])
        residual = ratio - fit(x[usable])
        spread = 1.4826 * np.median(np.abs(residual[keep] - np.median(residual[keep])))
        clipped = np.abs(residual) <= CLIP_SIGMA * max(spread, 1e-3)
        if clipped.sum() < 10 * (MATCH_DEGREE + 1):
            break
        keep = clipped
    return np.exp(shifted + fit(x))


def expected(spectra: TrainingSpectra, observed: np.ndarray, teff: float, logg: float, feh: float, rv: float,
             neighbour_names=()) -> Expected:
    """The template at (``teff``, ``logg``, ``feh``) and the named training spectra, at ``rv`` and matched to the
    ``observed`` flux on the same grid."""
    template, template_stars = (None, [])
    if np.isfinite(teff) and np.isfinite(logg):
        rest, template_stars = spectra.template(teff, logg, feh if np.isfinite(feh) else 0.0)
        template = match(rest, spectra.grid, observed, rv)
    neighbours = []
    for name in neighbour_names:
        index = spectra.index(name)
        curve = match(spectra.log_flux(index), spectra.grid, observed, rv) if index is not None else None
        if curve is not None:
            neighbours.append((name, curve))
    return Expected(spectra.grid, template, template_stars if template is not None else [], neighbours)


def spectra_path(weights: str | Path) -> Path:
    """Where a bundled model's training spectra lie: beside its weights."""
    weights = Path(weights)
    return weights.with_name(weights.stem + SUFFIX)


@lru_cache(maxsize=4)
def training_spectra(weights: str) -> TrainingSpectra | None:
    """The training spectra shipped beside ``weights``; None for models without them (published weights)."""
    path = spectra_path(weights)
    if not path.is_file():
        return None
    try:
        return TrainingSpectra.load(path)
    except (OSError, ValueError, KeyError):
        return None
