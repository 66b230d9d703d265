"""The training sources, one registry: ``--library miles --library koester_da=/path/koester_da.fits``.

A source is a loader (path → ``LabelledStar`` list: spectra and labels), where its data lie by
default and how often training draws it. Its noise model follows from what the loader returns:

  library or model spectra (``observed`` None) are observed afresh at every draw: survey resolution
      and sampling, S/N 3-100, reddening, calibration tilts, lost pixels (``simulate.observe_template``);
  survey spectra (``observed`` set, as read from their files) keep their own noise and get the other
      effects (``simulate.observe_spectrum``).

Sources with a ``draw_share`` get that fixed share of the training draws, spread evenly over
their spectra (a model grid is uniform by design); the others share the rest by inverse label
density (``weighting``). Adding a source is one loader and one entry here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from . import SHARED_DATA
from .library import KOESTER, LAMOST, MILES, STELIB, LabelledStar, load_koester_da, load_lamost, load_miles, load_stelib
from .weighting import inverse_density_weights


@dataclass(frozen=True)
class Source:
    name: str  # the --library name
    library: str  # LabelledStar.library of its spectra
    load: Callable[[Path], list[LabelledStar]]
    default_path: Path
    citation: str
    draw_share: float | None = None


SOURCES = {
    s.name: s
    for s in (
        Source("miles", MILES, load_miles, SHARED_DATA / "training" / "miles",
               "MILES v9.1 (Sánchez-Blázquez et al. 2006, MNRAS 371, 703; parameters Cenarro et al. 2007, MNRAS 374, 664), via sdss-mangadap 4.5.0 (BSD-3)"),
        Source("stelib", STELIB, load_stelib, SHARED_DATA / "training" / "stelib",
               "STELIB v3.2 (Le Borgne et al. 2003, A&A 402, 433), via sdss-mangadap 4.5.0 (BSD-3)"),
        Source("lamost", LAMOST, load_lamost, SHARED_DATA / "lamost_dr1",
               "LAMOST DR1 low-resolution spectra and LASP labels (public data; Luo et al. 2015, RAA 15, 1095), via grd349/LearningLAMOST (MIT)"),
        Source("koester_da", KOESTER, load_koester_da, SHARED_DATA / "white_dwarfs" / "koester_da.fits",
               "Koester DA white-dwarf models (Koester 2010, Mem. Soc. Astron. Ital. 81, 921), via the SVO and janvanroestel/Koester_DAmodels (MIT)",
               draw_share=0.2),
    )
}
DEFAULT_SOURCES = ("miles", "stelib", "lamost", "koester_da")
BY_LIBRARY = {s.library: s for s in SOURCES.values()}


@dataclass(frozen=True)
class Chosen:
    source: Source
    path: Path


def parse_library(text: str) -> Chosen:
    """``NAME`` (the source's default path) or ``NAME=PATH``."""
    name, _, path = text.partition("=")
    if name not in SOURCES:
        raise ValueError(f"unknown training source {name!r}; known: {', '.join(SOURCES)}")
    source = SOURCES[name]
    return Chosen(source, Path(path) if path else source.default_path)


def chosen(names: list[str] | None) -> list[Chosen]:
    return [parse_library(n) for n in (names or DEFAULT_SOURCES)]


def load_sources(sources: list[Chosen]) -> list[LabelledStar]:
    stars: list[LabelledStar] = []
    for item in sources:
        stars += item.source.load(item.path)
    return stars


def draw_weights(stars: list[LabelledStar], indices: list[int]) -> np.ndarray:
    """Training draw weight of each star in ``indices`` (mean 1): the fixed shares first, inverse label
    density for the rest."""
    libraries = [stars[i].library for i in indices]
    shares = {library: BY_LIBRARY[library].draw_share for library in set(libraries)
              if library in BY_LIBRARY and BY_LIBRARY[library].draw_share is not None}
    weights = np.zeros(len(indices))
    pooled = np.array([library not in shares for library in libraries])
    if pooled.any():
        density = inverse_density_weights(np.array([stars[i].labels for i in np.asarray(indices)[pooled]]))
        weights[pooled] = density / density.sum() * (1.0 - sum(shares.values()))
    for library, share in shares.items():
        members = np.array([library == other for other in libraries])
        weights[members] = share / members.sum()
    return weights / weights.mean()


def citations(libraries) -> dict[str, str]:
    return {library: BY_LIBRARY[library].citation for library in sorted(libraries) if library in BY_LIBRARY}
