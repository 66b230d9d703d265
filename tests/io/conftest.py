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
