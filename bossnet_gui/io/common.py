"""Small helpers shared by the format readers (header look-ups, building a Spectrum)."""

from __future__ import annotations

import math
from typing import Any, Iterable

import numpy as np
from astropy.io import fits

from ..preprocess import errors_from_ivar
from ..spectrum import Spectrum, SpectrumMeta


def header_value(headers: Iterable[fits.Header], *keys: str, default: Any = None) -> Any:
    """The first of ``keys`` present (and not blank) in the first header that has it."""
    for header in headers:
        for key in keys:
            value = header.get(key)
            if value is not None and not (isinstance(value, str) and not value.strip()):
                return value.strip() if isinstance(value, str) else value
    return default


def header_float(headers: Iterable[fits.Header], *keys: str) -> float:
    value = header_value(list(headers), *keys)
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def column(data: fits.FITS_rec, name: str) -> np.ndarray:
    """A table column by case-insensitive name."""
    for actual in data.columns.names:
        if actual.lower() == name.lower():
            return np.asarray(data[actual])
    raise KeyError(f"no column '{name}'")


def has_columns(hdu: fits.hdu.base.ExtensionHDU, *names: str) -> bool:
    if not isinstance(hdu, (fits.BinTableHDU, fits.TableHDU)):
        return False
    present = {n.lower() for n in hdu.columns.names}
    return all(n.lower() in present for n in names)


def median_snr(flux: np.ndarray, error: np.ndarray, usable: np.ndarray) -> float:
    """Median per-pixel S/N over usable pixels: the estimate used when a file states none."""
    good = usable & np.isfinite(flux) & np.isfinite(error) & (error > 0)
    if not good.any():
        return math.nan
    return float(np.median(flux[good] / error[good]))


def spectrum_from_ivar(
    wavelength: np.ndarray,
    flux: np.ndarray,
    ivar: np.ndarray,
    meta: SpectrumMeta,
    bad_pixels: np.ndarray | None = None,
) -> Spectrum:
    """Build a Spectrum from flux and inverse variance, errors as the published pipeline makes them.

    ``bad_pixels`` (e.g. ``and_mask != 0``) only marks pixels unusable for display and flags;
    like the published pipeline, every finite flux pixel still feeds the resampling.
    """
    flux = np.asarray(flux, dtype=np.float32)
    ivar = np.asarray(ivar, dtype=np.float32)
    error = errors_from_ivar(ivar, flux)
    usable = np.isfinite(flux) & np.isfinite(ivar) & (ivar > 0)
    if bad_pixels is not None:
        usable &= ~np.asarray(bad_pixels, dtype=bool)
    if math.isnan(meta.snr):
        meta = _replace(meta, snr=median_snr(flux, error, usable))
    return Spectrum(np.asarray(wavelength, dtype=np.float64), flux, error, usable, meta)


def spectrum_from_error(
    wavelength: np.ndarray, flux: np.ndarray, error: np.ndarray, meta: SpectrumMeta, bad_pixels: np.ndarray | None = None
) -> Spectrum:
    """Build a Spectrum from flux and a 1-sigma error array (APOGEE, generic tables)."""
    flux = np.asarray(flux, dtype=np.float32)
    error = np.asarray(error, dtype=np.float32)
    usable = np.isfinite(flux) & np.isfinite(error) & (error > 0)
    if bad_pixels is not None:
        usable &= ~np.asarray(bad_pixels, dtype=bool)
    if math.isnan(meta.snr):
        meta = _replace(meta, snr=median_snr(flux, error, usable))
    return Spectrum(np.asarray(wavelength, dtype=np.float64), flux, error, usable, meta)


def _replace(meta: SpectrumMeta, **changes: Any) -> SpectrumMeta:
    from dataclasses import replace

    return replace(meta, **changes)
