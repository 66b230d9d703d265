"""Finding the files behind what a person opened, off the GUI thread, in chunks as they are found."""

from __future__ import annotations

import os
import time
from itertools import islice
from typing import Iterable, Iterator

from ..io import iter_spectrum_names
from .catalog_job import is_catalog

CHUNK_SECONDS = 0.02  # rows appear at least this often while a big folder is walked
CHUNK_FILES = 2000  # and at most this many at a time
PAUSE_SECONDS = 0.01  # after each chunk the walk leaves the interpreter to the GUI thread for a while


def absolute(paths: Iterable[str]) -> list[str]:
    return [os.path.abspath(os.path.expanduser(str(p))) for p in paths]


def expand_paths(paths: Iterable[str]) -> list[str]:
    """Absolute file names for what a person pointed at (files, folders, list files)."""
    return [f for chunk in scan_files(paths, pause=0) for f in chunk]


class CatalogFile(str):
    """What ``scan_opened`` yields for one opened file that is a results catalog, not spectra."""


def scan_opened(paths: Iterable[str]) -> Iterator[list[str] | CatalogFile]:
    """``scan_files``, except that one opened FITS file holding a catalog (found by reading its headers, which
    may be slow on a network disk: here, not on the GUI thread) comes back as a ``CatalogFile``."""
    paths = absolute(paths)
    if len(paths) == 1 and is_catalog(paths[0], look_inside=True):
        yield CatalogFile(paths[0])
        return
    yield from scan_files(paths)


def scan_files(paths: Iterable[str], seconds: float = CHUNK_SECONDS, most: int = CHUNK_FILES, pause: float = PAUSE_SECONDS) -> Iterator[list[str]]:
    """The absolute names of the files to read, a chunk at a time: whatever was found in ``seconds``, at most ``most``.

    The walk is Python work that holds the interpreter lock; pausing between chunks keeps the GUI
    thread, which needs that lock for every call back into Python, from waiting behind it.
    """
    found = iter_spectrum_names(absolute(paths))
    while True:
        deadline = time.perf_counter() + seconds
        chunk = []
        for name in islice(found, most):
            chunk.append(name)
            if time.perf_counter() > deadline:
                break
        if not chunk:
            return
        yield chunk
        time.sleep(pause)
