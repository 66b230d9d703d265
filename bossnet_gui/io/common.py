"""Small helpers shared by the format readers (header look-ups, wavelength axes, building a Spectrum)."""

from __future__ import annotations

import math
from typing import Any, Iterable

import numpy as np
from astropy.io import fits

from ..errors import SpectrumReadError
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


C_KMS = 299_792.458
SURVEY_KEYS = ("survey_teff", "survey_logg", "survey_feh", "survey_rv", "survey_class")


def doppler_shift(wavelength, rv_kms: float):
    """Observed wavelengths of rest-frame ones for a radial velocity (λ_obs = λ (1 + v/c)); NaN velocity: at rest."""
    return np.asarray(wavelength) * (1.0 + (rv_kms if np.isfinite(rv_kms) else 0.0) / C_KMS)


def survey_values(teff=None, logg=None, feh=None, rv=None, star_class=None, z=None) -> dict[str, float | str]:
    """The survey pipeline's own values for the star as ``meta.extra`` entries (``SURVEY_KEYS``): the catalog
    shows and exports them beside ours. ``z`` (a redshift) gives the RV where no RV is stated; unknowns (None,
    NaN, empty text) are left out."""
    values = {"survey_teff": teff, "survey_logg": logg, "survey_feh": feh, "survey_rv": rv}
    if (rv is None or not np.isfinite(float(rv))) and z is not None:
        values["survey_rv"] = float(z) * C_KMS
    numbers = {k: float(v) for k, v in values.items() if v is not None and np.isfinite(float(v))}
    text = " ".join(str(part).strip() for part in np.atleast_1d(star_class if star_class is not None else []) if str(part).strip())
    return {**numbers, **({"survey_class": text} if text else {})}


def log_linear_wavelength(log10_start: float, log10_step: float, n_pixels: int, first_pixel: float = 0.0) -> np.ndarray:
    """Wavelengths (Å) of a log-linear grid: ``log10 λ_i = log10_start + log10_step · (i - first_pixel)``."""
    return 10.0 ** (float(log10_start) + float(log10_step) * (np.arange(n_pixels, dtype=np.float64) - first_pixel))


# Refractive-index formula of the IAU standard (Morton 1991; Ciddor 1996 fit by N. Piskunov for VALD),
# valid in the optical and near-IR; below 2000 Å wavelengths are by convention always vacuum.
AIR_VACUUM_MIN_ANGSTROM = 2000.0


def air_to_vacuum(wavelength_angstrom: np.ndarray | float) -> np.ndarray:
    """Vacuum wavelengths (Å) from air wavelengths (Å), float64.

    Uses the vacuum/air conversion recommended by the IAU (Ciddor 1996 refractivity of standard air,
    as inverted by Piskunov for VALD3: ``λ_vac = λ_air · n(λ_air)``), consistent to better than 1e-6 Å with
    Morton (2000)'s vacuum-to-air formula. Values below 2000 Å are returned unchanged.
    Example: Hα 6562.80 Å (air) → 6564.61 Å (vacuum).
    """
    air = np.asarray(wavelength_angstrom, dtype=np.float64)
    s2 = (1e4 / np.where(air > 0, air, 1.0)) ** 2
    n = 1.0 + 8.336624212083e-5 + 2.408926869968e-2 / (130.1065924522 - s2) + 1.599740894897e-4 / (38.92568793293 - s2)
    return np.where(air >= AIR_VACUUM_MIN_ANGSTROM, air * n, air)


def column(data: fits.FITS_rec, name: str) -> np.ndarray:
    """A table column by name in any case (``FITS_rec`` looks names up case-blind; KeyError if absent)."""
    return np.asarray(data[name])


def row_values(hdu: fits.BinTableHDU, index: int = 0) -> dict[str, Any]:
    """The scalar cells of one table row by upper-case column name, to look up like header keys."""
    row = hdu.data[index]
    return {name.upper(): row[name] for name in hdu.columns.names if np.ndim(row[name]) == 0}


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
    flux = _infinite_as_missing(flux)
    ivar = np.asarray(ivar, dtype=np.float32)
    error = errors_from_ivar(ivar, flux)
    usable = np.isfinite(flux) & np.isfinite(ivar) & (ivar > 0)
    if bad_pixels is not None:
        usable &= ~np.asarray(bad_pixels, dtype=bool)
    if math.isnan(meta.snr):
        meta = _replace(meta, snr=median_snr(flux, error, usable))
    return _in_wavelength_order(wavelength, flux, error, usable, meta)


def spectrum_from_error(
    wavelength: np.ndarray,
    flux: np.ndarray,
    error: np.ndarray,
    meta: SpectrumMeta,
    bad_pixels: np.ndarray | None = None,
    estimate_snr: bool = True,
) -> Spectrum:
    """Build a Spectrum from flux and a 1-sigma error array (APOGEE, generic tables).

    ``estimate_snr=False`` leaves an unknown S/N unknown (for errors that are themselves a guess).
    """
    flux = _infinite_as_missing(flux)
    error = np.asarray(error, dtype=np.float32)
    usable = np.isfinite(flux) & np.isfinite(error) & (error > 0)
    if bad_pixels is not None:
        usable &= ~np.asarray(bad_pixels, dtype=bool)
    if math.isnan(meta.snr) and estimate_snr:
        meta = _replace(meta, snr=median_snr(flux, error, usable))
    return _in_wavelength_order(wavelength, flux, error, usable, meta)


def _infinite_as_missing(flux: np.ndarray) -> np.ndarray:
    """Flux as float32 with infinite pixels NaN: missing, like the NaN pixels the resampling skips."""
    flux = np.asarray(flux, dtype=np.float32)
    return np.where(np.isinf(flux), np.float32(np.nan), flux)


def _in_wavelength_order(wavelength: np.ndarray, flux: np.ndarray, error: np.ndarray, usable: np.ndarray, meta: SpectrumMeta) -> Spectrum:
    """The Spectrum with its pixels in increasing wavelength, or a ``SpectrumReadError`` for an axis that is none.

    A pixel without a finite wavelength is dropped. Pixels stored in another order (reversed, shuffled)
    are sorted, since each still pairs its flux with its own wavelength; an axis that repeats a
    wavelength no longer pairs them, and is refused.
    """
    wavelength = np.asarray(wavelength, dtype=np.float64)
    keep = np.isfinite(wavelength)
    problem = wavelength_problem(wavelength[keep], len(wavelength))
    if problem:
        raise SpectrumReadError(meta.source, problem)
    order = np.flatnonzero(keep)
    if np.any(np.diff(wavelength[order]) < 0):
        order = order[np.argsort(wavelength[order], kind="stable")]
    return Spectrum(wavelength[order], flux[order], error[order], usable[order], meta)


def wavelength_problem(finite_wavelength: np.ndarray, n_pixels: int) -> str | None:
    """Why these finite wavelengths (Å) of an ``n_pixels`` spectrum are no wavelength axis, or None."""
    if n_pixels == 0:
        return "the spectrum has no pixels"
    if len(finite_wavelength) < 2:
        return f"no wavelength axis: {len(finite_wavelength)} of {n_pixels} pixels have a finite wavelength"
    low, high = finite_wavelength.min(), finite_wavelength.max()
    if low <= 0:
        return f"wavelengths not positive (down to {low:.4g} Å)"
    if low == high:
        return f"wavelength axis with zero dispersion (every pixel at {low:.2f} Å)"
    repeated = len(finite_wavelength) - len(np.unique(finite_wavelength))
    if repeated:
        return f"wavelength axis repeats itself ({repeated} pixels share a wavelength with another): flux and wavelength do not pair up"
    return None


def _replace(meta: SpectrumMeta, **changes: Any) -> SpectrumMeta:
    from dataclasses import replace

    return replace(meta, **changes)
