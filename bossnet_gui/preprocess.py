"""Pre-processing exactly as the published BOSS Net pipeline does it, vectorised over a batch.

Pure NumPy, no Qt and no PyTorch (the app imports this before torch is loaded; the release's torch
arithmetic is reproduced where it matters). The published behaviour (``shared/reference/README.md``):

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

from .spectrum import Spectrum

GRID_START, GRID_STOP, GRID_SIZE = 3800.0, 8900.0, 3900
FLUX_FLOOR = 1e-6
CLIP_PERCENTILE = 0.95
APOGEE_PIXELS = 8575


def boss_grid() -> np.ndarray:
    """The published common grid: ``torch.linspace(3800, 8900, 3900)`` in float32, as float64."""
    return float32_linspace(GRID_START, GRID_STOP, GRID_SIZE).astype(np.float64)


def float32_linspace(start: float, stop: float, steps: int) -> np.ndarray:
    """``torch.linspace`` on the CPU in float32, bit for bit.

    torch takes a float32 step, counts the first half up from ``start`` and the second half down
    from ``stop``; its kernel is compiled with fused multiply-add, so ``start + step * i`` is rounded
    once. For a grid like ours (integer ends, i < 2**24) that sum is exact in float64, so computing
    it there and rounding to float32 gives the fused result. (torch's non-FMA fallback kernel,
    ATEN_CPU_CAPABILITY=default, rounds twice and differs by one ulp at some points; the published
    grid is the fused one.)
    """
    start32, stop32 = np.float32(start), np.float32(stop)
    step = np.float64((stop32 - start32) / np.float32(steps - 1))
    i = np.arange(steps)
    up = np.float64(start32) + step * i
    down = np.float64(stop32) - step * (steps - 1 - i)
    return np.where(i < steps // 2, up, down).astype(np.float32)


def errors_from_ivar(ivar: np.ndarray, flux: np.ndarray) -> np.ndarray:
    """1-sigma errors from inverse variance, with the published pipeline's caps (float32 in, float32 out).

    One deliberate difference: when no pixel has a usable (positive) ivar, the default error is 0.1 x the
    median of the finite, non-zero flux; the release takes ``np.median(flux)``, which is NaN as
    soon as one pixel is NaN (and 0 for zero-padded spectra), leaving no usable error at all.
    """
    ivar = np.nan_to_num(np.asarray(ivar, dtype=np.float32))
    with np.errstate(divide="ignore", invalid="ignore"):
        error = np.divide(np.float32(1), ivar) ** 0.5  # infinite where ivar = 0, NaN where ivar < 0
    if not np.isfinite(error).any():
        flux = np.asarray(flux, dtype=np.float32)
        measured = flux[np.isfinite(flux) & (flux != 0)]
        default = np.median(measured) * np.float32(0.1) if measured.size else np.float32(np.nan)
        error = np.full(error.shape, default, dtype=np.float32)
    finite = np.isfinite(error)
    with np.errstate(invalid="ignore"):
        cap = np.median(error[finite]) * 5 if finite.any() else np.float32(np.nan)
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
    per-pixel quantity (the flux, or flux plus a noise draw) with one gather and a lerp.
    """

    def __init__(self, wavelength: np.ndarray, skip: np.ndarray, grid: np.ndarray):
        self.grid = np.asarray(grid, dtype=np.float64)
        n_valid = (~skip).sum(axis=1)
        if (n_valid == 0).any():
            raise ValueError("a spectrum in the batch has no usable pixel")
        # usable pixels first, in wavelength order; skipped ones go to the end as +inf
        key = np.where(skip, np.inf, np.asarray(wavelength, dtype=np.float64))
        order = np.argsort(key, axis=1, kind="stable")
        wave = np.take_along_axis(key, order, axis=1)
        last = (n_valid - 1)[:, None]
        lo = np.stack([np.searchsorted(row, self.grid, side="right") for row in wave]) - 1
        lo = np.minimum(lo.clip(min=0), (last - 1).clip(min=0))
        hi = np.minimum(lo + 1, last)
        x_lo, x_hi = np.take_along_axis(wave, lo, axis=1), np.take_along_axis(wave, hi, axis=1)
        span = x_hi - x_lo
        with np.errstate(invalid="ignore"):
            t = np.where(span > 0, (self.grid - x_lo) / np.where(span > 0, span, 1.0), 0.0)
        self.t = t.clip(0.0, 1.0)  # clamping gives np.interp's flat extrapolation
        # flat indices into a (B, N) row block, so ``apply`` gathers every row in one take
        row_start = np.arange(len(wave))[:, None] * wave.shape[1]
        self.lo = np.take_along_axis(order, lo, axis=1) + row_start
        self.hi = np.take_along_axis(order, hi, axis=1) + row_start
        first, last_wave = wave[:, 0], np.take_along_axis(wave, last, axis=1)[:, 0]
        self.outside = (self.grid[None, :] < first[:, None]) | (self.grid[None, :] > last_wave[:, None])

    def apply(self, values: np.ndarray) -> np.ndarray:
        """Resample ``values`` of shape (..., B, N) onto the grid: (..., B, G), float64."""
        values = np.asarray(values)
        rows = values.reshape(*values.shape[:-2], -1)
        v_lo = rows[..., self.lo].astype(np.float64)
        v_hi = rows[..., self.hi].astype(np.float64)
        return v_lo + self.t * (v_hi - v_lo)

    @property
    def extrapolated_fraction(self) -> np.ndarray:
        """Per spectrum, the fraction of the grid outside its native coverage (filled flat)."""
        return self.outside.mean(axis=1)


def on_grid(spectrum: Spectrum) -> tuple[np.ndarray, np.ndarray]:
    """One optical spectrum's linear flux on the network grid (as the Predictor resamples it, float32 values)
    and the grid points beyond its native coverage (filled flat)."""
    batch = NativeBatch.from_spectra([spectrum])
    resampler = Resampler(batch.wavelength, np.isnan(batch.flux), boss_grid())
    return resampler.apply(batch.flux).astype(np.float32)[0], resampler.outside[0]


def log_scale(flux: np.ndarray) -> np.ndarray:
    """Published scaling per row of the last axis, in float32: clip at 1e-6, log, clip at the row's
    95th percentile (linear interpolation, as ``torch.quantile``) + 1."""
    logged = np.log(np.maximum(np.asarray(flux, dtype=np.float32), np.float32(FLUX_FLOOR)))
    return np.minimum(logged, row_quantile(logged, CLIP_PERCENTILE) + np.float32(1))


def row_quantile(values: np.ndarray, q: float) -> np.ndarray:
    """``torch.quantile(values, q, dim=-1, keepdim=True)`` for float32 rows, bit for bit: rank and
    weight in float32, NaN for a row holding NaN. Only the two neighbouring order statistics are
    found (a partition, not a sort)."""
    n = values.shape[-1]
    rank = np.float32(q) * np.float32(n - 1)
    below, above = int(rank), int(np.ceil(rank))
    ranked = np.partition(values, [below, above], axis=-1)
    low, high = ranked[..., below : below + 1], ranked[..., above : above + 1]
    quantile = fused_lerp(low, high, rank - np.float32(below))
    return np.where(np.isnan(values).any(axis=-1, keepdims=True), np.float32(np.nan), quantile)


def fused_lerp(low: np.ndarray, high: np.ndarray, weight: np.float32) -> np.ndarray:
    """torch's float32 ``lerp``: from the nearer end, with one rounding (its kernel uses fused
    multiply-add; the product is exact in float64, so the sum there is rounded once to float32)."""
    gap = (high - low).astype(np.float64)
    if weight < 0.5:
        return (low + np.float64(weight) * gap).astype(np.float32)
    return (high - np.float64(np.float32(1) - weight) * gap).astype(np.float32)
