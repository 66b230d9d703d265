"""Small PNG scatter plots for the model report, drawn with Qt's QPainter (no matplotlib here).

``Panel`` describes one set of axes; ``save_png`` lays panels out in a row and writes the image.
Runs offscreen (QT_QPA_PLATFORM=offscreen); only QtGui is needed, not a display.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..kiel import Coverage

PANEL_SIZE = 420
MARGIN = 56


@dataclass
class Series:
    x: np.ndarray
    y: np.ndarray
    colour: tuple[int, int, int]
    label: str
    size: float = 3.0


@dataclass
class Panel:
    title: str
    x_label: str
    y_label: str
    x_range: tuple[float, float]  # (left, right): give (high, low) to invert
    y_range: tuple[float, float]  # (bottom, top): give (high, low) to invert
    series: list[Series] = field(default_factory=list)
    diagonal: bool = False  # draw y = x
    background: Coverage | None = None  # training-label histogram drawn behind the points


def _application():
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    return QGuiApplication.instance() or QGuiApplication([])


def save_png(path: str | Path, panels: list[Panel]) -> Path:
    _application()
    from PySide6.QtGui import QColor, QImage, QPainter

    width, height = PANEL_SIZE * len(panels), PANEL_SIZE
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor(255, 255, 255))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    for i, panel in enumerate(panels):
        _draw_panel(painter, panel, i * PANEL_SIZE)
    painter.end()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(path), "PNG"):
        raise OSError(f"could not write {path}")
    return path


def _draw_panel(painter, panel: Panel, left: int) -> None:
    from PySide6.QtCore import QPointF, QRectF, Qt
    from PySide6.QtGui import QColor, QPen

    x0, x1 = left + MARGIN, left + PANEL_SIZE - 12
    y0, y1 = PANEL_SIZE - MARGIN + 10, 30  # bottom, top in pixels

    def px(x, y):
        fx = (np.asarray(x, float) - panel.x_range[0]) / (panel.x_range[1] - panel.x_range[0])
        fy = (np.asarray(y, float) - panel.y_range[0]) / (panel.y_range[1] - panel.y_range[0])
        return x0 + fx * (x1 - x0), y0 + fy * (y1 - y0)

    if panel.background is not None:
        _draw_background(painter, panel.background, px)
    painter.setPen(QPen(QColor(0, 0, 0), 1))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRect(QRectF(x0, y1, x1 - x0, y0 - y1))
    for tick in _ticks(*panel.x_range):
        x, _ = px(tick, panel.y_range[0])
        painter.drawLine(QPointF(x, y0), QPointF(x, y0 + 4))
        painter.drawText(QRectF(x - 30, y0 + 5, 60, 16), Qt.AlignmentFlag.AlignCenter, f"{tick:g}")
    for tick in _ticks(*panel.y_range):
        _, y = px(panel.x_range[0], tick)
        painter.drawLine(QPointF(x0 - 4, y), QPointF(x0, y))
        painter.drawText(QRectF(x0 - 50, y - 8, 44, 16), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"{tick:g}")
    painter.drawText(QRectF(x0, y0 + 22, x1 - x0, 18), Qt.AlignmentFlag.AlignCenter, panel.x_label)
    painter.save()
    painter.translate(left + 12, (y0 + y1) / 2)
    painter.rotate(-90)
    painter.drawText(QRectF(-(y0 - y1) / 2, -8, y0 - y1, 18), Qt.AlignmentFlag.AlignCenter, panel.y_label)
    painter.restore()
    painter.drawText(QRectF(x0, 6, x1 - x0, 20), Qt.AlignmentFlag.AlignCenter, panel.title)
    painter.setClipRect(QRectF(x0, y1, x1 - x0, y0 - y1))
    if panel.diagonal:
        low, high = max(min(panel.x_range), min(panel.y_range)), min(max(panel.x_range), max(panel.y_range))
        a, b = px([low, high], [low, high])
        painter.setPen(QPen(QColor(120, 120, 120), 1, Qt.PenStyle.DashLine))
        painter.drawLine(QPointF(a[0], b[0]), QPointF(a[1], b[1]))
    painter.setPen(Qt.PenStyle.NoPen)
    for series in panel.series:
        painter.setBrush(QColor(*series.colour, 170))
        xs, ys = px(series.x, series.y)
        for x, y in zip(xs, ys):
            if np.isfinite(x) and np.isfinite(y):
                painter.drawEllipse(QPointF(x, y), series.size, series.size)
    painter.setClipping(False)
    _draw_legend(painter, panel, x0 + 8, y1 + 6)


def _draw_background(painter, background, px) -> None:
    from PySide6.QtCore import QRectF
    from PySide6.QtGui import QColor

    counts, x_edges, y_edges = background.counts, background.logteff_edges, background.logg_edges
    peak = np.log1p(counts).max() or 1.0
    for i in range(len(x_edges) - 1):
        for j in range(len(y_edges) - 1):
            if counts[i, j] <= 0:
                continue
            shade = int(235 - 135 * np.log1p(counts[i, j]) / peak)
            (xa, xb), (ya, yb) = px([x_edges[i], x_edges[i + 1]], [y_edges[j], y_edges[j + 1]])
            painter.fillRect(QRectF(min(xa, xb), min(ya, yb), abs(xb - xa) + 0.5, abs(yb - ya) + 0.5), QColor(shade, shade, shade))


def _draw_legend(painter, panel: Panel, x: float, y: float) -> None:
    from PySide6.QtCore import QPointF, QRectF
    from PySide6.QtGui import QColor

    for k, series in enumerate(s for s in panel.series if s.label):
        painter.setBrush(QColor(*series.colour))
        painter.setPen(QColor(*series.colour))
        painter.drawEllipse(QPointF(x + 4, y + 8 + 16 * k), 4, 4)
        painter.setPen(QColor(0, 0, 0))
        painter.drawText(QRectF(x + 12, y + 16 * k, 260, 16), 0, series.label)


def _ticks(a: float, b: float, target: int = 5) -> list[float]:
    low, high = min(a, b), max(a, b)
    raw = (high - low) / target
    step = 10 ** np.floor(np.log10(raw))
    step *= min((m for m in (1, 2, 5, 10) if m * step >= raw), default=10)
    first = np.ceil(low / step) * step
    return [round(float(t), 10) for t in np.arange(first, high + step * 1e-6, step)]
