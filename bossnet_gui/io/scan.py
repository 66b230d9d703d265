"""From what a person points at (files, folders, lists of paths) to spectra, lazily.

* ``find_spectrum_files`` (``iter_spectrum_files``, lazily) expands files, folders (recursively, sorted,
  FITS names only) and text files that list paths, without reading any file content while walking folders.
* ``peek`` summarises one file from its headers (reader, object id, position) for a table to fill
  lazily; it never raises.
* ``iter_spectra`` reads file after file, yielding every spectrum of a multi-spectrum file and a
  ``SpectrumReadError`` for a file that cannot be read; it never raises.
* ``read_ahead`` runs such an iterator in a background thread a bounded number of items ahead, so
  reading the next batch overlaps predicting this one.
"""

from __future__ import annotations

import math
import os
import queue
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, TypeVar

from astropy.io import fits

from ..errors import SpectrumReadError
from ..spectrum import Spectrum
from .common import header_float, header_value
from .registry import FITS_MAGIC, GZIP_MAGIC, _check_magic, describe, identify, read_spectra

FITS_SUFFIXES = (".fits", ".fit", ".fts", ".fits.gz", ".fit.gz", ".fts.gz", ".fits.fz")
LIST_HEAD_BYTES = 64 * 1024  # enough of a list file to judge what it is
READ_AHEAD_JOIN_S = 5.0
OBJECT_ID_KEYS = ("OBJID", "APOGEE_ID", "OBJ", "DESIG")
NAME_KEYS = ("OBJECT", "OBJNAME", "STARIDEN", "HNAME", "TARGNAME")
RA_KEYS = ("PLUG_RA", "RACAT", "RA", "OBJRA")
DEC_KEYS = ("PLUG_DEC", "DECCAT", "DEC", "OBJDEC")

PathLike = str | os.PathLike
Item = TypeVar("Item")


@dataclass(frozen=True)
class FileSummary:
    """What the headers of one file say, for a table row before any spectrum is read."""

    path: Path
    reader: str | None = None  # name of the reader that claims the file; None if none does
    object_id: str = ""
    ra: float = math.nan
    dec: float = math.nan
    reason: str | None = None  # why the file cannot be read, if that is already clear


# -- finding files ----------------------------------------------------------------------------


def is_fits_name(name: str) -> bool:
    return name.lower().endswith(FITS_SUFFIXES)


def find_spectrum_files(paths: PathLike | Iterable[PathLike]) -> list[Path]:
    """Every file to read, in order, each once.

    A folder contributes its FITS-named files (recursively, sorted by name); a text file that is not
    FITS and whose first non-comment line looks like a path is a list (one path a line, ``#``
    comments, paths relative to the list's folder); any other named file is kept as it is, so that a
    missing or non-FITS file gets its reason when it is read.
    """
    return list(iter_spectrum_files(paths))


def iter_spectrum_files(paths: PathLike | Iterable[PathLike]) -> Iterator[Path]:
    """``find_spectrum_files`` one file at a time, as the folders are walked."""
    for _, found in _unique(paths):
        yield Path(found)


def iter_spectrum_names(paths: PathLike | Iterable[PathLike]) -> Iterator[str]:
    """The absolute names of ``find_spectrum_files``, one at a time as the folders are walked (few
    Python objects per file: a walk in a thread leaves the GUI thread its share of the interpreter)."""
    for name, _ in _unique(paths):
        yield name


def _unique(paths: PathLike | Iterable[PathLike]) -> Iterator[tuple[str, PathLike]]:
    seen: set[str] = set()
    for path in _as_list(paths):
        for found in _expand(Path(path).expanduser(), set()):
            name = os.path.abspath(found)
            if name not in seen:
                seen.add(name)
                yield name, found


def _as_list(paths: PathLike | Iterable[PathLike]) -> list[PathLike]:
    return [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)


def _expand(path: Path, open_lists: set[str]) -> Iterator[PathLike]:
    if path.is_dir():
        yield from _walk(path, set())
    elif not is_fits_name(path.name) and _is_list_file(path):
        key = os.path.abspath(path)
        if key in open_lists:  # a list that names itself, directly or not
            return
        for entry in _list_entries(path):
            yield from _expand(entry, open_lists | {key})
    else:
        yield path


def _walk(folder: str | Path, visited: set[tuple[int, int]]) -> Iterator[str]:
    try:
        info = os.stat(folder)
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return
    if (info.st_dev, info.st_ino) in visited:  # a symlink loop
        return
    visited.add((info.st_dev, info.st_ino))
    for entry in entries:
        try:
            if entry.is_dir():
                yield from _walk(entry.path, visited)
            elif is_fits_name(entry.name) and entry.is_file():
                yield entry.path
        except OSError:
            continue


def _first_lines(path: Path) -> list[str] | None:
    """The text lines at the start of a file, or None if it is not text (or is FITS)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(LIST_HEAD_BYTES)
    except OSError:
        return None
    if head.startswith(FITS_MAGIC) or head.startswith(GZIP_MAGIC) or b"\0" in head:
        return None
    try:
        return head.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        return None


def _is_list_file(path: Path) -> bool:
    lines = _first_lines(path) if path.is_file() else None
    first = next((line.strip() for line in lines or [] if line.strip() and not line.lstrip().startswith("#")), None)
    return first is not None and _looks_like_path(first, path.parent)


def _looks_like_path(text: str, base: Path) -> bool:
    if len(text) > 1024 or any(ord(c) < 32 for c in text):
        return False
    return is_fits_name(text) or "/" in text or "\\" in text or (base / text).exists()


def _list_entries(path: Path) -> Iterator[Path]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return
    for line in lines:
        text = line.strip()
        if text and not text.startswith("#"):
            entry = Path(text).expanduser()
            yield Path(os.path.normpath(entry if entry.is_absolute() else path.parent / entry))


# -- headers only -----------------------------------------------------------------------------


def peek(path: PathLike) -> FileSummary:
    """Reader, object id and position from the headers of one file; never raises."""
    path = Path(path)
    try:
        _check_magic(path)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with fits.open(path, memmap=False, lazy_load_hdus=True) as hdul:
                return _summary(path, hdul)
    except SpectrumReadError as err:
        return FileSummary(path, reason=err.reason)
    except Exception as exc:  # anything astropy raises on a damaged file
        return FileSummary(path, reason=f"unreadable FITS ({' '.join(str(exc).split())[:160]})")


def _summary(path: Path, hdul: fits.HDUList) -> FileSummary:
    reader = identify(hdul)
    if reader is None:
        return FileSummary(path, reason=f"no spectrum layout this app knows: {describe(hdul)}")
    header = hdul[0].header
    return FileSummary(path, reader.name, _object_id(header), header_float([header], *RA_KEYS), header_float([header], *DEC_KEYS))


def _object_id(header: fits.Header) -> str:
    """The same id the readers give, as far as the primary header alone tells it."""
    h = [header]
    named = header_value(h, *OBJECT_ID_KEYS)
    if named is not None:
        return str(named)
    for key, label in (("SDSS_ID", "sdss_id"), ("CATALOGID", "catalogid")):
        if header_value(h, key) is not None:
            return f"{label} {header_value(h, key)}"
    plate, mjd, fiber = (header_value(h, k) for k in ("PLATEID", "MJD", "FIBERID"))
    if None not in (plate, mjd, fiber):
        return f"{int(plate):04d}-{int(mjd)}-{int(fiber):04d}"
    return str(header_value(h, *NAME_KEYS, default=""))


# -- reading ----------------------------------------------------------------------------------


def iter_spectra(paths: PathLike | Iterable[PathLike]) -> Iterator[Spectrum | SpectrumReadError]:
    """Every spectrum of every file, read one file at a time; a failed file yields its error instead."""
    for path in find_spectrum_files(paths):
        try:
            spectra = read_spectra(path)
        except SpectrumReadError as err:
            yield err
            continue
        except Exception as exc:  # a reader bug must not end a batch
            yield SpectrumReadError(path, f"unexpected {type(exc).__name__}: {exc}")
            continue
        yield from spectra


def read_ahead(items: Iterable[Item], depth: int) -> Iterator[Item]:
    """``items`` in order, produced by a background thread at most ``depth`` items ahead of the consumer.

    Reading files is mostly Python that holds the interpreter lock, while the network runs in torch
    with the lock released, so reading the next batch in a thread overlaps the two (``bench/throughput.py``).
    An exception raised by ``items`` is raised here, in order. Closing this iterator (or dropping it)
    stops the thread before its next item; at most the item being read is wasted.
    """
    buffer: queue.Queue = queue.Queue(maxsize=max(1, depth))
    stop = threading.Event()
    source = iter(items)

    def offer(entry) -> bool:
        while not stop.is_set():
            try:
                buffer.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in source:
                if not offer((True, item)):
                    return
        except BaseException as exc:  # handed to the consumer, who raises it where the item would be
            offer((False, exc))
            return
        offer((False, None))

    reader = threading.Thread(target=produce, name="read ahead", daemon=True)
    reader.start()
    try:
        while True:
            is_item, value = buffer.get()
            if is_item:
                yield value
            elif value is None:
                return
            else:
                raise value
    finally:
        stop.set()
        reader.join(timeout=READ_AHEAD_JOIN_S)  # a file stuck on a hung disk must not hang the caller
