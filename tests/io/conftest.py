"""Fixtures for the reader tests: genuine files from ../shared/data, and files written with astropy in
the exact layouts of the published data models where no genuine sample exists."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from tests.conftest import DATA, require

LAMOST_LOG10_START, LAMOST_LOG10_STEP = 3.5682, 1e-4


@pytest.fixture
def data() -> Path:
    return require(DATA)


def lamost_primary_header(**changes) -> fits.Header:
    """Primary-header keys of a LAMOST LRS file (as in DR8/DR9), with optional changes."""
    header = fits.Header()
    cards = {
        "TELESCOP": "LAMOST",
        "DATA_V": "LAMOST DR9",
        "OBSID": 701001234,
        "RA": 120.5,
        "DEC": 30.25,
        "DESIG": "LAMOST J080200.00+301500.0",
        "OBJNAME": "1234567890",
        "HELIO_RV": 12.5,
        "VACUUM": True,
        "NWORDER": 2,
        "WFITTYPE": "LOG-LINEAR",
        "COEFF0": LAMOST_LOG10_START,
        "COEFF1": LAMOST_LOG10_STEP,
        "VERSPIPE": "v2.9.7",
        "CLASS": "STAR",
        "SUBCLASS": "G5",
        "Z": 5e-5,
        "SNRU": 10.0,
        "SNRG": 40.0,
        "SNRR": 55.0,
        "SNRI": 60.0,
        "SNRZ": 30.0,
    }
    cards.update(changes)
    for key, value in cards.items():
        header[key] = value
    return header


def smooth_flux(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (100 + 20 * np.sin(np.arange(n) / 200) + rng.normal(0, 1, n)).astype(np.float32)


@pytest.fixture
def lamost_table_file(tmp_path):
    """A LAMOST DR9+ LRS file: header-only primary, HDU 1 'COADD' with one row of array columns."""
    n = 3909
    wavelength = (10 ** (LAMOST_LOG10_START + LAMOST_LOG10_STEP * np.arange(n))).astype(np.float32)
    ivar = np.full(n, 0.04, dtype=np.float32)
    ivar[:10] = 0
    andmask = np.zeros(n, dtype=np.int32)
    andmask[100:110] = 4

    def col(name, array, fmt):
        return fits.Column(name=name, format=f"{n}{fmt}", array=array[None, :])

    coadd = fits.BinTableHDU.from_columns(
        [
            col("FLUX", smooth_flux(n), "E"),
            col("IVAR", ivar, "E"),
            col("WAVELENGTH", wavelength, "E"),
            col("ANDMASK", andmask, "J"),
            col("ORMASK", andmask, "J"),
            col("NORMALIZATION", np.ones(n, dtype=np.float32), "E"),
        ],
        name="COADD",
    )
    path = tmp_path / "spec-58000-HD000000N000000B01_sp01-001.fits"
    fits.HDUList([fits.PrimaryHDU(header=lamost_primary_header()), coadd]).writeto(path)
    return path


# -- SDSS-V ---------------------------------------------------------------------------------------

BOSS_MWM = {"CRVAL": 3.5523, "CDELT": 1e-4, "NPIXELS": 4648}
APOGEE_MWM = {"CRVAL": 4.179, "CDELT": 6e-6, "NPIXELS": 8575}


def mwm_primary(sdss_id: int = 85432123) -> fits.PrimaryHDU:
    header = fits.Header()
    for key, value in {
        "V_ASTRA": "0.6.0",
        "SDSS_ID": sdss_id,
        "APOGEEID": "2M12345678+1234567",
        "GAIA3_ID": 1234567890123456789,
        "CAT_ID": 27021597842679140,
        "RA": 198.4346,
        "DEC": 67.110405,
        "N_BOSS": 2,
        "N_APOGEE": 1,
    }.items():
        header[key] = value
    return fits.PrimaryHDU(header=header)


def mwm_hdu(extname: str, n_rows: int, visit: bool, wavelength_column: bool = False, sdss_id: int = 85432123) -> fits.BinTableHDU:
    """One HDU of an mwmStar (``visit=False``) or mwmVisit file, in the DR19 Astra layout."""
    instrument, observatory = extname.split("/")
    grid = BOSS_MWM if instrument == "BOSS" else APOGEE_MWM
    n = grid["NPIXELS"]
    wavelength = 10 ** (grid["CRVAL"] + grid["CDELT"] * np.arange(n))
    flux = np.stack([smooth_flux(n, seed=i) * (i + 1) for i in range(n_rows)]) if n_rows else np.zeros((0, n), np.float32)
    ivar = np.full((n_rows, n), 0.01, dtype=np.float32)
    flags = np.zeros((n_rows, n), dtype=np.int64)
    if n_rows:
        ivar[:, :5] = 0
        flags[:, 50:60] = 1  # bad in both BOSS and APOGEE conventions
        flags[:, 70:80] = 1 << 12  # APOGEE SIG_SKYLINE: a warning only
    scalar = lambda name, fmt, value: fits.Column(name=name, format=fmt, array=[value] * n_rows)  # noqa: E731
    array = lambda name, values, fmt="E": fits.Column(name=name, format=f"{n}{fmt}", dim=f"({n})", array=values)  # noqa: E731
    columns = [
        scalar("spectrum_pk_id", "K", 1),
        scalar("release", "5A", "dr19"),
        scalar("filetype", "8A", "specFull" if instrument == "BOSS" else "apStar"),
        scalar("v_astra", "5A", "0.6.0"),
        scalar("sdss_id", "K", sdss_id),
        scalar("telescope", "6A", f"{observatory.lower()}25m"),
        fits.Column(name="snr", format="E", array=np.arange(n_rows) * 10.0 + 30.0),
    ]
    if instrument == "APOGEE":
        columns.append(scalar("obj", "18A", "2M12345678+1234567"))
    if visit:
        columns += [
            fits.Column(name="mjd", format="J", array=60000 + np.arange(n_rows)),
            scalar("in_stack", "L", True),
        ]
    else:
        columns += [scalar("min_mjd", "J", 60000), scalar("max_mjd", "J", 60100)]
    if wavelength_column:
        columns.append(array("wavelength", np.tile(wavelength, (n_rows, 1)), "D"))
    columns += [array("flux", flux), array("ivar", ivar), array("pixel_flags", flags, "K")]
    header = fits.Header()
    for key, value in {"OBSRVTRY": observatory, "INSTRMNT": instrument, "CRVAL": grid["CRVAL"], "CDELT": grid["CDELT"],
                       "CTYPE": "LOG-LINEAR", "CUNIT": "Angstrom (Vacuum)", "CRPIX": 1, "DC-FLAG": 1,
                       "NPIXELS": n}.items():
        header[key] = value
    return fits.BinTableHDU.from_columns(columns, header=header, name=extname)


def mwm_file(path, visit: bool, rows: dict[str, int], wavelength_column: bool = False):
    """An mwmStar/mwmVisit file with ``rows`` spectra in each of the four HDUs (0 = empty HDU)."""
    hdus = [mwm_primary()]
    for extname in ("BOSS/APO", "BOSS/LCO", "APOGEE/APO", "APOGEE/LCO"):
        hdus.append(mwm_hdu(extname, rows.get(extname, 0), visit, wavelength_column))
    fits.HDUList(hdus).writeto(path, checksum=True)
    return path
