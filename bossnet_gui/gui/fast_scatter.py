"""LutScatterPlotItem: one pyqtgraph ScatterPlotItem whose points take their brush from a small LUT.

Measured with pyqtgraph 0.14 on 100,000 points: ``ScatterPlotItem.setData`` takes 230-450 ms,
because it maps each point's brush through ``mkBrush`` and looks each point's (symbol, size, pen,
brush) up in its symbol atlas in a Python loop, and ``np.empty`` of its record array (five object
fields) alone takes ~50 ms. Here the atlas is asked once per LUT entry, and a point's atlas
rectangle and brush are NumPy gathers by its LUT index, so replacing all points costs ~15 ms.
Everything else (painting from the atlas, bounds, clicks through ``sigClicked``) is pyqtgraph's.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pyqtgraph as pg
from pyqtgraph.graphicsItems.ScatterPlotItem import SpotItem
from PySide6.QtGui import QBrush


class LutScatterPlotItem(pg.ScatterPlotItem):
    def __init__(self, brushes: Sequence[QBrush], **options):
        super().__init__(**options)
        self._lut = np.array(list(brushes), dtype=object)
        self._lut_index = np.empty(0, dtype=np.intp)

    @property
    def lut_index(self) -> np.ndarray:
        """Each point's entry in the brush table (read-only view)."""
        view = self._lut_index.view()
        view.flags.writeable = False
        return view

    def set_lut(self, brushes: Sequence[QBrush]) -> None:
        """A new brush table, used from the next ``set_points`` on."""
        self._lut = np.array(list(brushes), dtype=object)

    def set_points(self, x: np.ndarray, y: np.ndarray, lut_index: np.ndarray) -> None:
        """Replace all points (the fast ``setData``): coordinates and each point's LUT entry."""
        lut_index = np.asarray(lut_index, dtype=np.intp)
        n = len(lut_index)
        data = np.zeros(n, dtype=self.data.dtype)  # np.zeros, not np.empty: no per-field None fill
        data["x"], data["y"] = x, y
        data["size"] = -1  # pyqtgraph's "use the item's size"
        data["visible"] = True
        for name in ("symbol", "pen", "data", "item"):
            data[name] = None
        data["brush"] = self._lut[lut_index]
        data["sourceRect"] = self._lut_rects()[lut_index]
        self.data = data
        self._lut_index = lut_index.copy()
        self.prepareGeometryChange()
        self.informViewBoundsChanged()
        self.bounds = [None, None]
        self._updateMaxSpotSizes(data=data)
        self.invalidate()
        self.sigPlotChanged.emit(self)

    def _lut_rects(self) -> np.ndarray:
        styles = [(self.opts["symbol"], self.opts["size"], self.opts["pen"], brush) for brush in self._lut]
        return np.array([tuple(c) for c in self.fragmentAtlas[styles]], dtype=self.data.dtype["sourceRect"])

    def updateSpots(self, dataSet=None):
        """pyqtgraph calls this after clearing the atlas (screen change, style change): vectorised here too."""
        if dataSet is None and len(self._lut_index) == len(self.data) and self.opts["pxMode"] and self.opts["useCache"]:
            stale = self.data["sourceRect"]["w"] == 0
            if stale.any():
                self.data["sourceRect"][stale] = self._lut_rects()[self._lut_index[stale]]
                self.invalidate()
            self._updateMaxSpotSizes(data=self.data)
            return
        super().updateSpots(dataSet)

    def pointsAt(self, pos):
        """Only the points under ``pos`` (pyqtgraph's version makes an object for every point first)."""
        hits = np.flatnonzero(self._maskAt(pos))[::-1]
        return [SpotItem(self.data[i], self, int(i)) for i in hits]
