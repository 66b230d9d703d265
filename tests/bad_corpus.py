"""A corpus of damaged and odd files made from genuine ones, each with what it must give.

``build_corpus(data, folder)`` writes every case into ``folder`` from the genuine files in
``../shared/data`` and returns the cases. A case is one file; what it must give is one of

* ``PREDICTED``: status ``ok`` with finite log Teff, log g and [Fe/H];
* ``TRUNCATED``: predicted as above, and the row carries the ``truncated_file`` flag (the file
  ends early, after the spectrum, which was read complete);
* ``REFUSED``: no values, and a one-line reason in ``status`` that contains ``Case.reason``.

Used by ``tests/test_bad_corpus.py`` (the batch command) and ``tests/gui/test_bad_corpus.py`` (the app).
"""

from __future__ import annotations

import gzip
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from astropy.io import fits

PREDICTED, TRUNCATED, REFUSED = "predicted", "truncated", "refused"

LAMOST_DR1 = "lamost_dr1/spec-55862-B6212_sp06-003.fits"  # 5-row image, row 2 a sub-continuum
LAMOST_DR8 = "lamost_dr8/spec-55859-F5902_sp03-232.fits.gz"  # 5-row image, row 2 the wavelength
SDSS = "sdss/spec-0266-51602-0031.fits"  # COADD table in HDU 1, then SPECOBJ and SPZLINE tables
APSTAR = "apogee/apStar/apStar-r6-2M00452143+1634446.fits"

Make = Callable[[Path, Path], None]  # (genuine data folder, file to write)


@dataclass(frozen=True)
class Case:
    name: str  # path inside the corpus folder: spaces, non-ASCII and non-UTF-8 bytes included
    expect: str
    make: Make
    reason: str = ""  # for REFUSED: a phrase the status must contain


# -- ways to make a file ----------------------------------------------------------------------


def copy(source: str) -> Make:
    return lambda data, path: shutil.copyfile(data / source, path)


def raw(content: bytes) -> Make:
    return lambda data, path: path.write_bytes(content)


def random_bytes(n: int, seed: int = 1) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8).tobytes()


def _hdu_spans(path: Path) -> list[tuple[int, int, int]]:
    """(header start, data start, data end without padding) of every HDU."""
    with fits.open(path, memmap=False) as hdul:
        return [(h.fileinfo()["hdrLoc"], h.fileinfo()["datLoc"], h.fileinfo()["datLoc"] + h.size) for h in hdul]


def cut(source: str, where: Callable[[list[tuple[int, int, int]]], int]) -> Make:
    """The first ``where(spans)`` bytes of a genuine file."""

    def make(data: Path, path: Path) -> None:
        content = (data / source).read_bytes()
        path.write_bytes(content[: where(_hdu_spans(data / source))])

    return make


def gzipped(make_plain: Make) -> Make:
    def make(data: Path, path: Path) -> None:
        plain = path.with_name(path.name + ".plain")
        make_plain(data, plain)
        path.write_bytes(gzip.compress(plain.read_bytes()))
        plain.unlink()

    return make


def lamost_image(change: Callable[[np.ndarray], None], source: str = LAMOST_DR1, **cards) -> Make:
    """A LAMOST image file with its rows (0 flux, 1 inverse variance, 2 wavelength or sub-continuum) changed."""

    def make(data: Path, path: Path) -> None:
        with fits.open(data / source) as hdul:
            image = np.array(hdul[0].data, dtype=np.float32)
            change(image)
            header = hdul[0].header.copy()
        header.update(cards)
        fits.PrimaryHDU(image, header=header).writeto(path)

    return make


def sdss_coadd(change: Callable[[fits.FITS_rec], fits.FITS_rec | None]) -> Make:
    """The SDSS spec-lite file with its COADD table changed (in place, or replaced by what ``change`` returns)."""

    def make(data: Path, path: Path) -> None:
        with fits.open(data / SDSS) as hdul:
            coadd = hdul[1].data.copy()
            replaced = change(coadd)
            table = coadd if replaced is None else replaced.copy()  # a reversed view cannot be written
            hdul[1] = fits.BinTableHDU(table, header=hdul[1].header, name="COADD")
            hdul.writeto(path)

    return make


def header_claiming(source: str, hdu: int, data_bytes: int, **sizes) -> Make:
    """The headers of a genuine file up to HDU ``hdu``, whose header is changed to claim ``sizes``
    (e.g. NAXIS2 = 10**9 rows), followed by only ``data_bytes`` of data."""

    def make(data: Path, path: Path) -> None:
        with fits.open(data / source) as hdul:
            start = hdul[hdu].fileinfo()["hdrLoc"]
            header = hdul[hdu].header.copy()
        header.update(sizes)
        head = (data / source).read_bytes()[:start]
        path.write_bytes(head + header.tostring().encode("ascii") + random_bytes(data_bytes))

    return make


def in_folder(make_file: Make) -> Make:
    """A genuine file inside a folder whose own name ends in .fits."""

    def make(data: Path, path: Path) -> None:
        path.parent.mkdir(exist_ok=True)
        make_file(data, path)

    return make


def _set(rows: slice | int, values) -> Callable[[np.ndarray], None]:
    def change(image: np.ndarray) -> None:
        image[rows] = values

    return change


def _flux_pixels(**pixels) -> Callable[[np.ndarray], None]:
    """Set flux pixels: ``_flux_pixels(inf=slice(100, 120))``."""
    value = {"inf": np.inf, "minus_inf": -np.inf, "nan": np.nan}

    def change(image: np.ndarray) -> None:
        for name, where in pixels.items():
            image[0, where] = value[name]

    return change


def _negative_flux(image: np.ndarray) -> None:
    image[0] = -np.abs(image[0]) - 1


def _column(name: str, values: Callable[[np.ndarray], np.ndarray]):
    def change(coadd: fits.FITS_rec) -> None:
        coadd[name] = values(np.array(coadd[name]))

    return change


def _every_other_nan(values: np.ndarray) -> np.ndarray:
    values[::7] = np.nan
    return values


def _shuffled(coadd: fits.FITS_rec) -> fits.FITS_rec:
    return coadd[np.random.default_rng(2).permutation(len(coadd))]


def _each_twice(values: np.ndarray) -> np.ndarray:
    return np.repeat(values[: (len(values) + 1) // 2], 2)[: len(values)]


# -- the cases --------------------------------------------------------------------------------

NON_UTF8_NAME = os.fsdecode(b"latin-1 \xe9toile.fits")  # a name that is not valid UTF-8

CASES: tuple[Case, ...] = (
    # genuine files, and genuine files under odd names
    Case("good lamost dr1.fits", PREDICTED, copy(LAMOST_DR1)),
    Case("good lamost dr8.fits.gz", PREDICTED, copy(LAMOST_DR8)),
    Case("good sdss.fits", PREDICTED, copy(SDSS)),
    Case("odd name ü ñ with  two spaces & (1).fits", PREDICTED, copy(LAMOST_DR1)),
    Case(NON_UTF8_NAME, PREDICTED, copy(LAMOST_DR1)),
    Case("UPPER CASE.FITS", PREDICTED, copy(LAMOST_DR1)),
    Case("a folder.fits/inside.fits", PREDICTED, in_folder(copy(LAMOST_DR1))),
    Case("apstar for another model.fits", REFUSED, copy(APSTAR), "APOGEE near-IR spectrum"),
    # not FITS, or FITS without a spectrum
    Case("empty.fits", REFUSED, raw(b""), "empty file"),
    Case("random bytes.fits", REFUSED, raw(random_bytes(30_000)), "not a FITS file"),
    Case("fits keyword then random bytes.fits", REFUSED, raw(b"SIMPLE  =" + random_bytes(30_000)), "FITS"),
    Case("gzipped random bytes.fits.gz", REFUSED, raw(gzip.compress(random_bytes(30_000))), "not a FITS file"),
    Case("gzip magic then random bytes.fits.gz", REFUSED, raw(b"\x1f\x8b" + random_bytes(30_000)), "gzip"),
    Case("headers only.fits", REFUSED, lambda data, path: fits.PrimaryHDU().writeto(path), "no spectrum layout"),
    Case("image 2d.fits", REFUSED, lambda data, path: fits.PrimaryHDU(np.ones((64, 64), np.float32)).writeto(path), "no spectrum layout"),
    Case(
        "catalogue table.fits",
        REFUSED,
        lambda data, path: fits.HDUList([fits.PrimaryHDU(), fits.BinTableHDU.from_columns([fits.Column(name="ra", format="D", array=[1.0, 2.0])])]).writeto(path),
        "no spectrum layout",
    ),
    Case("zero length table.fits", REFUSED, sdss_coadd(lambda coadd: coadd[:0]), "no"),
    Case("two row spectrum.fits", REFUSED, sdss_coadd(lambda coadd: coadd[:2]), "pixel"),
    # cut short: before or inside the spectrum (refused), or after it (predicted, flagged)
    Case("sdss header cut.fits", REFUSED, cut(SDSS, lambda spans: 1000), "FITS"),
    Case("sdss cut in its spectrum.fits", REFUSED, cut(SDSS, lambda spans: (spans[1][1] + spans[1][2]) // 2), "truncated FITS file"),
    Case("sdss cut in the spectrum padding.fits", TRUNCATED, cut(SDSS, lambda spans: spans[1][2] + 100)),
    Case("sdss cut inside the next header.fits", TRUNCATED, cut(SDSS, lambda spans: spans[2][0] + 800)),
    Case("sdss cut at a header block.fits", TRUNCATED, cut(SDSS, lambda spans: spans[2][0] + 2880)),
    Case("sdss cut in a later table.fits", TRUNCATED, cut(SDSS, lambda spans: spans[2][1] + 100)),
    Case("sdss cut in the last table.fits", TRUNCATED, cut(SDSS, lambda spans: spans[3][1] + 100)),
    Case("lamost cut in half.fits", REFUSED, cut(LAMOST_DR1, lambda spans: spans[0][2] // 2), "truncated FITS file"),
    Case("lamost cut in its padding.fits", TRUNCATED, cut(LAMOST_DR1, lambda spans: spans[0][2] + 100)),
    Case("gzipped lamost cut in half.fits.gz", REFUSED, gzipped(cut(LAMOST_DR1, lambda spans: spans[0][2] // 2)), "truncated FITS file"),
    Case("lamost dr8 gzip stream cut.fits.gz", REFUSED, lambda data, path: path.write_bytes((data / LAMOST_DR8).read_bytes()[:20_000]), "truncated gzip"),
    # headers that claim far more data than the file holds: memory must stay bounded
    Case("image claiming 4e9 pixels.fits", REFUSED, header_claiming(LAMOST_DR1, 0, 20_000, NAXIS1=4_000_000_000), "truncated FITS file"),
    Case("table claiming 1e9 rows.fits", REFUSED, header_claiming(SDSS, 1, 20_000, NAXIS2=1_000_000_000), "truncated FITS file"),
    # flux and inverse variance
    Case("lamost some inf flux.fits", PREDICTED, lamost_image(_flux_pixels(inf=slice(100, 130), minus_inf=slice(2000, 2005)))),
    Case("lamost some nan flux.fits", PREDICTED, lamost_image(_flux_pixels(nan=slice(300, 700)))),
    Case("lamost all nan flux.fits", REFUSED, lamost_image(_set(0, np.nan)), "no finite flux"),
    Case("lamost all inf flux.fits", REFUSED, lamost_image(_set(0, np.inf)), "no finite flux"),
    Case("lamost all zero flux.fits", REFUSED, lamost_image(_set(0, 0.0)), "no usable pixel"),
    Case("lamost all negative flux.fits", REFUSED, lamost_image(_negative_flux), "no usable pixel"),
    Case("lamost all zero ivar.fits", REFUSED, lamost_image(_set(1, 0.0)), "no usable pixel"),
    Case("lamost all negative ivar.fits", REFUSED, lamost_image(_set(1, -1.0)), "no usable pixel"),
    Case("lamost some negative ivar.fits", PREDICTED, lamost_image(_set((1, slice(0, 1000)), -1.0))),
    # wavelength axes
    Case("sdss constant loglam.fits", REFUSED, sdss_coadd(_column("loglam", lambda v: np.full_like(v, 3.7))), "zero dispersion"),
    Case("sdss reversed rows.fits", PREDICTED, sdss_coadd(lambda coadd: coadd[::-1])),
    Case("sdss shuffled rows.fits", PREDICTED, sdss_coadd(_shuffled)),
    Case("sdss some nan loglam.fits", PREDICTED, sdss_coadd(_column("loglam", _every_other_nan))),
    Case("sdss all nan loglam.fits", REFUSED, sdss_coadd(_column("loglam", lambda v: np.full_like(v, np.nan))), "wavelength"),
    Case("sdss loglam each twice.fits", REFUSED, sdss_coadd(_column("loglam", _each_twice)), "wavelength"),
    Case("sdss angstroms in loglam.fits", REFUSED, sdss_coadd(_column("loglam", lambda v: 10.0**v)), "wavelength"),
    Case("lamost zero dispersion.fits", REFUSED, lamost_image(lambda image: None, COEFF1=0.0), "zero dispersion"),
    Case("lamost dr8 nan wavelength row.fits", PREDICTED, lamost_image(_set((2, slice(0, 50)), np.nan), source=LAMOST_DR8)),
)

# the genuine files some cases must reproduce exactly (same spectrum, differently stored)
SAME_AS = {"sdss reversed rows.fits": "good sdss.fits", "sdss shuffled rows.fits": "good sdss.fits"}


def build_corpus(data: Path, folder: Path) -> list[Case]:
    """Write every case into ``folder`` (made if needed); the cases, in the order written."""
    folder.mkdir(parents=True, exist_ok=True)
    for case in CASES:
        case.make(data, folder / case.name)
    return list(CASES)
