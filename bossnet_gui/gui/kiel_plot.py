"""KielPlot: the live Kiel diagram (Teff on a log axis decreasing to the right, log g increasing down).

The stars in view are ONE ``LutScatterPlotItem``; with more than ``DENSITY_ABOVE`` of them in view
they are drawn as a density image instead (a million points cost ~300 ms a repaint; the image is
one bincount), and zooming in brings the points back. Catalog changes only mark the plot dirty;
a single-shot QTimer flushes at most ~15 times a second, rebuilding the arrays with NumPy. Clicking
a star (or, in the density image, near one) or drawing a box/lasso writes to the CatalogModel;
the selected star's ring and error bars follow the model's current row.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtWidgets import QButtonGroup, QComboBox, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from ..results import OK
from .catalog_model import CatalogModel
from .colouring import DEFAULT_SCHEME, SCHEMES, ColourScheme
from .fast_scatter import LutScatterPlotItem
from ..bundled import TRAINING_COVERAGE
from ..kiel import load_training_coverage
from .kiel_backdrop import backdrop_items, coverage_image
from .select_viewbox import SelectingViewBox, points_inside

FLUSH_MS = 66  # ~15 Hz
REDRAW_MS = 30  # after the view moves: the points or density in view are chosen again
DENSITY_ABOVE = 100_000  # stars in view drawn as a density image beyond this
DENSITY_BIN_PX = 3  # screen pixels per density bin
CLICK_RADIUS_PX = 12  # a click in the density image picks the nearest star within this
TEFF_RANGE = (1_700.0, 100_000.0)
LOGG_RANGE = (-0.5, 10.0)
TICK_LEVELS = (
    (3_000, 5_000, 10_000, 20_000, 50_000, 100_000),
    (2_000, 4_000, 6_000, 8_000, 15_000, 30_000),
    (2_500, 3_500, 4_500, 7_000, 12_000, 40_000, 70_000),
)


class TeffAxis(pg.AxisItem):
    """Ticks at round temperatures for an axis whose coordinate is log10 Teff."""

    def tickValues(self, minVal, maxVal, size):
        lo, hi = sorted((minVal, maxVal))
        chosen: list[float] = []
        for level in TICK_LEVELS:
            trial = sorted(chosen + [np.log10(t) for t in level if lo <= np.log10(t) <= hi])
            pixels = np.diff(trial) * size / max(hi - lo, 1e-9) if len(trial) > 1 else [np.inf]
            if chosen and np.min(pixels) < 45:
                break
            chosen = trial
        return [(1.0, chosen)]

    def tickStrings(self, values, scale, spacing):
        return [f"{10 ** v:,.0f}" for v in values]


class KielPlot(QWidget):
    colourSchemeChanged = Signal(str)

    def __init__(self, catalog: CatalogModel, parent: QWidget | None = None, coverage_path=TRAINING_COVERAGE):
        super().__init__(parent)
        self.catalog = catalog
        self.scheme: ColourScheme = SCHEMES[DEFAULT_SCHEME]
        self.rows = np.empty(0, dtype=int)  # plotted star -> catalog row
        self.x = self.y = np.empty(0)  # plotted stars' coordinates (log Teff, log g)
        self.lut = np.empty(0, dtype=np.intp)  # plotted stars' brush index
        self.shown = np.empty(0, dtype=int)  # scatter point -> plotted star (the stars in view)
        self.density = pg.ImageItem(axisOrder="col-major")
        self.view_box = SelectingViewBox()
        self.plot_widget = pg.PlotWidget(viewBox=self.view_box, axisItems={"bottom": TeffAxis("bottom")}, background="w")
        self.plot_item = self.plot_widget.getPlotItem()
        self.scatter = LutScatterPlotItem(self.scheme.brushes(), size=6, pen=None)
        self.highlight = pg.ScatterPlotItem(size=16, pen=pg.mkPen((220, 0, 0), width=2.5), brush=None)
        self.error_bars = pg.ErrorBarItem(pen=pg.mkPen((220, 0, 0), width=1.5), beam=0.0)
        # a comparison model's position of each star, joined to the first model's by a segment
        self.links = pg.PlotDataItem(connect="pairs", pen=pg.mkPen(110, 110, 110, 160, width=1))
        self.compared = pg.ScatterPlotItem(size=5, pen=pg.mkPen(80, 80, 80), brush=None)
        self.cx = self.cy = np.empty(0)  # plotted stars' comparison coordinates (NaN: none)
        self.colour_bar = pg.ColorBarItem(values=self.scheme.limits, colorMap=self.scheme.colour_map(), interactive=False, colorMapMenu=False, width=14)
        self.legend = pg.LegendItem(offset=(10, 10), brush=pg.mkBrush(255, 255, 255, 200), labelTextColor=(30, 30, 30))
        self.coverage = load_training_coverage(coverage_path)
        self.count = QLabel()
        self.colour_by = QComboBox()
        self._flush_timer = QTimer(self, singleShot=True, interval=FLUSH_MS)
        self._flush_timer.timeout.connect(self.flush)
        self._redraw_timer = QTimer(self, singleShot=True, interval=REDRAW_MS)
        self._redraw_timer.timeout.connect(self.redraw)
        self._setup_plot()
        self._layout()
        self.set_colour_scheme(DEFAULT_SCHEME)
        self.scatter.sigClicked.connect(self._on_points_clicked)
        self.plot_widget.scene().sigMouseClicked.connect(self._on_scene_clicked)
        self.view_box.sigRangeChanged.connect(lambda *_: self._redraw_timer.start())
        self.view_box.sigShapeSelected.connect(self.select_shape)
        catalog.rowsAppended.connect(self._on_rows_appended)
        catalog.rowsChanged.connect(self._on_rows_changed)
        catalog.rowsCleared.connect(self.schedule_flush)
        catalog.selectionChanged.connect(self._on_selection_changed)
        catalog.subsetChanged.connect(self._on_subset_changed)

    # -- construction -------------------------------------------------------------------------

    def _setup_plot(self) -> None:
        p = self.plot_item
        p.invertX(True)
        p.invertY(True)
        p.showGrid(x=True, y=True, alpha=0.15)
        p.setLabel("bottom", "Teff [K]")
        p.setLabel("left", "log g [cgs]")
        p.getAxis("left").setWidth(48)
        p.setMenuEnabled(False)
        if self.coverage is not None:
            p.addItem(coverage_image(self.coverage), ignoreBounds=True)
        for item in backdrop_items():
            p.addItem(item, ignoreBounds=True)
        self.density.setLookupTable(_density_lut())
        self.density.setZValue(9)
        p.addItem(self.density, ignoreBounds=True)
        self.scatter.setZValue(10)
        self.links.setZValue(8)
        self.compared.setZValue(9)
        self.error_bars.setZValue(19)
        self.highlight.setZValue(20)
        for item in (self.links, self.compared, self.scatter, self.error_bars, self.highlight):
            p.addItem(item)
        p.layout.addItem(self.colour_bar, 2, 5)
        self.legend.setParentItem(self.view_box)
        self.reset_view()

    def _layout(self) -> None:
        self.colour_by.addItems(list(SCHEMES))
        self.colour_by.currentTextChanged.connect(self.set_colour_scheme)
        modes = QButtonGroup(self)
        bar = QHBoxLayout()
        self.colour_by.setToolTip("Colour the stars by")
        bar.addWidget(self.colour_by)
        for label, mode, tip in (("Pan", None, "Drag to pan, wheel to zoom"), ("Box", "box", "Drag a box to filter the table (or Shift-drag in pan mode)"), ("Lasso", "lasso", "Draw around stars to filter the table")):
            button = QToolButton(text=label, checkable=True, toolTip=tip, checked=mode is None)
            button.toggled.connect(lambda on, m=mode: on and setattr(self.view_box, "select_mode", m))
            modes.addButton(button)
            bar.addWidget(button)
        reset = QToolButton(text="Reset", toolTip="Show 1,700-100,000 K and log g 0-10")
        reset.clicked.connect(self.reset_view)
        bar.addWidget(reset)
        bar.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.plot_widget)
        layout.addWidget(self.count)  # on its own line: beside the buttons a narrow panel cut it short

    def reset_view(self) -> None:
        self.view_box.setRange(xRange=np.log10(TEFF_RANGE), yRange=LOGG_RANGE, padding=0.02)

    # -- colouring ----------------------------------------------------------------------------

    def set_colour_scheme(self, label: str) -> None:
        if label not in SCHEMES:
            return
        self.scheme = SCHEMES[label]
        with QSignalBlocker(self.colour_by):
            self.colour_by.setCurrentText(label)
        self.scatter.set_lut(self.scheme.brushes())
        if self.scheme.categorical:
            self._fill_legend()
        else:
            self.colour_bar.setColorMap(self.scheme.colour_map())
            self.colour_bar.setLevels(self.scheme.limits)
            self.colour_bar.axis.setLabel(self.scheme.label)
        self.colourSchemeChanged.emit(label)
        self.flush()

    def _fill_legend(self) -> None:
        self.legend.clear()
        for brush, (name, _) in zip(self.scheme.brushes(), self.scheme.categories):
            self.legend.addItem(pg.ScatterPlotItem(size=9, pen=None, brush=brush), name)

    # -- following the catalog ----------------------------------------------------------------

    def _on_rows_appended(self, first: int, last: int) -> None:
        self.schedule_flush()

    def _on_rows_changed(self, rows: np.ndarray) -> None:
        self.schedule_flush()

    def schedule_flush(self, *args) -> None:
        if not self._flush_timer.isActive():
            self._flush_timer.start()

    def flush(self) -> None:
        """Take the stars from the catalog (NumPy only), then draw those in view."""
        column = self.catalog.column
        x, y = column("logTeff"), column("logg")
        plotted = self.catalog.predicted() & np.isfinite(x) & np.isfinite(y)
        self.rows = np.flatnonzero(plotted)
        self.x, self.y = x[self.rows], y[self.rows]
        with np.errstate(invalid="ignore", divide="ignore"):
            self.cx, self.cy = np.log10(column("cmp_Teff")[self.rows]), column("cmp_logg")[self.rows]
        self.lut = self.scheme.lut_index(column, self.rows)
        self.redraw()
        self._show_current(self.catalog.current)

    @property
    def density_shown(self) -> bool:
        return self.density.isVisible()

    def redraw(self) -> None:
        """The stars in view as points (one call into the scatter item), or as a density image when there are too many."""
        (x0, x1), (y0, y1) = self.view_box.viewRange()
        in_view = np.flatnonzero((self.x >= x0) & (self.x <= x1) & (self.y >= y0) & (self.y <= y1))
        dense = len(in_view) > DENSITY_ABOVE
        self.shown = np.empty(0, dtype=int) if dense else in_view
        self.scatter.set_points(self.x[self.shown], self.y[self.shown], self.lut[self.shown])
        self._draw_comparison()
        self.density.setVisible(dense)
        self.colour_bar.setVisible(not dense and not self.scheme.categorical)  # the density is not coloured by the scheme
        self.legend.setVisible(not dense and self.scheme.categorical)
        if dense:
            self._draw_density(in_view, (x0, x1), (y0, y1))
        backdrop = " · grey: training density" if self.coverage is not None else ""
        self.count.setText(f"{len(self.rows):,} stars" + (" · density: zoom in for points" if dense else backdrop))
        self.count.setToolTip(f"{len(in_view):,} stars in view, drawn as their density (blue: more stars per bin)" if dense else "")

    def _draw_comparison(self) -> None:
        """A segment from each shown star to where the comparison model puts it (nothing without one)."""
        both = self.shown[np.isfinite(self.cx[self.shown]) & np.isfinite(self.cy[self.shown])] if len(self.cx) else self.shown[:0]
        pairs_x = np.column_stack([self.x[both], self.cx[both]]).ravel()
        pairs_y = np.column_stack([self.y[both], self.cy[both]]).ravel()
        self.links.setData(pairs_x, pairs_y)
        self.compared.setData(self.cx[both], self.cy[both])

    def _draw_density(self, in_view: np.ndarray, x_range, y_range) -> None:
        width, height = self.view_box.width(), self.view_box.height()
        nx, ny = max(1, int(width / DENSITY_BIN_PX)), max(1, int(height / DENSITY_BIN_PX))
        (x0, x1), (y0, y1) = x_range, y_range
        ix = np.minimum(((self.x[in_view] - x0) * (nx / (x1 - x0))).astype(np.intp), nx - 1)
        iy = np.minimum(((self.y[in_view] - y0) * (ny / (y1 - y0))).astype(np.intp), ny - 1)
        counts = np.bincount(ix * ny + iy, minlength=nx * ny).reshape(nx, ny)
        self.density.setImage(np.log1p(counts), levels=(0, max(1.0, np.log1p(counts.max()))))
        self.density.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))

    def _on_selection_changed(self, row: int) -> None:
        self._show_current(row)

    def _show_current(self, row: int) -> None:
        value = self.catalog.value
        if row < 0 or row >= len(self.catalog) or value(row, "status") != OK or not np.isfinite(value(row, "logTeff")):
            self.highlight.setData([], [])
            self.error_bars.setVisible(False)
            return
        x, y = float(value(row, "logTeff")), float(value(row, "logg"))
        self.highlight.setData([x], [y])
        dx, dy = (float(value(row, c)) for c in ("logTeff_err", "logg_err"))
        self.error_bars.setData(x=np.array([x]), y=np.array([y]), width=np.array([2 * np.nan_to_num(dx)]), height=np.array([2 * np.nan_to_num(dy)]))
        self.error_bars.setVisible(True)

    # -- interaction --------------------------------------------------------------------------

    def _on_points_clicked(self, item, points, event) -> None:
        if len(points):
            self.click_at(event.pos().x(), event.pos().y())

    def _on_scene_clicked(self, event) -> None:
        """In the density image there are no points to click: the nearest star within a few pixels is picked."""
        if not self.density_shown or event.button() != Qt.MouseButton.LeftButton or not self.view_box.sceneBoundingRect().contains(event.scenePos()):
            return
        here = self.view_box.mapSceneToView(event.scenePos())
        self.click_at(here.x(), here.y(), CLICK_RADIUS_PX)

    def click_at(self, x: float, y: float, within_px: float = np.inf) -> int:
        """Make the star nearest to (x, y) in data coordinates (nearest on screen, within ``within_px`` pixels)
        the current one; its row, or -1 if there is none."""
        if not len(self.rows):
            return -1
        px, py = self.view_box.viewPixelSize()
        distance = ((self.x - x) / px) ** 2 + ((self.y - y) / py) ** 2
        nearest = int(np.argmin(distance))
        if distance[nearest] > within_px**2:
            return -1
        self.catalog.set_current(int(self.rows[nearest]))
        return int(self.rows[nearest])

    def select_shape(self, kind: str, polygon: np.ndarray) -> np.ndarray:
        """Filter the table to the stars inside ``polygon`` (data coordinates), whether drawn as points or
        density; returns their rows."""
        rows = self.rows[points_inside(self.x, self.y, np.asarray(polygon, float))]
        self.catalog.set_subset(rows)
        return rows

    def _on_subset_changed(self, subset) -> None:
        if subset is None:
            self.view_box.clear_shape()

    def point_rows(self) -> np.ndarray:
        """Catalog rows of the stars drawn as points."""
        return self.rows[self.shown]


def _density_lut() -> np.ndarray:
    """Empty bins transparent, then light to dark blue as the (log) count grows."""
    lut = np.zeros((256, 4), dtype=np.ubyte)
    ramp = np.linspace(0, 1, 255)[:, None]
    lut[1:, :3] = (1 - ramp) * np.array([170, 200, 240]) + ramp * np.array([10, 30, 120])
    lut[1:, 3] = 255
    return lut
