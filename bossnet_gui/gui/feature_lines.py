"""Diagnostic spectral features in vacuum wavelengths, grouped in families that can be switched on and
off, shifted to a star's radial velocity, and a label layout that never overlaps.

Laboratory air wavelengths (Moore's multiplet tables / NIST) are converted to vacuum with the same
formula the readers use (``io.common.air_to_vacuum``), so markers line up with BOSS, LAMOST and
SDSS spectra, which are all in vacuum.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..io.common import air_to_vacuum


BALMER, CALCIUM, MAGNESIUM, SODIUM, G_BAND, TIO = "Balmer", "Ca II H&K and triplet", "Mg b", "Na D", "G band", "TiO bands"
FAMILIES = (BALMER, CALCIUM, MAGNESIUM, SODIUM, G_BAND, TIO)


@dataclass(frozen=True)
class Feature:
    label: str
    wavelengths: tuple[float, ...]  # vacuum, Å, at rest; one label is drawn for a close group (Mg b, Na D)
    kind: str  # "hydrogen", "metal" or "molecule" (the colour)
    family: str  # one of FAMILIES (what can be switched)

    @property
    def centre(self) -> float:
        return float(np.mean(self.wavelengths))


def _feature(label: str, air: Sequence[float], kind: str, family: str) -> Feature:
    return Feature(label, tuple(float(w) for w in np.round(air_to_vacuum(np.asarray(air)), 2)), kind, family)


FEATURES: tuple[Feature, ...] = (
    _feature("Hα", [6562.79], "hydrogen", BALMER),
    _feature("Hβ", [4861.35], "hydrogen", BALMER),
    _feature("Hγ", [4340.47], "hydrogen", BALMER),
    _feature("Hδ", [4101.74], "hydrogen", BALMER),
    _feature("Hε", [3970.07], "hydrogen", BALMER),
    _feature("H8", [3889.05], "hydrogen", BALMER),
    _feature("Ca II K", [3933.66], "metal", CALCIUM),
    _feature("Ca II H", [3968.47], "metal", CALCIUM),
    _feature("G band", [4300.0, 4310.0], "molecule", G_BAND),
    _feature("Mg b", [5167.32, 5172.68, 5183.60], "metal", MAGNESIUM),
    _feature("Na D", [5889.95, 5895.92], "metal", SODIUM),
    _feature("TiO", [4954.6], "molecule", TIO),
    _feature("TiO", [5166.7], "molecule", TIO),
    _feature("TiO", [5448.0], "molecule", TIO),
    _feature("TiO", [6158.7], "molecule", TIO),
    _feature("TiO", [7053.9], "molecule", TIO),
    _feature("TiO", [7589.3], "molecule", TIO),
    _feature("TiO", [8432.3], "molecule", TIO),
    _feature("Ca II triplet", [8498.02, 8542.09, 8662.14], "metal", CALCIUM),
)


def stack_labels(centres_px: Sequence[float], widths_px: Sequence[float], gap_px: float = 6.0) -> list[int]:
    """A row for each label (0 = top) so that labels centred at ``centres_px`` do not overlap.

    Greedy left-to-right: each label goes in the first row whose last label ends ``gap_px`` before it.
    """
    rows = [0] * len(centres_px)
    row_ends: list[float] = []
    for i in np.argsort(np.asarray(centres_px, dtype=float), kind="stable"):
        left = centres_px[i] - widths_px[i] / 2
        row = next((r for r, end in enumerate(row_ends) if end + gap_px <= left), len(row_ends))
        if row == len(row_ends):
            row_ends.append(0.0)
        row_ends[row] = left + widths_px[i]
        rows[i] = row
    return rows
