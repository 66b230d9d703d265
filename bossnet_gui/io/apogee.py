"""APOGEE near-IR spectra, all delivered on the 8575-pixel apStar grid (log10 λ = 4.179 + 6e-6·i, vacuum Å).

* ``apStar``/``asStar`` (APO/LCO combined spectra): HDU 1 flux, HDU 2 error, HDU 3 PIXMASK bits, with
  NVISITS+2 rows (row 0 the pixel-weighted combination) or, for a single visit, 1-D arrays.
* ``aspcapStar``: HDU 1 continuum-normalised flux, HDU 2 error, HDU 3 best-fit model, HDU 4 the ASPCAP
  table (PARAM/FPARAM: Teff, log g, vmicro, [M/H], [C/M], [N/M], [α/M], ...).
* ``apVisit``: one visit, three chips × 4096 pixels (flux, error, mask, wavelength in HDUs 1-4), chips
  and pixels in decreasing wavelength; resampled here onto the apStar grid. apVisit wavelengths are in
  the observed frame (apStar spectra are shifted to rest); the visit velocity goes into ``meta.extra``.

Parity with the published pipeline: the flux and error used for prediction are row 0 with every
non-finite value set to 0, and the error is taken as the file gives it (no ivar caps).

Mask: a pixel is usable when flux and error are finite, 0 < error < 1e10 (apStar writes 1e10 in the
chip gaps), and none of the PIXMASK bits 0-7 (BADPIX, CRPIX, SATPIX, UNFIXABLE, BADDARK, BADFLAT,
BADERR, NOSKY) is set. The warning bits (persistence, sky/telluric lines, Littrow ghost) are kept as
usable. For a multi-visit apStar the AND-of-visits mask row is used: the combined spectrum down-weights
a pixel that is bad in only some visits, so only pixels bad in every visit are lost.

Data models:
  https://data.sdss.org/datamodel/files/APOGEE_REDUX/APRED_VERS/stars/TELESCOPE/FIELD/apStar.html
  https://data.sdss.org/datamodel/files/APOGEE_ASPCAP/APRED_VERS/ASPCAP_VERS/TELESCOPE/FIELD/aspcapStar.html
  https://data.sdss.org/datamodel/files/APOGEE_REDUX/APRED_VERS/visit/TELESCOPE/PLATE_ID/MJD5/apVisit.html
"""

from __future__ import annotations

import math

import numpy as np
from astropy.io import fits

from ..spectrum import APOGEE, Spectrum, SpectrumMeta
from .common import has_columns, header_float, header_value, log_linear_wavelength, row_values, spectrum_from_error, survey_values

APSTAR_PIXELS = 8575
APSTAR_LOG10_START = 4.179
APSTAR_LOG10_STEP = 6e-6
BAD_PIXMASK = 0b1111_1111  # PIXMASK bits 0-7: BADPIX ... NOSKY
GAP_ERROR = 1e10  # apStar's error in pixels without data
APVISIT_CHIPS = 3
ASPCAP_INDEX = {"teff": 0, "logg": 1, "m_h": 3}  # PARAM order of DR12-DR17
ASPCAP_SYMBOLS = {"teff": "TEFF", "logg": "LOGG", "m_h": "M_H"}
MISSING = -9999.0  # ASPCAP's "no value"


def apstar_wavelength() -> np.ndarray:
    """The 8575 vacuum wavelengths (Å) of the apStar grid."""
    return log_linear_wavelength(APSTAR_LOG10_START, APSTAR_LOG10_STEP, APSTAR_PIXELS)


# -- identification ---------------------------------------------------------------------------


def _image_pixels(hdu: fits.hdu.base._BaseHDU) -> int:
    """Length of the fastest axis of an image HDU (header only), 0 for anything else."""
    if not isinstance(hdu, (fits.ImageHDU, fits.PrimaryHDU)) or not hdu.header.get("NAXIS"):
        return 0
    return int(hdu.header.get("NAXIS1", 0))


def _is_aspcap_table(hdu: fits.hdu.base._BaseHDU) -> bool:
    return has_columns(hdu, "FPARAM") or has_columns(hdu, "PARAM")


def identify_apstar(hdul: fits.HDUList) -> bool:
    return (
        len(hdul) >= 4
        and all(_image_pixels(hdul[i]) == APSTAR_PIXELS for i in (1, 2, 3))
        and hdul[3].header.get("BITPIX", 0) > 0  # the integer PIXMASK
        and not (len(hdul) > 4 and _is_aspcap_table(hdul[4]))
    )


def identify_aspcapstar(hdul: fits.HDUList) -> bool:
    return len(hdul) >= 5 and _image_pixels(hdul[1]) == APSTAR_PIXELS and _is_aspcap_table(hdul[4])


def identify_apvisit(hdul: fits.HDUList) -> bool:
    if len(hdul) < 5 or not all(_image_pixels(hdul[i]) for i in (1, 2, 3, 4)):
        return False
    shapes = {(hdul[i].header.get("NAXIS1"), hdul[i].header.get("NAXIS2")) for i in (1, 2, 3, 4)}
    wavelength_hdu = str(hdul[4].header.get("BUNIT", "")).lower().startswith("wavelength")
    apogee_telescope = str(hdul[0].header.get("TELESCOP", "")).strip().lower() in {"apo25m", "lco25m", "apo1m"}
    return len(shapes) == 1 and hdul[1].header.get("NAXIS2") == APVISIT_CHIPS and (wavelength_hdu or apogee_telescope)


# -- apStar -----------------------------------------------------------------------------------


def _combined(data: np.ndarray) -> np.ndarray:
    """Row 0 (the combined spectrum) of a visits × pixels array, or the array itself when 1-D."""
    data = np.asarray(data)
    return data if data.ndim == 1 else data[0]


def _mask_bits(data: np.ndarray) -> np.ndarray:
    """The AND-of-visits row of a multi-visit PIXMASK, or the 1-D mask of a single visit."""
    data = np.asarray(data)
    if data.ndim == 1:
        return data
    return data[1] if len(data) > 1 else data[0]


def _header_grid(header: fits.Header, n_pixels: int) -> np.ndarray:
    if "CRVAL1" not in header:
        return apstar_wavelength()[:n_pixels]
    first_pixel = header.get("CRPIX1", 1) - 1
    return log_linear_wavelength(header["CRVAL1"], header.get("CDELT1", APSTAR_LOG10_STEP), n_pixels, first_pixel)


def _finite_or_zero(values: np.ndarray) -> np.ndarray:
    return np.nan_to_num(np.asarray(values, dtype=np.float32), nan=0.0, posinf=0.0, neginf=0.0)


def _unusable(flux: np.ndarray, error: np.ndarray, bits: np.ndarray | None) -> np.ndarray:
    bad = ~np.isfinite(flux) | ~np.isfinite(error) | (error >= GAP_ERROR)
    if bits is not None:
        bad |= (np.asarray(bits).astype(np.int64) & BAD_PIXMASK) != 0
    return bad


def read_apstar(hdul: fits.HDUList, path: str) -> list[Spectrum]:
    flux, error = _combined(hdul[1].data), _combined(hdul[2].data)
    bad = _unusable(flux, error, _mask_bits(hdul[3].data))
    meta = _apstar_meta(hdul[0].header, path, np.asarray(hdul[1].data).ndim == 1)
    wcs_header = hdul[1].header if "CRVAL1" in hdul[1].header else hdul[0].header  # DR13 writes both
    wavelength = _header_grid(wcs_header, len(flux))
    return [spectrum_from_error(wavelength, _finite_or_zero(flux), _finite_or_zero(error), meta, bad_pixels=bad)]


def _apstar_meta(header: fits.Header, path: str, single_visit: bool) -> SpectrumMeta:
    h = [header]
    extra = {
        "telescope": header_value(h, "TELESCOP"),
        "field": header_value(h, "FIELD"),
        "nvisits": header_value(h, "NVISITS"),
        "vhelio": header_float(h, "VHELIO"),
        "vscatter": header_float(h, "VSCATTER"),
        "verr": header_float(h, "VERR"),
        "starflag": header_value(h, "STARFLAG"),
        "single_visit_layout": single_visit,
        **survey_values(rv=header_float(h, "VHELIO")),
    }
    return _apogee_meta(h, path, "1" if single_visit else "1 row 0", "APOGEE apStar", extra)


def _apogee_meta(headers: list, path: str, hdu: str, file_format: str, extra: dict) -> SpectrumMeta:
    """Metadata common to the APOGEE products; ``extra`` entries that are None are dropped."""
    return SpectrumMeta(
        source=str(path),
        hdu=hdu,
        object_id=str(header_value(headers, "APOGEE_ID", "OBJID", "OBJ", default="")),
        ra=header_float(headers, "RA"),
        dec=header_float(headers, "DEC"),
        snr=header_float(headers, "SNR"),
        instrument="APOGEE",
        survey="SDSS APOGEE",
        file_format=file_format,
        domain=APOGEE,
        extra={k: v for k, v in extra.items() if v is not None},
    )


# -- aspcapStar -------------------------------------------------------------------------------


def read_aspcapstar(hdul: fits.HDUList, path: str) -> list[Spectrum]:
    flux, error = np.asarray(hdul[1].data), np.asarray(hdul[2].data)
    table = hdul[4]
    row = {name.upper(): table.data[name][0] for name in table.columns.names}
    sources = [row, hdul[0].header]
    parameters = _aspcap_parameters(row, table.header)
    survey = survey_values(parameters.get("aspcap_teff"), parameters.get("aspcap_logg"), parameters.get("aspcap_m_h"),
                           rv=header_float(sources, "VHELIO"), star_class=header_value(sources, "CLASS", default=""))
    wavelength = _header_grid(hdul[1].header, len(flux))
    best_fit = {"survey_model": (wavelength, np.asarray(hdul[3].data, dtype=np.float32))} if np.shape(hdul[3].data) == np.shape(flux) else {}
    meta = _apogee_meta(sources, path, "1", "APOGEE aspcapStar", {"continuum_normalised": True, **parameters, **survey, **best_fit})
    bad = _unusable(flux, error, None) | ~(error > 0)
    return [spectrum_from_error(wavelength, _finite_or_zero(flux), _finite_or_zero(error), meta, bad_pixels=bad)]


def _parameter_index(header: fits.Header) -> dict[str, int]:
    """Where Teff, log g and [M/H] sit in PARAM: from ``PARAM<n>``-style symbol keys if present, else DR12-17 order."""
    symbols = [str(v).strip().upper() for k, v in header.items() if k.startswith("PARAM") and k[5:].isdigit()]
    index = dict(ASPCAP_INDEX)
    for name, symbol in ASPCAP_SYMBOLS.items():
        if symbol in symbols:
            index[name] = symbols.index(symbol)
    return index


def _aspcap_parameters(row: dict, header: fits.Header) -> dict[str, float]:
    """Calibrated ``aspcap_*`` (PARAM, errors from the PARAM_COV diagonal) and raw ``aspcap_fparam_*``; NaN where missing."""
    values: dict[str, float] = {}
    for prefix, key in (("aspcap", "PARAM"), ("aspcap_fparam", "FPARAM")):
        if key not in row:
            continue
        params = np.ravel(row[key])
        variances = _diagonal(row.get(f"{key}_COV"))
        for name, i in _parameter_index(header).items():
            value = _valid(params[i]) if i < len(params) else math.nan
            variance = variances[i] if i < len(variances) else math.nan
            values[f"{prefix}_{name}"] = value
            values[f"{prefix}_{name}_err"] = math.sqrt(variance) if math.isfinite(value) and variance > 0 else math.nan
    for key in ("ASPCAPFLAG", "STARFLAG"):
        if key in row:
            values[key.lower()] = int(row[key])
    return values


def _diagonal(covariance) -> np.ndarray:
    if covariance is None:
        return np.array([])
    covariance = np.asarray(covariance, dtype=np.float64)
    n = math.isqrt(covariance.size)
    return np.diag(covariance.reshape(n, n)) if n * n == covariance.size else np.array([])


def _valid(value: float) -> float:
    value = float(value)
    return math.nan if not math.isfinite(value) or value <= MISSING + 1 else value


# -- apVisit ----------------------------------------------------------------------------------


def read_apvisit(hdul: fits.HDUList, path: str) -> list[Spectrum]:
    flux, error, bits, wavelength = (np.asarray(hdul[i].data) for i in (1, 2, 3, 4))
    grid = apstar_wavelength()
    grid_flux, grid_error, grid_bad = _resample_chips(grid, wavelength, flux, error, bits)
    meta = _apvisit_meta(hdul, path)
    return [spectrum_from_error(grid, grid_flux, grid_error, meta, bad_pixels=grid_bad)]


def _resample_chips(
    grid: np.ndarray, wavelength: np.ndarray, flux: np.ndarray, error: np.ndarray, bits: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flux, error and bad pixels on ``grid``, chip by chip by linear interpolation (chips × pixels in).

    Grid points outside every chip get flux and error 0 and are bad; a grid point next to a bad
    native pixel is bad.
    """
    out_flux = np.zeros(len(grid), dtype=np.float32)
    out_error = np.zeros(len(grid), dtype=np.float32)
    covered = np.zeros(len(grid), dtype=bool)
    bad_fraction = np.zeros(len(grid))
    for chip_wave, chip_flux, chip_error, chip_bits in zip(wavelength, flux, error, bits):
        order = np.argsort(chip_wave)  # chips are stored red to blue
        w = np.asarray(chip_wave, dtype=np.float64)[order]
        f, e, b = chip_flux[order], chip_error[order], chip_bits[order]
        bad = _unusable(f, e, b) | ~(e > 0)
        good = np.isfinite(f) & np.isfinite(e)  # every finite pixel is interpolated; badness travels separately
        inside = (grid >= w[0]) & (grid <= w[-1])
        if good.sum() < 2 or not inside.any():
            continue
        out_flux[inside] = np.interp(grid[inside], w[good], f[good])
        out_error[inside] = np.interp(grid[inside], w[good], e[good])
        bad_fraction[inside] = np.interp(grid[inside], w, bad.astype(np.float64))
        covered |= inside
    return out_flux, out_error, ~covered | (bad_fraction > 0)


def _apvisit_meta(hdul: fits.HDUList, path: str) -> SpectrumMeta:
    table = _visit_table(hdul)
    headers = [hdul[0].header, *table]
    extra = {
        "telescope": header_value(headers, "TELESCOP", "TELESCOPE"),
        "plate": header_value(headers, "PLATE"),
        "mjd": header_value(headers, "MJD5", "MJD"),
        "fiber": header_value(headers, "FIBERID"),
        "vrel": header_float(headers, "VRAD", "VREL"),
        "vhelio": header_float(headers, "VHELIO"),
        "bc": header_float(headers, "BC"),
        "starflag": header_value(headers, "STARFLAG"),
        "rest_frame": False,
    }
    return _apogee_meta(headers, path, "1-4 (3 chips)", "APOGEE apVisit", extra)


def _visit_table(hdul: fits.HDUList) -> list[dict]:
    """The one-row visit summary table (HDU 11 in DR13-DR17) as a dict, if the file has it."""
    for hdu in hdul[5:]:
        if isinstance(hdu, fits.BinTableHDU) and has_columns(hdu, "APOGEE_ID") and len(hdu.data):
            return [row_values(hdu)]
    return []
