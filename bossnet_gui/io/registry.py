"""The explicit, ordered list of readers, and the one entry point that picks among them.

Each format module exports ``identify(hdul) -> bool`` (header-only, cheap) and
``read(hdul, path) -> list[Spectrum]``. Identification never raises: a reader whose
``identify`` fails on a foreign file simply does not claim it.
"""

from __future__ import annotations

import gzip
import os
import re
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from astropy.io import fits
from astropy.io.fits.verify import VerifyWarning

from ..errors import SpectrumReadError, UnsupportedFormatError
from ..spectrum import Spectrum

FITS_MAGIC = b"SIMPLE  ="
GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class Reader:
    name: str
    identify: Callable[[fits.HDUList], bool]
    read: Callable[[fits.HDUList, str], list[Spectrum]]
    priority: int = 0  # higher wins when several readers claim a file


def _readers() -> tuple[Reader, ...]:
    from . import apogee, boss, generic, lamost, mwm

    readers = [
        Reader("SDSS-V mwmStar/mwmVisit", mwm.identify, mwm.read, priority=30),
        Reader("SDSS spec (BOSS/SEGUE, SDSS-V)", boss.identify, boss.read, priority=20),
        Reader("LAMOST LRS", lamost.identify, lamost.read, priority=20),
        Reader("APOGEE apStar/asStar", apogee.identify_apstar, apogee.read_apstar, priority=20),
        Reader("APOGEE aspcapStar", apogee.identify_aspcapstar, apogee.read_aspcapstar, priority=25),
        Reader("APOGEE apVisit", apogee.identify_apvisit, apogee.read_apvisit, priority=20),
        Reader("generic 1D FITS", generic.identify, generic.read, priority=0),
    ]
    return tuple(sorted(readers, key=lambda r: -r.priority))


def _safe_identify(reader: Reader, hdul: fits.HDUList) -> bool:
    try:
        return bool(reader.identify(hdul))
    except Exception:  # a foreign layout must never break format detection
        return False


def identify(hdul: fits.HDUList) -> Reader | None:
    """The highest-priority reader that claims this file, or None."""
    for reader in _readers():
        if _safe_identify(reader, hdul):
            return reader
    return None


def _check_magic(path: Path) -> None:
    """Reject empty and non-FITS files with a clear reason before astropy sees them."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise SpectrumReadError(path, f"cannot open: {exc.strerror or exc}") from None
    if size == 0:
        raise SpectrumReadError(path, "empty file (0 bytes)")
    with open(path, "rb") as fh:
        head = fh.read(len(FITS_MAGIC))
    if head.startswith(GZIP_MAGIC):
        try:
            with gzip.open(path, "rb") as gz:
                head = gz.read(len(FITS_MAGIC))
        except (OSError, EOFError) as exc:
            raise SpectrumReadError(path, f"corrupt gzip file ({exc})") from None
    if head != FITS_MAGIC:
        raise SpectrumReadError(path, "not a FITS file (no SIMPLE keyword at the start)")


@contextmanager
def open_fits(source: str | os.PathLike | fits.HDUList) -> Iterator[fits.HDUList]:
    """Open a path (plain or gzipped FITS) or pass an open HDUList through, with one-line errors."""
    if isinstance(source, fits.HDUList):
        yield source
        return
    path = Path(source)
    _check_magic(path)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            hdul = fits.open(path, memmap=False, lazy_load_hdus=False)
    except Exception as exc:
        raise SpectrumReadError(path, _gzip_problem(path) or f"unreadable FITS ({_short(exc)})") from None
    truncated = next((str(w.message) for w in caught if "truncated" in str(w.message)), None)
    if truncated:  # astropy only warns, then reads the missing bytes as zeros
        hdul.close()
        raise SpectrumReadError(path, _truncation_reason(truncated))
    try:
        yield hdul
    finally:
        hdul.close()


def _truncation_reason(warning: str) -> str:
    sizes = re.findall(r"\((\d+)\)", warning)
    if len(sizes) == 2:
        return f"truncated FITS file ({sizes[0]} bytes; its headers describe {sizes[1]})"
    return f"truncated FITS file ({_short(warning)})"


def _gzip_problem(path: Path) -> str | None:
    """Why a gzipped file cannot be decompressed to the end, if that is what failed."""
    with open(path, "rb") as fh:
        if fh.read(2) != GZIP_MAGIC:
            return None
    try:
        with gzip.open(path, "rb") as gz:
            while gz.read(1 << 20):
                pass
    except EOFError:
        return "truncated gzip file (the compressed stream ends early)"
    except OSError as exc:
        return f"corrupt gzip file ({exc})"
    return None


def describe(hdul: fits.HDUList, limit: int = 3) -> str:
    """What a FITS file holds, in a few words per HDU (header only): '100×100 image in HDU 0'."""
    parts = []
    for index, hdu in enumerate(hdul[:limit]):
        header = hdu.header
        if isinstance(hdu, (fits.BinTableHDU, fits.TableHDU)):
            names = hdu.columns.names
            shown = ", ".join(names[:4]) + (", ..." if len(names) > 4 else "")
            parts.append(f"table with {len(names)} columns ({shown}) in HDU {index}")
        elif header.get("NAXIS"):
            shape = "×".join(str(header.get(f"NAXIS{i}")) for i in range(header["NAXIS"], 0, -1))
            parts.append(f"{shape} image in HDU {index}")
    if len(hdul) > limit:
        parts.append(f"{len(hdul) - limit} more HDUs")
    return "; ".join(parts) or "headers only, no data"


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) < 160 else text[:157] + "..."


def read_spectra(source: str | os.PathLike | fits.HDUList, path: str | None = None) -> list[Spectrum]:
    """Every spectrum in a file, read by the reader that recognises its layout.

    Raises ``SpectrumReadError`` (or its subclass ``UnsupportedFormatError``) with a one-line
    reason naming the file; never a bare astropy/numpy exception.
    """
    path = path or (source.filename() if isinstance(source, fits.HDUList) else str(source)) or "<memory>"
    with open_fits(source) as hdul, warnings.catch_warnings():
        warnings.simplefilter("ignore", VerifyWarning)  # survey headers with non-standard cards still read fine
        reader = identify(hdul)
        if reader is None:
            raise UnsupportedFormatError(path, f"no spectrum layout this app knows: {describe(hdul)}", tuple(r.name for r in _readers()))
        try:
            spectra = reader.read(hdul, path)
        except SpectrumReadError:
            raise
        except Exception as exc:  # truncated data, missing columns, ...
            raise SpectrumReadError(path, f"{reader.name} layout, but unreadable: {_short(exc)}") from None
    if not spectra:
        raise SpectrumReadError(path, f"{reader.name} layout, but it holds no spectrum")
    return spectra
