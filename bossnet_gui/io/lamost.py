"""LAMOST low-resolution (LRS) 1-D spectra, ``spec-LMJD-PLANID_spSPID-FIBERID.fits[.gz]``.

Two layouts, both recognised by content (``TELESCOP = 'LAMOST'``), never by file name:

* image (DR1-DR8): the primary HDU is a 5-row image. Which row holds what is written in ``EXTEN0``
  and it is *not* always the same: DR8 files hold ``Flux, Inverse, Wavelength, Andmask, Ormask``,
  DR1 (pipeline v2.6.4) files ``Flux Inverse Subcontinuum Andmask Ormask``. So the wavelength comes
  from the header (``COEFF0`` + ``COEFF1``·pixel, log10 Å) and a wavelength row is used only when
  it agrees with it.
* table (DR9 and later): HDU 1 is a one-row table with array columns ``FLUX``, ``IVAR``,
  ``WAVELENGTH``, ``ANDMASK``, ``ORMASK``; the primary header carries the same keys as above.

LAMOST wavelengths are vacuum (``VACUUM = T``); a file saying otherwise is converted.

Data models:
  https://www.lamost.org/dr8/v2.0/doc/lr-data-production-description
  https://www.lamost.org/dr9/v2.0/doc/lr-data-production-description
"""

from __future__ import annotations

import math

import numpy as np
from astropy.io import fits

from ..spectrum import OPTICAL, Spectrum, SpectrumMeta
from .common import (
    survey_values,
    air_to_vacuum,
    column,
    has_columns,
    header_float,
    header_value,
    log_linear_wavelength,
    spectrum_from_ivar,
)

IMAGE_ROWS = ("flux", "inverse", "wavelength", "andmask", "ormask")  # the order when EXTEN0 says nothing
TABLE_COLUMNS = ("FLUX", "IVAR", "WAVELENGTH")
ROW_AGREEMENT_ANGSTROM = 0.1  # a wavelength row further than this from the header is not trusted
SNR_BANDS = ("G", "R", "I")


def identify(hdul: fits.HDUList) -> bool:
    telescope = str(hdul[0].header.get("TELESCOP", "")).strip().upper()
    return telescope == "LAMOST" and (_is_table_layout(hdul) or _is_image_layout(hdul))


def _is_image_layout(hdul: fits.HDUList) -> bool:
    header = hdul[0].header
    return header.get("NAXIS") == 2 and header.get("NAXIS2", 0) >= 2 and header.get("NAXIS1", 0) > 1


def _is_table_layout(hdul: fits.HDUList) -> bool:
    return len(hdul) > 1 and has_columns(hdul[1], *TABLE_COLUMNS)


def read(hdul: fits.HDUList, path: str) -> list[Spectrum]:
    primary = hdul[0].header
    if _is_table_layout(hdul):
        flux, ivar, wavelength, andmask = _table_arrays(hdul[1])
        hdu = "1"
    else:
        flux, ivar, wavelength, andmask = _image_arrays(hdul[0])
        hdu = "0"
    if primary.get("VACUUM") is False:
        wavelength = air_to_vacuum(wavelength)
    bad = andmask != 0 if andmask is not None else None
    return [spectrum_from_ivar(wavelength, flux, ivar, _meta(primary, path, hdu), bad_pixels=bad)]


def _image_arrays(hdu: fits.PrimaryHDU) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    data = np.asarray(hdu.data)
    rows = _row_names(hdu.header, len(data))
    wavelength = _header_wavelength(hdu.header, data.shape[1])
    if "wavelength" in rows and _agrees(data[rows["wavelength"]], wavelength):
        wavelength = data[rows["wavelength"]].astype(np.float64)
    andmask = data[rows["andmask"]] if "andmask" in rows else None
    return data[rows["flux"]], data[rows["inverse"]], wavelength, andmask


def _row_names(header: fits.Header, n_rows: int) -> dict[str, int]:
    """Row index by name, from ``EXTEN0`` ('Flux, Inverse, Wavelength, ...'), else the DR8 order."""
    described = str(header.get("EXTEN0", "")).replace(",", " ").lower().split()
    names = described if {"flux", "inverse"} <= set(described) else list(IMAGE_ROWS)
    return {name: i for i, name in enumerate(names[:n_rows])}


def _header_wavelength(header: fits.Header, n_pixels: int) -> np.ndarray:
    if "COEFF0" in header and "COEFF1" in header:
        return log_linear_wavelength(header["COEFF0"], header["COEFF1"], n_pixels)
    crpix = header.get("CRPIX1", 1)
    # some DR8 files write CRPIX1 = -9999 (and CTYPE1 = -9999); COEFF0 is always pixel 1 there
    crpix = crpix if isinstance(crpix, (int, float)) and crpix > -9999 else 1
    step = header.get("CD1_1", header.get("CDELT1"))
    return log_linear_wavelength(header["CRVAL1"], step, n_pixels, first_pixel=crpix - 1)


def _agrees(row: np.ndarray, wavelength: np.ndarray) -> bool:
    row = np.asarray(row, dtype=np.float64)
    return bool(np.all(np.isfinite(row)) and np.max(np.abs(row - wavelength)) < ROW_AGREEMENT_ANGSTROM)


def _table_arrays(hdu: fits.BinTableHDU) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    row = hdu.data[:1]
    andmask = column(row, "ANDMASK")[0] if has_columns(hdu, "ANDMASK") else None
    wavelength = column(row, "WAVELENGTH")[0].astype(np.float64)
    return column(row, "FLUX")[0], column(row, "IVAR")[0], wavelength, andmask


def _snr(header: fits.Header) -> float:
    """S/N in the r band (``SN_R`` in DR1, ``SNRR`` later), else the median of g, r, i."""
    r_band = header_float([header], "SNRR", "SN_R")
    if r_band > 0:
        return r_band
    bands = [header_float([header], f"SNR{b}", f"SN_{b}") for b in SNR_BANDS]
    valid = [v for v in bands if v > 0]
    return float(np.median(valid)) if valid else math.nan


def _meta(header: fits.Header, path: str, hdu: str) -> SpectrumMeta:
    h = [header]
    pipeline = header_value(h, "VERSPIPE", default="")
    release = header_value(h, "DATA_V", default="LAMOST")
    extra = {
        "obsid": header_value(h, "OBSID"),
        "objname": header_value(h, "OBJNAME"),
        "class": header_value(h, "CLASS"),
        "subclass": header_value(h, "SUBCLASS"),
        "z": header_float(h, "Z"),
        "z_err": header_float(h, "Z_ERR"),
        "helio_rv": header_float(h, "HELIO_RV"),
        "pipeline_version": pipeline,
        **{f"snr_{b.lower()}": header_float(h, f"SNR{b}", f"SN_{b}") for b in "UGRIZ"},
        # LASP's class and velocity (the heliocentric RV where given, else from its redshift)
        **survey_values(rv=header_float(h, "HELIO_RV"), z=header_float(h, "Z"),
                        star_class=[header_value(h, "CLASS", default=""), header_value(h, "SUBCLASS", default="")]),
    }
    return SpectrumMeta(
        source=str(path),
        hdu=hdu,
        object_id=str(header_value(h, "DESIG", "OBJNAME", default="")),
        ra=header_float(h, "RA"),
        dec=header_float(h, "DEC"),
        snr=_snr(header),
        instrument="LAMOST",
        survey=f"{release} (pipeline {pipeline})" if pipeline else release,
        file_format="LAMOST LRS",
        domain=OPTICAL,
        extra={k: v for k, v in extra.items() if v is not None},
    )
