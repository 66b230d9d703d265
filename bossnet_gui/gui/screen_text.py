"""ScreenLabel: text of constant pixel size pinned to a data point of a pyqtgraph view.

``pg.TextItem`` re-computes its transform before every paint and after each view change, which
makes a second scene update (and a second window repaint) each time the view moves. This is a
plain ``QGraphicsSimpleTextItem`` under a parent that ignores the view transform: Qt keeps it
upright and unscaled, with no Python in the paint path.
"""

from __future__ import annotations

from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QGraphicsItem, QGraphicsItemGroup, QGraphicsSimpleTextItem


class ScreenLabel(QGraphicsItemGroup):
    def __init__(self, text: str, colour, anchor: tuple[float, float] = (0.0, 0.0)):
        super().__init__()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.text_item = QGraphicsSimpleTextItem(text, self)
        self.text_item.setBrush(QBrush(QColor(*colour) if isinstance(colour, tuple) else QColor(colour)))
        rect = self.text_item.boundingRect()
        self.text_item.setPos(-anchor[0] * rect.width(), -anchor[1] * rect.height())

    @property
    def text(self) -> str:
        return self.text_item.text()

    def pixel_size(self) -> tuple[float, float]:
        rect = self.text_item.boundingRect()
        return rect.width(), rect.height()
