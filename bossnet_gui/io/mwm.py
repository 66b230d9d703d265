"""SDSS-V Milky Way Mapper ``mwmStar-*.fits`` (one coadd per instrument and observatory) and
``mwmVisit-*.fits`` (every visit), as written by Astra for DR19.

HDU 1-4 are binary tables named ``BOSS/APO``, ``BOSS/LCO``, ``APOGEE/APO``, ``APOGEE/LCO``; each ROW is
one spectrum with array columns ``flux``, ``ivar``, ``pixel_flags`` and scalars such as ``sdss_id``,
``snr``, ``telescope``, ``mjd`` (visits) or ``min_mjd``/``max_mjd`` (coadds). The wavelength is a
``wavelength`` column when present, else the HDU header's log-linear ``CRVAL``/``CDELT``/``NPIXELS``
(BOSS: 10**(3.5523 + 1e-4·i), 4648 px; APOGEE: the 8575-pixel apStar grid), vacuum Å.
An HDU without rows (or with ``DATASUM = '0'``, Astra's mark of an empty HDU) is skipped.
BOSS rows give optical spectra, APOGEE rows near-IR ones; ``meta.hdu`` says e.g. "BOSS/APO row 0".

Mask: BOSS rows are bad where ``pixel_flags`` is non-zero (as specutils reads these files); APOGEE
rows use the APOGEE PIXMASK "bad" bits 0-7, as for apStar (see ``apogee``).

Data models: the DR19 pages for ``mwmStar`` and ``mwmVisit`` under https://data.sdss.org/datamodel/
(Astra 0.6); the layout was cross-checked against specutils' ``sdss_v.py`` loader. No genuine file was
available here: tests use files written in that layout.
"""

from __future__ import annotations

import re

import numpy as np
from astropy.io import fits

from ..spectrum import APOGEE, OPTICAL, Spectrum, SpectrumMeta
from .apogee import BAD_PIXMASK
from .common import column, has_columns, header_float, header_value, log_linear_wavelength, row_values, spectrum_from_ivar

EXTNAME = re.compile(r"^(BOSS|APOGEE)/(APO|LCO)$", re.IGNORECASE)


def identify(hdul: fits.HDUList) -> bool:
    return any(_is_spectra_hdu(hdu) for hdu in hdul[1:5])


def _is_spectra_hdu(hdu: fits.hdu.base._BaseHDU) -> bool:
    return isinstance(hdu, fits.BinTableHDU) and bool(EXTNAME.match(str(hdu.header.get("EXTNAME", "")).strip()))


def _is_empty(hdu: fits.BinTableHDU) -> bool:
    return hdu.header.get("NAXIS2", 0) == 0 or str(hdu.header.get("DATASUM", "")).strip() == "0"


def read(hdul: fits.HDUList, path: str) -> list[Spectrum]:
    primary = hdul[0].header
    spectra = []
    for hdu in hdul[1:]:
        if _is_spectra_hdu(hdu) and not _is_empty(hdu):
            spectra += [_row_spectrum(hdu, i, primary, path) for i in range(len(hdu.data))]
    return spectra


def _row_spectrum(hdu: fits.BinTableHDU, index: int, primary: fits.Header, path: str) -> Spectrum:
    data = hdu.data
    flux = column(data, "flux")[index]
    ivar = column(data, "ivar")[index]
    instrument = str(hdu.header["EXTNAME"]).split("/")[0].upper()
    bad = _bad_pixels(column(data, "pixel_flags")[index], instrument) if has_columns(hdu, "pixel_flags") else None
    meta = _meta(hdu, index, primary, path, instrument)
    return spectrum_from_ivar(_wavelength(hdu, index, len(flux)), flux, ivar, meta, bad_pixels=bad)


def _bad_pixels(flags: np.ndarray, instrument: str) -> np.ndarray:
    flags = np.asarray(flags).astype(np.int64)
    return (flags & BAD_PIXMASK) != 0 if instrument == "APOGEE" else flags != 0


def _wavelength(hdu: fits.BinTableHDU, index: int, n_pixels: int) -> np.ndarray:
    if has_columns(hdu, "wavelength"):
        return np.asarray(column(hdu.data, "wavelength")[index], dtype=np.float64)
    header = hdu.header
    first_pixel = header.get("CRPIX", 1) - 1
    return log_linear_wavelength(header["CRVAL"], header["CDELT"], header.get("NPIXELS", n_pixels), first_pixel)


def _meta(hdu: fits.BinTableHDU, index: int, primary: fits.Header, path: str, instrument: str) -> SpectrumMeta:
    row = row_values(hdu, index)
    sources = [row, primary]
    sdss_id = header_value(sources, "SDSS_ID")
    is_visit = "MJD" in row
    extra = {
        "sdss_id": sdss_id,
        "catalogid": header_value(sources, "CATALOGID", "CAT_ID"),
        "gaia_dr3_source_id": header_value([primary], "GAIA3_ID"),
        "apogee_id": header_value(sources, "OBJ", "APOGEEID"),
        "telescope": header_value(sources, "TELESCOPE"),
        "observatory": str(hdu.header["EXTNAME"]).split("/")[1].upper(),
        "mjd": header_value([row], "MJD"),
        "min_mjd": header_value([row], "MIN_MJD"),
        "max_mjd": header_value([row], "MAX_MJD"),
        "in_stack": header_value([row], "IN_STACK"),
        "v_astra": header_value([primary], "V_ASTRA"),
    }
    return SpectrumMeta(
        source=str(path),
        hdu=f"{str(hdu.header['EXTNAME']).strip()} row {index}",
        object_id=f"sdss_id {sdss_id}" if sdss_id is not None else "",
        ra=header_float(sources, "RA"),
        dec=header_float(sources, "DEC"),
        snr=header_float([row], "SNR"),
        instrument=instrument,
        survey="SDSS-V",
        file_format="SDSS-V mwmVisit" if is_visit else "SDSS-V mwmStar",
        domain=APOGEE if instrument == "APOGEE" else OPTICAL,
        extra={k: _plain(v) for k, v in extra.items() if v is not None},
    )


def _plain(value):
    """numpy scalars to Python ones, so metadata compares and serialises simply."""
    return value.item() if isinstance(value, np.generic) else value
