"""How Kiel-diagram points are coloured: a catalog column mapped onto a small table of shared brushes.

Continuous schemes use fixed, documented limits (not the data's range), so a point's colour never
changes as more results stream in and only new points need a colour. Categorical schemes have one
brush per category. Every scheme ends with a grey brush for "no value".
"""

from __future__ import annotations

from dataclasses import dataclass

from typing import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QBrush, QColor

from ..catalog.flags import BAD, WARN, mask_of
from ..catalog.table import USER_FLAGS

STEPS = 64
ALPHA = 210
MISSING = QColor(150, 150, 150, 160)


@dataclass(frozen=True)
class ColourScheme:
    label: str
    column: str  # catalog column it reads ("" for derived categories)
    limits: tuple[float, float] = (0.0, 1.0)
    colormap: str = "viridis"
    categories: tuple[tuple[str, str], ...] = ()  # (label, colour) for categorical schemes

    @property
    def categorical(self) -> bool:
        return bool(self.categories)

    def brushes(self) -> list[QBrush]:
        """The shared brush table; the last entry is for rows without a value."""
        if self.categorical:
            colours = [QColor(c) for _, c in self.categories]
        else:
            colours = list(pg.colormap.get(self.colormap).getLookupTable(nPts=STEPS, mode="qcolor"))
        for colour in colours:
            colour.setAlpha(ALPHA)
        return [QBrush(c) for c in colours] + [QBrush(MISSING)]

    def colour_map(self) -> pg.ColorMap:
        return pg.colormap.get(self.colormap)

    def lut_index(self, column: Callable[[str], np.ndarray], rows: np.ndarray) -> np.ndarray:
        """Each row's brush index; ``column(name)`` gives a catalog column."""
        if self.categorical:
            return CATEGORY_RULES[self.label](column, rows)
        values = np.asarray(column(self.column), dtype=float)[rows]
        lo, hi = self.limits
        finite = np.isfinite(values)
        with np.errstate(invalid="ignore"):
            scaled = np.clip((np.where(finite, values, lo) - lo) / (hi - lo), 0.0, 1.0)
        index = np.minimum((scaled * STEPS).astype(np.intp), STEPS - 1)
        index[~finite] = STEPS  # grey
        return index


def _quality_category(column, rows: np.ndarray) -> np.ndarray:
    bits = column("result_flags")[rows]
    index = np.where(bits != 0, 1, 0)
    index = np.where(bits & mask_of(WARN), 2, index)
    return np.where(bits & mask_of(BAD), 3, index).astype(np.intp)


def _user_flag_category(column, rows: np.ndarray) -> np.ndarray:
    flags = column("user_flag")[rows]
    index = np.zeros(len(rows), dtype=np.intp)
    for i, name in enumerate(USER_FLAGS):
        index[flags == name] = i
    return index


QUALITY = ColourScheme(
    "Quality flag",
    "result_flags",
    categories=(("no flag", "#4a7fc1"), ("vetting flag", "#d8b400"), ("warn", "#f07f1a"), ("bad", "#d62728")),
)
USER = ColourScheme(
    "User flag",
    "user_flag",
    categories=(("unvetted", "#9a9a9a"), ("good", "#2ca02c"), ("bad", "#d62728"), ("white dwarf", "#1f77ff"), ("binary", "#9467bd"), ("unsure", "#ff9f1a")),
)
CATEGORY_RULES = {QUALITY.label: _quality_category, USER.label: _user_flag_category}

SCHEMES: dict[str, ColourScheme] = {
    s.label: s
    for s in (
        ColourScheme("[Fe/H]", "FeH", (-2.5, 0.75), "viridis"),
        ColourScheme("S/N", "snr", (0.0, 100.0), "plasma"),
        ColourScheme("σ log g", "logg_err", (0.0, 0.5), "inferno"),
        QUALITY,
        USER,
    )
}
DEFAULT_SCHEME = "[Fe/H]"
