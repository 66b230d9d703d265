"""How much log g the noise alone leaves in a spectrum: the Cramér-Rao bound, as a yardstick for the network.

For a test star observed as a plain BOSS spectrum, the Fisher information of its pixels (errors from the
simulator's ``error_array``) about log g is computed with everything else the network must also infer
left free: log Teff, [Fe/H], the radial velocity, and a cubic multiplicative continuum (flux scale,
calibration tilt; reddening is as smooth). The label derivatives come from a quadratic model of the
flux in (log g, log Teff, [Fe/H]) fitted per pixel on the training stars (The Cannon's form, Ness et al.
2015), over a Teff range where a quadratic describes the spectra. No unbiased estimator does better than
this bound at a given S/N, whatever the network; with the star-to-star error measured at high S/N (labels
included) it says what headline scatter the test views would allow.
"""

from __future__ import annotations

import math

import numpy as np
from astropy.stats import mad_std

from .library import LABELS
from .simulate import BOSS, C_KMS, error_array, tilt_coordinate

BOUND_SNR = (3.0, 5.0, 10.0, 30.0, 100.0)
QUADRATIC_TEFF = (4000.0, 7000.0)  # K: FG and early-K stars, where the quadratic model holds
COMMON_RANGE = (3600.0, 7400.0)  # Å: BOSS pixels inside the MILES range
STELLAR = [LABELS.index(k) for k in ("logg", "logTeff", "FeH")]
CONTINUUM_DEGREE = 3
HEADLINE_DRAWS = 200_000


class QuadraticSpectra:
    """Normalised flux as a quadratic function of the stellar labels, one set of coefficients per pixel."""

    def __init__(self, labels: np.ndarray, flux: np.ndarray):
        self.centre, self.spread = labels.mean(axis=0), labels.std(axis=0)
        self.coefficients, *_ = np.linalg.lstsq(self._design(labels), flux, rcond=None)

    def _design(self, labels: np.ndarray) -> np.ndarray:
        x = (np.atleast_2d(labels) - self.centre) / self.spread
        pairs = [x[:, i] * x[:, j] for i in range(x.shape[1]) for j in range(i, x.shape[1])]
        return np.column_stack([np.ones(len(x)), x, *pairs])

    def flux(self, labels: np.ndarray) -> np.ndarray:
        return self._design(labels) @ self.coefficients

    def derivatives(self, labels: np.ndarray) -> np.ndarray:
        """d flux / d label at ``labels``: (pixels, labels)."""
        x = (np.asarray(labels, float) - self.centre) / self.spread
        n = len(x)
        design = np.zeros((n, self.coefficients.shape[0]))
        design[np.arange(n), 1 + np.arange(n)] = 1.0
        column = 1 + n
        for i in range(n):
            for j in range(i, n):
                design[i, column] += x[j]
                design[j, column] += x[i]
                column += 1
        return (design / self.spread[:, None] @ self.coefficients).T


def log_g_bound(wavelength: np.ndarray, flux: np.ndarray, label_derivatives: np.ndarray, snr: float) -> float:
    """Cramér-Rao σ(log g) with the other labels, the RV and the continuum free; log g is the first column."""
    rv = -np.gradient(flux, np.log(wavelength)) / C_KMS
    continuum = flux[:, None] * np.polynomial.legendre.legvander(tilt_coordinate(wavelength), CONTINUUM_DEGREE)
    jacobian = np.column_stack([label_derivatives, rv, continuum])
    weighted = jacobian / error_array(wavelength, flux, snr)[:, None]
    return float(math.sqrt(np.linalg.inv(weighted.T @ weighted)[0, 0]))


def headline_scatter(bounds_at_unit_snr: np.ndarray, floor: float, snr_range: tuple[float, float], seed: int = 0) -> float:
    """1.4826 MAD of errors N(0, floor² + (bound / S/N)²) over views with S/N log-uniform in ``snr_range``,
    each of a star drawn from ``bounds_at_unit_snr`` (the bound scales as 1 / S/N)."""
    rng = np.random.default_rng(seed)
    star = rng.integers(0, len(bounds_at_unit_snr), HEADLINE_DRAWS)
    snr = np.exp(rng.uniform(*np.log(snr_range), HEADLINE_DRAWS))
    errors = rng.standard_normal(HEADLINE_DRAWS) * np.sqrt(floor**2 + (bounds_at_unit_snr[star] / snr) ** 2)
    return float(mad_std(errors))


def floor_for(target: float, bounds_at_unit_snr: np.ndarray, snr_range: tuple[float, float]) -> float:
    """The largest star-to-star floor whose headline scatter stays within ``target`` (0 if none)."""
    low, high = 0.0, target
    if headline_scatter(bounds_at_unit_snr, 0.0, snr_range) > target:
        return 0.0
    for _ in range(30):
        middle = (low + high) / 2
        low, high = (middle, high) if headline_scatter(bounds_at_unit_snr, middle, snr_range) <= target else (low, middle)
    return low


def bound_wavelength() -> np.ndarray:
    """BOSS pixels inside ``COMMON_RANGE``."""
    pixels = BOSS.pixels()
    return pixels[(pixels >= COMMON_RANGE[0]) & (pixels <= COMMON_RANGE[1])]


def bounded(star, template) -> bool:
    """A library star the bound is computed for: all three labels, Teff in ``QUADRATIC_TEFF``, flux over ``COMMON_RANGE``."""
    labels = star.labels[STELLAR]
    if template is None or not np.all(np.isfinite(labels)) or not QUADRATIC_TEFF[0] <= 10 ** labels[1] <= QUADRATIC_TEFF[1]:
        return False
    return bool(np.all(np.isfinite(template.at(bound_wavelength()))))


def noise_limit(stars, templates, training: list[int], test: list[int], floor: float, target: float, snr_range: tuple[float, float]) -> dict:
    """Per-S/N bounds (median and 16–84% over the test stars in ``QUADRATIC_TEFF``) for the quadratic model
    fitted on the training stars of that range; the headline scatter they allow over ``snr_range`` with a
    star-to-star ``floor``, and the largest floor that keeps it within ``target``."""
    wavelength = bound_wavelength()
    normalised = {}
    for i in training + test:
        if bounded(stars[i], templates[i]):
            flux = templates[i].at(wavelength)
            normalised[i] = flux / np.median(flux)
    fit = [i for i in training if i in normalised]
    model = QuadraticSpectra(np.array([stars[i].labels[STELLAR] for i in fit]), np.array([normalised[i] for i in fit]))
    targets = [i for i in test if i in normalised]
    unit = np.array([log_g_bound(wavelength, normalised[i], model.derivatives(stars[i].labels[STELLAR]), 1.0) for i in targets])
    return {
        "teff_range": list(QUADRATIC_TEFF),
        "training_stars": len(fit),
        "test_stars": len(targets),
        "wavelength_range": [float(wavelength[0]), float(wavelength[-1])],
        "by_snr": {f"{snr:g}": {"median": float(np.median(unit) / snr), "p16": float(np.percentile(unit, 16) / snr),
                                "p84": float(np.percentile(unit, 84) / snr)} for snr in BOUND_SNR},
        "floor": floor,
        "headline": headline_scatter(unit, floor, snr_range),
        "target": target,
        "floor_for_target": floor_for(target, unit, snr_range),
        "snr_range": list(snr_range),
    }
