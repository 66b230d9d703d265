"""The explicit, ordered list of readers, and the one entry point that picks among them.

Each format module exports ``identify(hdul) -> bool`` (header-only, cheap) and
``read(hdul, path) -> list[Spectrum]``. Identification never raises: a reader whose
``identify`` fails on a foreign file simply does not claim it.
"""

from __future__ import annotations

import gzip
import os
import warnings
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Callable, Iterator

import numpy as np
from astropy.io import fits
from astropy.io.fits.verify import VerifyWarning

from ..errors import SpectrumReadError, UnsupportedFormatError
from ..spectrum import Spectrum

FITS_MAGIC = b"SIMPLE  ="
GZIP_MAGIC = b"\x1f\x8b"
EXTENSION_MAGIC = b"XTENSION"


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


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(len(GZIP_MAGIC)) == GZIP_MAGIC


def _open_content(path: Path) -> IO[bytes]:
    """The FITS bytes of a file: the file itself, or the stream inside it when it is gzipped."""
    return gzip.open(path, "rb") if _is_gzip(path) else open(path, "rb")


def _check_magic(path: Path) -> None:
    """Reject empty and non-FITS files with a clear reason before astropy sees them."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise SpectrumReadError(path, f"cannot open: {exc.strerror or exc}") from None
    if size == 0:
        raise SpectrumReadError(path, "empty file (0 bytes)")
    try:
        with _open_content(path) as content:
            head = content.read(len(FITS_MAGIC))
    except (OSError, EOFError, zlib.error) as exc:
        raise SpectrumReadError(path, _unreadable_content(exc)) from None
    if head != FITS_MAGIC:
        raise SpectrumReadError(path, "not a FITS file (no SIMPLE keyword at the start)")


def _unreadable_content(exc: BaseException) -> str:
    if isinstance(exc, EOFError):
        return "truncated gzip file (the compressed stream ends early)"
    if isinstance(exc, OSError) and exc.errno is not None:  # the file itself: permissions, ...
        return f"cannot open: {exc.strerror or exc}"
    return f"corrupt gzip file ({exc})"


def _content_length(path: Path) -> int:
    """Bytes of FITS the file holds (for a gzipped file: decompressed, read through in bounded chunks)."""
    if not _is_gzip(path):
        return path.stat().st_size
    length = 0
    try:
        with gzip.open(path, "rb") as gz:
            while chunk := gz.read(1 << 20):
                length += len(chunk)
    except (OSError, EOFError, zlib.error) as exc:
        raise SpectrumReadError(path, _unreadable_content(exc)) from None
    return length


@dataclass(frozen=True)
class Truncation:
    """A file that ends before its headers say it should: only its first ``complete`` HDUs lie wholly in it."""

    complete: int
    reason: str  # one line, starting "truncated FITS file"


@contextmanager
def open_fits(source: str | os.PathLike | fits.HDUList) -> Iterator[tuple[fits.HDUList, Truncation | None]]:
    """Open a path (plain or gzipped FITS) or pass an open HDUList through, with one-line errors.

    Yields every HDU whose header could be read, and how the file is truncated (None if it is not):
    astropy itself only warns about a short file (and cannot tell for a gzipped one) and stops
    quietly at a header cut short, so the HDU spans are checked here against the file's length.
    No data is read, so a header may claim any size.
    """
    if isinstance(source, fits.HDUList):
        yield source, None
        return
    path = Path(source)
    _check_magic(path)
    length = _content_length(path)
    with open(path, "rb") as fh:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # astropy's truncation and header warnings: judged below instead
            try:
                # from an open file, so that astropy leaves it open when a later header fails to parse
                hdul = fits.open(fh, memmap=False, lazy_load_hdus=True)
            except Exception as exc:
                raise SpectrumReadError(path, f"unreadable FITS ({_short(exc)})") from None
            hdus = _parsed_hdus(hdul)
        try:
            yield hdus, _truncation(path, hdus, length)
        finally:
            hdul.close()


def _parsed_hdus(hdul: fits.HDUList) -> fits.HDUList:
    """The HDUs up to the first header that does not parse (cut short, or bytes after the last HDU)."""
    hdus = [hdul[0]]
    while True:
        try:
            hdus.append(hdul[len(hdus)])
        except IndexError:
            return hdul
        except Exception:  # astropy raises for a header without END; later HDUs cannot be reached
            return fits.HDUList(hdus)


def _truncation(path: Path, hdul: fits.HDUList, length: int) -> Truncation | None:
    data_ends = [hdu.fileinfo()["datLoc"] + hdu.size for hdu in hdul]
    complete = next((i for i, end in enumerate(data_ends) if end > length), len(hdul))
    last = hdul[-1].fileinfo()
    expected = last["datLoc"] + last["datSpan"]  # with the padding to whole 2880-byte blocks
    if expected > length:
        return Truncation(complete, f"truncated FITS file ({length} bytes; its headers describe {expected})")
    if expected < length and _header_starts_at(path, expected):
        return Truncation(complete, f"truncated FITS file ({length} bytes; the header of HDU {len(hdul)} is cut short)")
    return None  # anything else after the last HDU is not FITS: ignored, as astropy does


def _header_starts_at(path: Path, offset: int) -> bool:
    with _open_content(path) as content:
        content.seek(offset)
        return content.read(len(EXTENSION_MAGIC)) == EXTENSION_MAGIC


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
    reason naming the file; never a bare astropy/numpy exception. A truncated file is read from
    its complete HDUs; its spectra then carry the reason in ``meta.extra["truncated"]``.
    """
    path = path or (source.filename() if isinstance(source, fits.HDUList) else str(source)) or "<memory>"
    with open_fits(source) as (hdul, truncation), warnings.catch_warnings(), np.errstate(all="ignore"):
        # damaged values (garbage wavelengths, infinite flux) are judged from the results, not warned about
        warnings.simplefilter("ignore", VerifyWarning)  # survey headers with non-standard cards still read fine
        reader = identify(hdul)  # from the headers of every HDU, so a cut file keeps the layout it has
        if reader is None:
            if truncation:
                raise SpectrumReadError(path, truncation.reason)
            raise UnsupportedFormatError(path, f"no spectrum layout this app knows: {describe(hdul)}", tuple(r.name for r in _readers()))
        try:
            spectra = reader.read(hdul if truncation is None else hdul[: truncation.complete], path)
        except SpectrumReadError:
            raise
        except Exception as exc:  # truncated data, missing columns, ...
            raise SpectrumReadError(path, truncation.reason if truncation else f"{reader.name} layout, but unreadable: {_short(exc)}") from None
    if not spectra:
        raise SpectrumReadError(path, truncation.reason if truncation else f"{reader.name} layout, but it holds no spectrum")
    return [_marked_truncated(s, truncation.reason) for s in spectra] if truncation else spectra


def _marked_truncated(spectrum: Spectrum, reason: str) -> Spectrum:
    meta = replace(spectrum.meta, extra={**spectrum.meta.extra, "truncated": reason})
    return replace(spectrum, meta=meta)
