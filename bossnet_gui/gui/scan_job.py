"""Finding the files behind what a person opened, off the GUI thread, in chunks as they are found."""

from __future__ import annotations

import os
import time
from itertools import islice
from typing import Iterable, Iterator

from ..io import iter_spectrum_files

CHUNK_SECONDS = 0.05  # rows appear at least this often while a big folder is walked
CHUNK_FILES = 2000  # and at most this many at a time, so adding them stays a short step


def absolute(paths: Iterable[str]) -> list[str]:
    return [os.path.abspath(os.path.expanduser(str(p))) for p in paths]


def expand_paths(paths: Iterable[str]) -> list[str]:
    """Absolute file names for what a person pointed at (files, folders, list files)."""
    return [f for chunk in scan_files(paths) for f in chunk]


def scan_files(paths: Iterable[str], seconds: float = CHUNK_SECONDS, most: int = CHUNK_FILES) -> Iterator[list[str]]:
    """The absolute names of the files to read, a chunk at a time: whatever was found in ``seconds``, at most ``most``."""
    found = (os.path.abspath(p) for p in iter_spectrum_files(absolute(paths)))
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
