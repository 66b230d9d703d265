"""Pre-processing exactly as the published BOSS Net pipeline does it, vectorised over a batch.

Pure NumPy/PyTorch functions, no Qt. The published behaviour (``shared/reference/README.md``):

* error = sqrt(1/ivar), capped at 5x the median finite error, NaN errors set to that cap;
  if no pixel has a finite error, every error is 0.1 x median(flux).
* resample by linear interpolation onto 3900 points from 3800 to 8900 Å (float32 grid, as
  ``torch.linspace`` gives it), skipping NaN flux pixels, flat beyond the ends;
* clip flux below at 1e-6, take the natural log, clip above at the row's 95th percentile + 1.

Resampling is a linear operator, so it is computed once per spectrum as a pair of neighbour
indices and weights (``Resampler``); Monte-Carlo noise is pushed through the same operator
without touching the flux again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from .spectrum import Spectrum

GRID_START, GRID_STOP, GRID_SIZE = 3800.0, 8900.0, 3900
FLUX_FLOOR = 1e-6
CLIP_PERCENTILE = 0.95
APOGEE_PIXELS = 8575


def boss_grid() -> np.ndarray:
    """The published common grid: ``torch.linspace(3800, 8900, 3900)`` in float32, as float64."""
    return torch.linspace(GRID_START, GRID_STOP, GRID_SIZE).numpy().astype(np.float64)


def errors_from_ivar(ivar: np.ndarray, flux: np.ndarray) -> np.ndarray:
    """1-sigma errors from inverse variance, with the published pipeline's caps (float32 in, float32 out).

    One deliberate difference: when no pixel has a usable ivar, the default error is 0.1 x the
    median of the finite, non-zero flux; the release takes ``np.median(flux)``, which is NaN as
    soon as one pixel is NaN (and 0 for zero-padded spectra), leaving no usable error at all.
    """
    ivar = np.nan_to_num(np.asarray(ivar, dtype=np.float32))
    with np.errstate(divide="ignore", invalid="ignore"):
        error = np.divide(np.float32(1), ivar) ** 0.5
    finite = ~np.isinf(error)
    if not finite.any():
        flux = np.asarray(flux, dtype=np.float32)
        measured = flux[np.isfinite(flux) & (flux != 0)]
        default = np.median(measured) * np.float32(0.1) if measured.size else np.float32(np.nan)
        error = np.full(error.shape, default, dtype=np.float32)
        finite = np.ones(error.shape, dtype=bool)
    with np.errstate(invalid="ignore"):
        cap = np.nanmedian(error[finite]) * 5 if finite.any() else np.nan
        error = np.clip(error, None, cap)
    return np.where(np.isnan(error), cap, error).astype(np.float32)


@dataclass(frozen=True)
class NativeBatch:
    """Spectra of one batch on their native pixels, NaN padded to a common length (as the release collates)."""

    wavelength: np.ndarray  # (B, N) float64
    flux: np.ndarray  # (B, N) float32, NaN = skip
    error: np.ndarray  # (B, N) float32
    usable: np.ndarray  # (B, N) float32, 1 where the file marks the pixel good

    @classmethod
    def from_spectra(cls, spectra: Sequence[Spectrum]) -> "NativeBatch":
        n = max(s.n_pixels for s in spectra)
        wave = np.full((len(spectra), n), np.nan)
        flux = np.full((len(spectra), n), np.nan, dtype=np.float32)
        error = np.full((len(spectra), n), np.nan, dtype=np.float32)
        usable = np.zeros((len(spectra), n), dtype=np.float32)
        for i, s in enumerate(spectra):
            wave[i, : s.n_pixels] = s.wavelength
            flux[i, : s.n_pixels] = s.flux
            error[i, : s.n_pixels] = s.error
            usable[i, : s.n_pixels] = s.mask
        return cls(wave, flux, error, usable)


class Resampler:
    """Linear interpolation of a batch onto a common grid, as ``np.interp`` does per spectrum.

    Built once per batch from wavelengths and the pixels to skip; ``apply`` then resamples any
    per-pixel quantity (the flux, or flux plus a noise draw) with two gathers and a lerp.
    """

    def __init__(self, wavelength: np.ndarray, skip: np.ndarray, grid: np.ndarray):
        self.grid = np.asarray(grid, dtype=np.float64)
        n_valid = (~skip).sum(axis=1)
        if (n_valid == 0).any():
            raise ValueError("a spectrum in the batch has no usable pixel")
        # usable pixels first, in wavelength order; skipped ones go to the end as +inf
        key = np.where(skip, np.inf, np.asarray(wavelength, dtype=np.float64))
        order = np.argsort(key, axis=1, kind="stable")
        wave = torch.from_numpy(np.take_along_axis(key, order, axis=1))
        grid_rows = torch.from_numpy(self.grid).expand(len(wave), -1).contiguous()
        last = torch.from_numpy(n_valid - 1)[:, None]
        lo = (torch.searchsorted(wave, grid_rows, right=True) - 1).clamp(min=0)
        lo = torch.minimum(lo, (last - 1).clamp(min=0))
        hi = torch.minimum(lo + 1, last)
        x_lo, x_hi = torch.gather(wave, 1, lo), torch.gather(wave, 1, hi)
        span = x_hi - x_lo
        t = torch.where(span > 0, (grid_rows - x_lo) / torch.where(span > 0, span, 1.0), 0.0)
        self.t = t.clamp(0.0, 1.0)  # clamping gives np.interp's flat extrapolation
        order_t = torch.from_numpy(order)
        self.lo = torch.gather(order_t, 1, lo)
        self.hi = torch.gather(order_t, 1, hi)
        first, last_wave = wave[:, 0].numpy(), torch.gather(wave, 1, last)[:, 0].numpy()
        self.outside = (self.grid[None, :] < first[:, None]) | (self.grid[None, :] > last_wave[:, None])

    def apply(self, values: np.ndarray | torch.Tensor) -> torch.Tensor:
        """Resample ``values`` of shape (..., B, N) onto the grid: (..., B, G), float64."""
        values = torch.as_tensor(values, dtype=torch.float64)
        shape = values.shape[:-2] + self.lo.shape
        v_lo = torch.gather(values, -1, self.lo.expand(shape))
        v_hi = torch.gather(values, -1, self.hi.expand(shape))
        return v_lo + self.t * (v_hi - v_lo)

    @property
    def extrapolated_fraction(self) -> np.ndarray:
        """Per spectrum, the fraction of the grid outside its native coverage (filled flat)."""
        return self.outside.mean(axis=1)


def log_scale(flux: torch.Tensor) -> torch.Tensor:
    """Published scaling per row of the last axis: clip at 1e-6, log, clip at the row's 95th percentile + 1."""
    logged = torch.log(torch.clamp(flux.to(torch.float32), min=FLUX_FLOOR))
    ceiling = torch.quantile(logged, CLIP_PERCENTILE, dim=-1, keepdim=True)
    return torch.minimum(logged, ceiling + 1)
