"""The private pyqtgraph internals that ``gui/fast_scatter.py`` relies on: a pyqtgraph release that
changes them fails here by name, not as a blank or wrong Kiel diagram on a user's machine."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from bossnet_gui.gui.fast_scatter import LutScatterPlotItem


def test_scatter_plot_item_keeps_the_internals_we_use():
    item = pg.ScatterPlotItem()
    for name in ("fragmentAtlas", "_maskAt", "_updateMaxSpotSizes", "updateSpots", "invalidate", "bounds", "opts", "data"):
        assert hasattr(item, name), f"pyqtgraph {pg.__version__}: ScatterPlotItem.{name} is gone"
    fields = set(item.data.dtype.names)
    assert {"x", "y", "size", "symbol", "pen", "brush", "visible", "data", "item", "sourceRect"} <= fields, fields
    assert set(item.data.dtype["sourceRect"].names) >= {"x", "y", "w", "h"}
    item._updateMaxSpotSizes(data=item.data)  # called with the new record array, as set_points does
    assert {"symbol", "size", "pen", "pxMode", "useCache"} <= set(item.opts)


def test_the_atlas_still_answers_a_list_of_styles_with_rectangles(qtbot):
    item = pg.ScatterPlotItem(size=6, pen=None)
    styles = [(item.opts["symbol"], item.opts["size"], item.opts["pen"], pg.mkBrush(c)) for c in ("r", "b")]
    rects = [tuple(r) for r in item.fragmentAtlas[styles]]
    assert len(rects) == 2 and all(len(r) == 4 and r[2] > 0 and r[3] > 0 for r in rects)


def test_points_set_through_the_internals_are_found_under_the_cursor(qtbot):
    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    item = LutScatterPlotItem([pg.mkBrush("r"), pg.mkBrush("b")], size=6, pen=None)
    widget.addItem(item)
    item.set_points(np.array([0.0, 5.0]), np.array([0.0, 5.0]), np.array([0, 1]))
    widget.resize(200, 200)
    widget.show()
    qtbot.waitExposed(widget)
    assert [p.index() for p in item.pointsAt(pg.Point(5.0, 5.0))] == [1]
    assert item.dataBounds(0) == (0.0, 5.0)
