"""SelectingViewBox: a pyqtgraph ViewBox where a left drag draws a box or a lasso instead of panning.

The mode is ``select_mode`` ("box", "lasso" or None for pan/zoom); Shift-drag always draws a box.
The finished shape is emitted in data coordinates; ``points_inside`` tests points against it.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QPainterPath, QPolygonF
from PySide6.QtWidgets import QGraphicsPathItem

MAX_LASSO_VERTICES = 256


def points_inside(x: np.ndarray, y: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Mask of points inside a closed polygon (N, 2), even-odd rule.

    Only points in the polygon's bounding box are tested, sorted by y once: each edge then tests
    just the points level with it, so a lasso of 256 vertices over a million stars costs about as
    much as a few passes over them, not 256.
    """
    inside = np.zeros(len(x), dtype=bool)
    px, py = polygon[:, 0], polygon[:, 1]
    candidates = np.flatnonzero((x >= px.min()) & (x <= px.max()) & (y >= py.min()) & (y <= py.max()))
    cx, cy = x[candidates], y[candidates]
    by_y = np.argsort(cy, kind="stable")
    sorted_y = cy[by_y]
    hit = np.zeros(len(candidates), dtype=bool)
    j = len(polygon) - 1
    for i in range(len(polygon)):
        if py[i] != py[j]:
            # the edge crosses the horizontal line through a point when min(py) <= y < max(py)
            level = by_y[np.searchsorted(sorted_y, min(py[i], py[j])) : np.searchsorted(sorted_y, max(py[i], py[j]))]
            x_cross = (px[j] - px[i]) * (cy[level] - py[i]) / (py[j] - py[i]) + px[i]
            hit[level] ^= cx[level] < x_cross
        j = i
    inside[candidates] = hit
    return inside


def box_polygon(a: QPointF, b: QPointF) -> np.ndarray:
    return np.array([(a.x(), a.y()), (b.x(), a.y()), (b.x(), b.y()), (a.x(), b.y())])


class SelectingViewBox(pg.ViewBox):
    sigShapeSelected = Signal(str, object)  # "box" or "lasso", vertices (N, 2) in data coordinates

    def __init__(self, **options):
        super().__init__(**options)
        self.select_mode: str | None = None
        self.outline = QGraphicsPathItem()
        self.outline.setPen(pg.mkPen((230, 120, 0), width=2, style=Qt.PenStyle.DashLine))
        self.outline.setBrush(pg.mkBrush(230, 120, 0, 30))
        self.outline.setZValue(50)
        self.addItem(self.outline, ignoreBounds=True)
        self._vertices: list[QPointF] = []

    def clear_shape(self) -> None:
        self._vertices = []
        self.outline.setPath(QPainterPath())

    def mouseDragEvent(self, ev, axis=None):
        shift = bool(ev.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        mode = "box" if shift else self.select_mode
        if mode is None or ev.button() != Qt.MouseButton.LeftButton or axis is not None:
            super().mouseDragEvent(ev, axis)
            return
        ev.accept()
        here = self.mapToView(ev.pos())
        if ev.isStart():
            self._vertices = [self.mapToView(ev.buttonDownPos())]
        if mode == "box":
            self._vertices = self._vertices[:1] + [here]
            polygon = box_polygon(*self._vertices)
        else:
            self._vertices.append(here)
            polygon = np.array([(p.x(), p.y()) for p in self._vertices])
        self._draw(polygon)
        if ev.isFinish():
            if mode == "lasso" and len(polygon) > MAX_LASSO_VERTICES:
                polygon = polygon[np.linspace(0, len(polygon) - 1, MAX_LASSO_VERTICES).astype(int)]
            self.sigShapeSelected.emit(mode, polygon)

    def _draw(self, polygon: np.ndarray) -> None:
        path = QPainterPath()
        path.addPolygon(QPolygonF([QPointF(float(x), float(y)) for x, y in polygon]))
        path.closeSubpath()
        self.outline.setPath(path)
