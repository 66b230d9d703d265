"""Any other 1-D optical spectrum in FITS (lowest priority): the fallback for spectrographs without a
reader of their own.

* image: a 1-D primary or extension image with a linear wavelength WCS (``CRVAL1`` + ``CDELT1`` or
  ``CD1_1``, ``CRPIX1``; ``CTYPE1`` absent or one of WAVE, AWAV, LINEAR, ...) or a log-linear one
  (``DC-FLAG = 1``, or ``CTYPE1 = 'WAVE-LOG'`` with a log10 ``CRVAL1``, both meaning log10 Å; a
  ``WAVE-LOG`` axis with ``CRVAL1`` in Å follows the FITS standard λ = CRVAL1·exp(Δ/CRVAL1)).
  An error array is taken from an image extension of the same length named ERR/ERROR/SIGMA/... or
  IVAR/INVVAR.
* table: a binary table with a wavelength column (wave, wavelength, lambda, loglam → 10**) and a flux
  column, plus error/err/sigma/flux_err or ivar/inverse_variance: one row of array columns per
  spectrum (several rows = several spectra), or one value per row.

Units (``CUNIT1``, ``TUNITn``, IRAF ``WAT1_001 units=``) in nm, µm or m become Å. Air wavelengths
(``CTYPE1 = 'AWAV'``, ``AIRORVAC = 'air'``, ``VACUUM = F``, an ``awav`` column) become vacuum with
``common.air_to_vacuum``; where the file does not say, the wavelengths are taken as vacuum and
``meta.extra["wavelength_medium"]`` says so. Without an error array the error is unknown: it is set
as the published pipeline does for zero inverse variance (0.1 × median flux everywhere) and
``meta.extra["error_estimated"]`` is True.

A FITS file without such a spectrum (a 2-D image, a catalogue table) is not claimed.

Conventions: FITS WCS Paper III (Greisen et al. 2006, A&A 446, 747) for spectral axes; IRAF
``DC-FLAG`` for log10 dispersion.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
from astropy.io import fits

from ..preprocess import errors_from_ivar
from ..spectrum import OPTICAL, Spectrum, SpectrumMeta
from .common import air_to_vacuum, column, header_float, header_value, spectrum_from_error, spectrum_from_ivar

MIN_PIXELS = 16
SPECTRAL_CTYPES = {"", "WAVE", "AWAV", "LINEAR", "WAVELENGTH", "LAMBDA", "WAVE-LOG", "AWAV-LOG", "WAV", "LOGLAM", "LOG-LINEAR"}
LOG10_CTYPES = {"LOGLAM", "LOG-LINEAR"}  # CRVAL1/CDELT1 in log10 Å, as IRAF/SDSS write them
WAVELENGTH_COLUMNS = ("wavelength", "wave", "lambda", "lam", "awav", "wavelen", "loglam")
FLUX_COLUMNS = ("flux", "flux_density", "flam", "f_lambda", "fluxdens")
ERROR_COLUMNS = ("error", "err", "sigma", "flux_err", "flux_error", "err_flux", "e_flux", "noise", "uncertainty")
IVAR_COLUMNS = ("ivar", "inverse_variance", "invvar", "flux_ivar")
ERROR_EXTENSIONS = {"ERR", "ERROR", "ERRS", "SIGMA", "NOISE", "UNCERT", "UNCERTAINTY", "STDDEV"}
IVAR_EXTENSIONS = {"IVAR", "INVVAR", "INVERSE_VARIANCE"}
ANGSTROMS_PER_UNIT = {
    "angstrom": 1.0, "angstroms": 1.0, "aa": 1.0, "a": 1.0, "ang": 1.0, "0.1 nm": 1.0,
    "nm": 10.0, "nanometer": 10.0, "nanometers": 10.0,
    "um": 1e4, "µm": 1e4, "micron": 1e4, "microns": 1e4, "micrometer": 1e4,
    "m": 1e10, "meter": 1e10, "cm": 1e8, "mm": 1e7,
}


# -- identification ---------------------------------------------------------------------------


def identify(hdul: fits.HDUList) -> bool:
    return _spectrum_image(hdul) is not None or _spectrum_table(hdul) is not None


def _is_1d_image(hdu: fits.hdu.base._BaseHDU) -> bool:
    header = hdu.header
    if not isinstance(hdu, (fits.PrimaryHDU, fits.ImageHDU)) or not header.get("NAXIS"):
        return False
    other_axes = [header.get(f"NAXIS{i}", 1) for i in range(2, header["NAXIS"] + 1)]
    return header.get("NAXIS1", 0) >= MIN_PIXELS and all(n == 1 for n in other_axes)


def _has_spectral_wcs(header: fits.Header) -> bool:
    ctype = str(header.get("CTYPE1", "")).strip().upper()
    has_step = "CDELT1" in header or "CD1_1" in header
    return "CRVAL1" in header and has_step and ctype in SPECTRAL_CTYPES


def _spectrum_image(hdul: fits.HDUList) -> int | None:
    """Index of the first 1-D image with a spectral WCS."""
    for index, hdu in enumerate(hdul):
        if _is_1d_image(hdu) and _has_spectral_wcs(hdu.header):
            return index
    return None


def _find(names: list[str], candidates: tuple[str, ...]) -> str | None:
    lower = {n.lower(): n for n in names}
    return next((lower[c] for c in candidates if c in lower), None)


def _spectrum_table(hdul: fits.HDUList) -> int | None:
    """Index of the first table with a wavelength and a flux column."""
    for index, hdu in enumerate(hdul):
        if isinstance(hdu, (fits.BinTableHDU, fits.TableHDU)):
            names = hdu.columns.names
            if _find(names, WAVELENGTH_COLUMNS) and _find(names, FLUX_COLUMNS):
                return index
    return None


# -- reading ----------------------------------------------------------------------------------


def read(hdul: fits.HDUList, path: str) -> list[Spectrum]:
    image = _spectrum_image(hdul)
    if image is not None:
        return [_read_image(hdul, image, path)]
    return list(_read_table(hdul, _spectrum_table(hdul), path))


def _read_image(hdul: fits.HDUList, index: int, path: str) -> Spectrum:
    hdu = hdul[index]
    flux = np.ravel(hdu.data)
    wavelength, medium = _image_wavelength(hdu.header, hdul[0].header, len(flux))
    error, ivar = _image_uncertainty(hdul, index, len(flux))
    meta = _meta([hdu.header, hdul[0].header], path, str(index), "generic 1D FITS (image)", medium, error is None and ivar is None)
    return _spectrum(wavelength, flux, error, ivar, meta)


def _image_wavelength(header: fits.Header, primary: fits.Header, n: int) -> tuple[np.ndarray, str]:
    ctype = str(header.get("CTYPE1", "")).strip().upper()
    step = float(header.get("CD1_1", header.get("CDELT1")))
    crval = float(header["CRVAL1"])
    offset = step * (np.arange(n, dtype=np.float64) + 1 - float(header.get("CRPIX1", 1)))
    if header.get("DC-FLAG") == 1 or ctype in LOG10_CTYPES or (ctype.endswith("-LOG") and crval < 10):
        wavelength = 10.0 ** (crval + offset)
    elif ctype.endswith("-LOG"):
        wavelength = crval * np.exp(offset / crval)
    else:
        wavelength = crval + offset
    wavelength = wavelength * _angstroms_per(_image_unit(header))
    return _to_vacuum(wavelength, ctype.startswith("AWAV") or _header_says_air([header, primary]), [header, primary])


def _image_unit(header: fits.Header) -> str:
    if "CUNIT1" in header:
        return str(header["CUNIT1"])
    wat = str(header.get("WAT1_001", ""))
    return next((part.split("=", 1)[1] for part in wat.split() if part.startswith("units=")), "")


def _image_uncertainty(hdul: fits.HDUList, index: int, n: int) -> tuple[np.ndarray | None, np.ndarray | None]:
    """An error (or inverse-variance) array from a same-length image extension, if the file has one."""
    for hdu in hdul:
        name = str(hdu.header.get("EXTNAME", "")).strip().upper()
        if hdu is hdul[index] or not _is_1d_image(hdu) or hdu.header.get("NAXIS1") != n:
            continue
        if name in ERROR_EXTENSIONS:
            return np.ravel(hdu.data), None
        if name in IVAR_EXTENSIONS:
            return None, np.ravel(hdu.data)
    return None, None


def _read_table(hdul: fits.HDUList, index: int, path: str) -> Iterator[Spectrum]:
    hdu = hdul[index]
    names = hdu.columns.names
    wave_name, flux_name = _find(names, WAVELENGTH_COLUMNS), _find(names, FLUX_COLUMNS)
    error_name, ivar_name = _find(names, ERROR_COLUMNS), _find(names, IVAR_COLUMNS)
    headers = [hdu.header, hdul[0].header]
    unit = _angstroms_per(hdu.columns[wave_name].unit or "")
    air = wave_name.lower() == "awav" or _header_says_air(headers)
    per_row = hdu.data[flux_name].ndim > 1  # array columns: one spectrum per row
    for row in range(len(hdu.data)) if per_row else [None]:
        flux, error, ivar, wavelength = (
            _cells(hdu.data, name, row) if name else None for name in (flux_name, error_name, ivar_name, wave_name)
        )
        wavelength = 10.0 ** wavelength.astype(np.float64) if wave_name.lower() == "loglam" else wavelength * unit
        wavelength, medium = _to_vacuum(wavelength, air, headers)
        label = f"{index} row {row}" if per_row and len(hdu.data) > 1 else str(index)
        meta = _meta(headers, path, label, "generic 1D FITS (table)", medium, error is None and ivar is None)
        yield _spectrum(wavelength, flux, error, ivar, meta)


def _cells(data: fits.FITS_rec, name: str, row: int | None) -> np.ndarray:
    values = column(data, name)
    return np.asarray(values if row is None else values[row], dtype=np.float64).ravel()


def _angstroms_per(unit: str) -> float:
    """Å per wavelength unit; no unit means Å. An unknown unit is refused rather than guessed."""
    key = str(unit).strip().lower().replace("μ", "µ").rstrip(".")
    if not key:
        return 1.0
    if key not in ANGSTROMS_PER_UNIT:
        raise ValueError(f"wavelength unit '{unit}' is not one this app converts (Å, nm, µm, m)")
    return ANGSTROMS_PER_UNIT[key]


def _header_says_air(headers: list[fits.Header]) -> bool:
    medium = str(header_value(headers, "AIRORVAC", default="")).lower()
    return medium.startswith("air") or header_value(headers, "VACUUM") is False


def _to_vacuum(wavelength: np.ndarray, air: bool, headers: list[fits.Header]) -> tuple[np.ndarray, str]:
    if air:
        return air_to_vacuum(wavelength), "air (converted to vacuum)"
    stated = header_value(headers, "VACUUM") is True or str(header_value(headers, "AIRORVAC", default="")).lower().startswith("vac")
    ctype = str(header_value(headers, "CTYPE1", default="")).upper()
    return wavelength, "vacuum" if stated or ctype.startswith("WAVE") else "not stated (taken as vacuum)"


def _spectrum(wavelength, flux, error, ivar, meta: SpectrumMeta) -> Spectrum:
    """With the release's default error when the file has none."""
    if ivar is not None:
        return spectrum_from_ivar(wavelength, flux, ivar, meta)
    if error is None:
        flux = np.asarray(flux, dtype=np.float32)
        error = errors_from_ivar(np.zeros_like(flux), flux)
        return spectrum_from_error(wavelength, flux, error, meta, estimate_snr=False)
    return spectrum_from_error(wavelength, flux, error, meta)


def _meta(headers: list[fits.Header], path: str, hdu: str, file_format: str, medium: str, error_estimated: bool) -> SpectrumMeta:
    return SpectrumMeta(
        source=str(path),
        hdu=hdu,
        object_id=str(header_value(headers, "OBJECT", "OBJNAME", "STARIDEN", "HNAME", "TARGNAME", default="")),
        ra=header_float(headers, "RA"),
        dec=header_float(headers, "DEC"),
        snr=header_float(headers, "SNR", "SN", "S_N"),
        instrument=str(header_value(headers, "INSTRUME", "TELESCOP", default="")),
        survey=str(header_value(headers, "TPLLIB", "SURVEY", default="")),
        file_format=file_format,
        domain=OPTICAL,
        extra={"wavelength_medium": medium, "error_estimated": error_estimated},
    )
