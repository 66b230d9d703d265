"""SDSS optical ``spec`` files: SDSS I-IV BOSS/SEGUE ``spec-PLATE-MJD-FIBER.fits`` (full and lite)
and SDSS-V BOSS ``spec-FIELD-MJD-CATALOGID.fits``; both keep the coadd in HDU 1 as a table with
``flux``, ``loglam``, ``ivar``, ``and_mask``.

Data models:
  https://data.sdss.org/datamodel/files/BOSS_SPECTRO_REDUX/RUN2D/spectra/PLATE4/spec.html
  https://data.sdss.org/datamodel/files/BOSS_SPECTRO_REDUX/RUN2D/spectra/full/FIELDGROUP/FIELD/MJD/spec.html
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from astropy.io import fits

from ..spectrum import OPTICAL, Spectrum, SpectrumMeta
from .common import column, has_columns, header_float, header_value, spectrum_from_ivar, survey_values

REQUIRED = ("flux", "loglam", "ivar")


def identify(hdul: fits.HDUList) -> bool:
    return len(hdul) > 1 and has_columns(hdul[1], *REQUIRED)


def _is_sdss5(hdul: fits.HDUList) -> bool:
    primary = hdul[0].header
    run2d = str(primary.get("RUN2D", ""))
    return run2d.startswith("v6") or "CATALOGID" in primary or "FIELD" in primary or "SPALL" in hdul


def _object_table(hdul: fits.HDUList) -> list[fits.Header | dict]:
    """The one-row SPECOBJ/SPALL table as a dict, so its values can be looked up like header keys."""
    for name in ("SPECOBJ", "SPALL"):
        if name in hdul and isinstance(hdul[name], fits.BinTableHDU) and len(hdul[name].data):
            row = hdul[name].data[0]
            return [{k.upper(): row[k] for k in hdul[name].columns.names if np.ndim(row[k]) == 0}]
    return []


def _survey_values(table: list[dict]) -> dict:
    """The SDSS pipeline's class, subclass and redshift, and its ELODIE template's Teff, log g and [Fe/H] (the
    best-matching library star, a rough guide) from SPECOBJ; SDSS-V's SPALL names them the same way."""
    def number(key):
        value = header_float(table, key)
        return value if value > -9000 else None  # -9999: no value

    return survey_values(number("ELODIE_TEFF"), number("ELODIE_LOGG"), number("ELODIE_FEH"), z=number("Z"),
                         star_class=[header_value(table, "CLASS", default=""), header_value(table, "SUBCLASS", default="")])


def _survey_model(coadd, wavelength: np.ndarray, hdu) -> dict:
    """The SDSS pipeline's best-fit model (the ``model`` column), as (wavelength, flux) for the spectrum panel."""
    if not has_columns(hdu, "model"):
        return {}
    return {"survey_model": (np.asarray(wavelength, dtype=np.float64), column(coadd, "model").astype(np.float32))}


def _object_id(hdul: fits.HDUList, path: str, sdss5: bool) -> str:
    h = hdul[0].header
    if sdss5 and header_value([h], "CATALOGID") is not None:
        return f"catalogid {header_value([h], 'CATALOGID')}"
    plate, mjd, fiber = (header_value([h], k) for k in ("PLATEID", "MJD", "FIBERID"))
    if None not in (plate, mjd, fiber):
        return f"{int(plate):04d}-{int(mjd)}-{int(fiber):04d}"
    return Path(path).stem.removeprefix("spec-")


def read(hdul: fits.HDUList, path: str) -> list[Spectrum]:
    coadd = hdul[1].data
    flux = column(coadd, "flux")
    # float32 arithmetic exactly as the published reader does it (parity to 1e-5)
    wavelength = 10 ** column(coadd, "loglam").astype(np.float32)
    ivar = column(coadd, "ivar")
    and_mask = column(coadd, "and_mask") if has_columns(hdul[1], "and_mask") else None
    sdss5 = _is_sdss5(hdul)
    headers = [hdul[0].header, *_object_table(hdul)]
    meta = SpectrumMeta(
        source=str(path),
        hdu="1",
        object_id=_object_id(hdul, path, sdss5),
        ra=header_float(headers, "PLUG_RA", "RACAT", "RA", "OBJRA"),
        dec=header_float(headers, "PLUG_DEC", "DECCAT", "DEC", "OBJDEC"),
        snr=header_float(headers[1:], "SN_MEDIAN_ALL"),
        instrument="BOSS" if sdss5 or "BOSS" in str(header_value(headers, "INSTRUME", default="")) else "SDSS",
        survey="SDSS-V" if sdss5 else "SDSS-I-IV",
        file_format="SDSS spec",
        domain=OPTICAL,
        extra={**_survey_values(headers[1:]), **_survey_model(coadd, wavelength, hdul[1])},
    )
    bad = (and_mask != 0) if and_mask is not None else None
    return [spectrum_from_ivar(wavelength, flux, ivar, meta, bad_pixels=bad)]
