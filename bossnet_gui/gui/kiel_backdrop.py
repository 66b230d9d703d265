"""What is drawn behind the stars on the Kiel diagram (x = log10 Teff, y = log g).

The zero-age main sequence and the white-dwarf band from ``bossnet_gui.kiel``, the MS-WD gap
outlined with the same limits as the ``ms_wd_gap`` flag, and the training-label density
(``resources/training_coverage.npz``) when that file exists.
"""

from __future__ import annotations


import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt

from ..kiel import Coverage, gap_zone, main_sequence, white_dwarf_sequence
from .screen_text import ScreenLabel

LINE = (90, 90, 90)
GAP = (230, 120, 0)
WD = (70, 130, 220)


def coverage_image(coverage: Coverage) -> pg.ImageItem:
    """Grey density (log scaled) behind the points; bins assumed uniform, as histogram2d makes them."""
    image = pg.ImageItem(np.log1p(coverage.counts), axisOrder="col-major")
    image.setLookupTable(_grey_lut())
    x, y = coverage.logteff_edges, coverage.logg_edges
    image.setRect(QRectF(x[0], y[0], x[-1] - x[0], y[-1] - y[0]))
    image.setOpacity(0.55)
    image.setZValue(-20)
    return image


def _grey_lut() -> np.ndarray:
    lut = np.zeros((256, 4), dtype=np.ubyte)
    lut[:, :3] = np.linspace(225, 110, 256)[:, None]
    lut[:, 3] = np.r_[0, np.linspace(140, 255, 255)]  # empty bins transparent
    return lut


def backdrop_items() -> list:
    """Reference curves and labels, ready to add to a PlotItem (ignoring bounds)."""
    items: list = []
    teff, logg = main_sequence()
    items.append(pg.PlotCurveItem(np.log10(teff), logg, pen=pg.mkPen(LINE, width=2, style=Qt.PenStyle.DashLine)))
    items.append(_label("ZAMS", np.log10(teff[len(teff) // 3]), logg[len(teff) // 3] - 0.4, LINE))
    wd_teff, centre, half = white_dwarf_sequence()
    upper = pg.PlotCurveItem(np.log10(wd_teff), centre - half, pen=pg.mkPen(WD))
    lower = pg.PlotCurveItem(np.log10(wd_teff), centre + half, pen=pg.mkPen(WD))
    items += [upper, lower, pg.FillBetweenItem(upper, lower, brush=pg.mkBrush(*WD, 50))]
    items.append(_label("white dwarfs", np.log10(30_000), centre[0] + half[0] + 0.1, WD))
    gap = gap_zone()
    items.append(pg.PlotCurveItem(np.log10(gap[:, 0]), gap[:, 1], pen=pg.mkPen(GAP, width=2, style=Qt.PenStyle.DashLine)))
    items.append(_label("MS–WD gap", np.log10(gap[:, 0].max()) - 0.02, gap[:, 1].min() + 0.1, GAP))
    for item in items:
        item.setZValue(-10)
    return items


def _label(text: str, x: float, y: float, colour) -> ScreenLabel:
    label = ScreenLabel(text, colour)
    label.setPos(x, y)
    return label
