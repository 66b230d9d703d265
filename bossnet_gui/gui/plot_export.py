"""Saving a pyqtgraph plot as PNG (pyqtgraph's ImageExporter) or SVG (Qt's SVG generator).

pyqtgraph 0.14's SVGExporter rewrites the path data Qt writes and fails on what Qt 6.12 emits
for some items ("not enough values to unpack"); rendering the plot's scene region straight into
``QSvgGenerator`` gives a correct vector file with every item.
"""

from __future__ import annotations

from pathlib import Path

import pyqtgraph as pg
import pyqtgraph.exporters as exporters
from PySide6.QtCore import QRectF, QSize
from PySide6.QtGui import QPainter
from PySide6.QtSvg import QSvgGenerator

PNG_WIDTH = 1600


def export_plot(plot_item: pg.PlotItem, path: str | Path) -> Path:
    path = Path(path)
    if path.suffix.lower() == ".svg":
        return export_svg(plot_item, path)
    exporter = exporters.ImageExporter(plot_item)
    exporter.parameters()["width"] = PNG_WIDTH
    exporter.export(str(path))
    return path


def export_svg(plot_item: pg.PlotItem, path: Path) -> Path:
    source = plot_item.sceneBoundingRect()
    generator = QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(QSize(int(source.width()), int(source.height())))
    generator.setViewBox(QRectF(0, 0, source.width(), source.height()))
    generator.setTitle(plot_item.titleLabel.text or "bossnet-gui plot")
    painter = QPainter(generator)
    try:
        plot_item.scene().render(painter, QRectF(0, 0, source.width(), source.height()), source)
    finally:
        painter.end()
    return path
