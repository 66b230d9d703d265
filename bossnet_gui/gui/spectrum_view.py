"""What the spectrum panel draws for one spectrum, computed with the core's own pre-processing.

The grid curves come from ``preprocess.Resampler`` and ``preprocess.log_scale`` applied exactly as
``Predictor`` applies them, so "log-scaled" is the network input (a test checks it against
``Predictor.network_input``). No Qt here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..preprocess import boss_grid, log_scale, on_grid
from ..spectrum import OPTICAL, Spectrum

FLUX_FLOOR = 1e-6


@dataclass(frozen=True)
class SpectrumView:
    wavelength: np.ndarray  # native, Å
    flux: np.ndarray
    error: np.ndarray
    mask: np.ndarray  # True where usable
    grid: np.ndarray | None  # the 3800-8900 Å network grid; None for APOGEE (native pixels are the input)
    grid_flux: np.ndarray | None  # linear flux resampled onto the grid
    network_input: np.ndarray | None  # log-scaled grid flux: what the network sees
    outside: np.ndarray | None  # grid points beyond the native coverage (filled flat)
    model: np.ndarray | None = None  # the survey pipeline's best-fit model on the native pixels, when the file holds one

    def residual(self) -> np.ndarray | None:
        """(flux - model) / error on the native pixels; NaN where masked or the error is unknown."""
        if self.model is None:
            return None
        with np.errstate(invalid="ignore", divide="ignore"):
            value = (self.flux - self.model) / self.error
        return np.where(self.mask & np.isfinite(value), value, np.nan)

    def outside_ranges(self) -> list[tuple[float, float]]:
        """Wavelength intervals of the grid outside the native coverage."""
        if self.grid is None or self.outside is None:
            return []
        return runs(self.grid, self.outside)

    def masked_ranges(self) -> list[tuple[float, float]]:
        """Wavelength intervals of masked (unusable) native pixels, adjacent pixels merged."""
        return runs(self.wavelength, ~self.mask | ~np.isfinite(self.flux))


def survey_model(spectrum: Spectrum) -> np.ndarray | None:
    """The file's own model spectrum (``meta.extra["survey_model"]``: wavelength, flux) on the spectrum's pixels."""
    stored = spectrum.meta.extra.get("survey_model")
    if stored is None:
        return None
    wavelength, flux = (np.asarray(a, dtype=float) for a in stored)
    good = np.isfinite(wavelength) & np.isfinite(flux)
    if good.sum() < 2:
        return None
    order = np.argsort(wavelength[good])
    return np.interp(spectrum.wavelength, wavelength[good][order], flux[good][order], left=np.nan, right=np.nan)


def spectrum_view(spectrum: Spectrum) -> SpectrumView:
    flux = np.asarray(spectrum.flux, dtype=float)
    native = dict(wavelength=np.asarray(spectrum.wavelength, float), flux=flux, error=np.asarray(spectrum.error, float), mask=np.asarray(spectrum.mask, bool),
                  model=survey_model(spectrum))
    if spectrum.meta.domain != OPTICAL or not np.isfinite(flux).any():
        return SpectrumView(**native, grid=None, grid_flux=None, network_input=None, outside=None)
    resampled, outside = on_grid(spectrum)
    return SpectrumView(
        **native,
        grid=boss_grid(),
        grid_flux=resampled.astype(float),
        network_input=log_scale(resampled[None])[0].astype(float),
        outside=outside,
    )


def runs(x: np.ndarray, flags: np.ndarray) -> list[tuple[float, float]]:
    """(start, stop) in ``x`` of each run of True in ``flags``, extended to the pixel edges."""
    flags = np.asarray(flags, bool)
    if not flags.any():
        return []
    edges = np.diff(np.r_[0, flags.astype(np.int8), 0])
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    half = np.r_[np.diff(x) / 2, 0] if len(x) > 1 else np.zeros(1)
    before = np.r_[0, np.diff(x) / 2] if len(x) > 1 else np.zeros(1)
    return [(float(x[a] - before[a]), float(x[b] + half[b])) for a, b in zip(starts, stops)]


def smooth(values: np.ndarray, width: int) -> np.ndarray:
    """Boxcar mean over ``width`` pixels, ignoring NaN (display only)."""
    if width <= 1 or values is None:
        return values
    finite = np.isfinite(values)
    kernel = np.ones(int(width))
    total = np.convolve(np.where(finite, values, 0.0), kernel, mode="same")
    count = np.convolve(finite.astype(float), kernel, mode="same")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan)


def log_flux(values: np.ndarray) -> np.ndarray:
    """Natural log with the network's floor, for showing native flux next to the network input."""
    with np.errstate(invalid="ignore"):
        return np.log(np.clip(values, FLUX_FLOOR, None))
