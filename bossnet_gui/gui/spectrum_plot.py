"""SpectrumPlot: the current star's spectrum, native and on the network's grid.

Linear mode: native flux, its 1σ band, and the flux resampled onto the 3800-8900 Å grid.
Log mode: the log-scaled grid flux the network sees, over the native flux on the same scale.
Masked native pixels and grid parts outside the native coverage are shaded; diagnostic features
are marked at the star's predicted radial velocity (or at rest), by family, with labels stacked so
they never overlap; ] and [ show the next and previous marked line close up beside it. APOGEE spectra are shown on
their native pixels only. Every curve item is created once and updated with ``setData``.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QPainterPath
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QGraphicsPathItem, QHBoxLayout, QLabel, QMenu, QPushButton, QSizePolicy, QSpinBox, QToolButton, QVBoxLayout, QWidget,
)

from ..io.common import doppler_shift
from ..preprocess import GRID_START, GRID_STOP
from ..spectrum import Spectrum
from .catalog_model import CatalogModel
from .feature_lines import FAMILIES, FEATURES, stack_labels
from .saliency_band import SaliencyBand
from .screen_text import ScreenLabel
from .spectrum_view import SpectrumView, log_flux, smooth, spectrum_view

LINEAR, LOG = "Linear flux", "Log-scaled (network input)"
NATIVE_PEN = pg.mkPen((60, 60, 60), width=1)
GRID_PEN = pg.mkPen((30, 100, 200), width=1.5)
BAND_BRUSH = pg.mkBrush(120, 120, 120, 90)
MASK_BRUSH = pg.mkBrush(220, 60, 60, 45)
OUTSIDE_BRUSH = pg.mkBrush(120, 120, 120, 50)
MODEL_COLOUR = (230, 120, 0)
MODEL_PEN = pg.mkPen(*MODEL_COLOUR, width=1.2)
EXPECTED_PEN = pg.mkPen(150, 40, 190, width=1.6, style=Qt.PenStyle.DashLine)
NEIGHBOUR_PENS = [pg.mkPen(*colour, width=1) for colour in ((0, 150, 140), (90, 170, 90), (170, 150, 40))]
LEGEND = (
    "<span style='color:#3c3c3c'>━ native</span> &nbsp; <span style='color:#1e64c8'>━ network grid</span> &nbsp; "
    "<span style='background:#c8c8c8'>&nbsp;1σ&nbsp;</span> &nbsp; <span style='background:#f4c8c8'>&nbsp;masked&nbsp;</span> &nbsp; "
    "<span style='background:#dcdcdc'>&nbsp;outside native coverage&nbsp;</span> &nbsp; <span style='color:#e67800'>━ survey model</span> &nbsp; "
    "<span style='color:#9628be'>┅ template at our parameters</span> &nbsp; <span style='color:#00968c'>━ nearest training spectra</span>"
)
FEATURE_COLOURS = {"hydrogen": (200, 40, 40), "metal": (30, 130, 60), "molecule": (140, 80, 170)}


def band_path(x: np.ndarray, low: np.ndarray, high: np.ndarray, x_range=None, max_vertices: int = 1200) -> QPainterPath:
    """The closed polygon between two curves, within ``x_range``, as an envelope of at most
    ``max_vertices`` points a side (filling a 8,000-vertex polygon costs ~10 ms a repaint)."""
    low, high = np.where(np.isfinite(low), low, high), np.where(np.isfinite(high), high, low)
    keep = np.isfinite(low) & np.isfinite(high) & np.isfinite(x)
    if x_range is not None:
        inside = np.flatnonzero((x >= x_range[0]) & (x <= x_range[1]))
        if len(inside):  # one pixel beyond each edge, so the band reaches the frame
            keep[: max(inside[0] - 1, 0)] = False
            keep[inside[-1] + 2 :] = False
    x, low, high = x[keep], low[keep], high[keep]
    if not len(x):
        return QPainterPath()
    if len(x) > max_vertices:
        edges = np.linspace(0, len(x), max_vertices + 1).astype(int)
        x = np.add.reduceat(x, edges[:-1]) / np.diff(edges)
        low, high = np.minimum.reduceat(low, edges[:-1]), np.maximum.reduceat(high, edges[:-1])
    return pg.arrayToQPath(np.r_[x, x[::-1], x[:1]], np.r_[low, high[::-1], low[:1]])


class SpectrumPlot(QWidget):
    settingsChanged = Signal()

    def __init__(self, catalog: CatalogModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.catalog = catalog
        self.spectrum: Spectrum | None = None
        self.view: SpectrumView | None = None
        self._band: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self.plot_widget = pg.PlotWidget(background="w")
        self.plot_item = self.plot_widget.getPlotItem()
        self.title = QLabel("No star selected")
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # a long name must not widen the window
        self.readout = QLabel(" ")
        self.readout.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.mode = QComboBox()
        self.smoothing = QSpinBox(minimum=1, maximum=51, singleStep=2, value=1, suffix=" px", toolTip="Boxcar smoothing (display only)")
        self.show_features = QCheckBox("Features", checked=True)
        self.rest_frame = QCheckBox("Rest frame", toolTip="Line markers at rest wavelengths, not at the star's predicted radial velocity")
        self.families = QToolButton(text="Lines", toolTip="Which line families to mark", popupMode=QToolButton.ToolButtonPopupMode.InstantPopup)
        self.family_actions = {name: self._family_action(name) for name in FAMILIES}
        self.rv = math.nan  # km/s, the shown star's predicted RV: where its lines are
        self.saliency = SaliencyBand()
        self.saliency.plot_widget.setXLink(self.plot_widget)
        self.show_saliency = QCheckBox("Why", checked=True, toolTip="Show which wavelengths drove Teff, log g and [Fe/H] (computed in the background)")
        self.show_model = QCheckBox("Survey model", checked=True, toolTip="Overlay the survey pipeline's best-fit model, where the file holds one, with its residuals")
        self.show_expected = QCheckBox("Expected", toolTip="What the network expects: a library template at the predicted parameters and the 3 "
                                                           "training spectra nearest in the network's feature space, at the star's RV and matched to its "
                                                           "continuum (computed in the background)")
        self.expected = None  # the shown star's model.expected.Expected, once its explanation has come
        self.zoom_widget = pg.PlotWidget(background="w")  # one chosen line, close up; ] and [ step through them
        self.zoom_widget.setFixedWidth(300)
        self.zoom_widget.setVisible(False)
        self.zoom_index = -1  # the FEATURES entry shown close up, -1 for none
        self.residual_widget = pg.PlotWidget(background="w")
        self.residual_widget.setFixedHeight(64)
        self.residual_widget.setXLink(self.plot_widget)
        self.residual_widget.setVisible(False)
        self.next_feature = self._key_action("Next line close up", "]", lambda: self.zoom_feature(+1))
        self.previous_feature = self._key_action("Previous line close up", "[", lambda: self.zoom_feature(-1))
        self._make_items()
        self._layout()
        self._connect()

    # -- construction -------------------------------------------------------------------------

    def _make_items(self) -> None:
        p = self.plot_item
        p.showGrid(x=True, y=True, alpha=0.15)
        p.setLabel("bottom", "vacuum wavelength [Å]")
        p.getAxis("left").setWidth(64)  # fixed: a width that follows the tick labels re-lays out the plot per star
        p.setMenuEnabled(False)
        self.band = QGraphicsPathItem()  # one polygon (pg.FillBetweenItem rebuilds per curve, ~7 ms each)
        self.band.setBrush(BAND_BRUSH)
        self.band.setPen(pg.mkPen(None))
        self.native = pg.PlotDataItem(pen=NATIVE_PEN, connect="finite")
        self.grid_curve = pg.PlotDataItem(pen=GRID_PEN, connect="finite")
        self.mask_bars = pg.BarGraphItem(x0=[], x1=[], y0=[], height=[], brush=MASK_BRUSH, pen=None)
        self.outside_regions = [pg.LinearRegionItem(movable=False, brush=OUTSIDE_BRUSH, pen=pg.mkPen(None)) for _ in range(2)]
        for item in (self.band, self.mask_bars, *self.outside_regions):
            p.addItem(item, ignoreBounds=True)
            item.setZValue(-5)
        p.addItem(self.native)
        p.addItem(self.grid_curve)
        self.model_curve = pg.PlotDataItem(pen=MODEL_PEN, connect="finite")
        p.addItem(self.model_curve)
        self.neighbour_curves = [pg.PlotDataItem(pen=pen, connect="finite") for pen in NEIGHBOUR_PENS]
        self.expected_curve = pg.PlotDataItem(pen=EXPECTED_PEN, connect="finite")
        for item in (*self.neighbour_curves, self.expected_curve):
            p.addItem(item)
        zoom = self.zoom_widget.getPlotItem()
        zoom.setMenuEnabled(False)
        zoom.hideButtons()
        zoom.showGrid(x=True, y=True, alpha=0.15)
        self.zoom_native = pg.PlotDataItem(pen=NATIVE_PEN, connect="finite")
        self.zoom_model = pg.PlotDataItem(pen=MODEL_PEN, connect="finite")
        self.zoom_expected = pg.PlotDataItem(pen=EXPECTED_PEN, connect="finite")
        self.zoom_lines = [pg.InfiniteLine(0.0, angle=90, pen=pg.mkPen(200, 40, 40, 160, style=Qt.PenStyle.DashLine)) for _ in range(3)]
        for item in (self.zoom_native, self.zoom_model, self.zoom_expected, *self.zoom_lines):
            zoom.addItem(item)
        residual = self.residual_widget.getPlotItem()
        residual.setMenuEnabled(False)
        residual.hideButtons()
        residual.getAxis("left").setWidth(64)
        residual.setLabel("left", "resid. / σ")
        residual.getAxis("bottom").setStyle(showValues=False)
        residual.addItem(pg.InfiniteLine(0.0, angle=0, pen=pg.mkPen(150, 150, 150)))
        self.residual_curve = pg.PlotDataItem(pen=pg.mkPen(*MODEL_COLOUR, width=1), connect="finite")
        residual.addItem(self.residual_curve)
        residual.setYRange(-5, 5, padding=0)
        self.feature_lines: list[pg.InfiniteLine] = []
        self.line_features: list[tuple[int, float]] = []  # per line: its feature, its rest wavelength
        self.feature_labels: list[ScreenLabel] = []
        for index, feature in enumerate(FEATURES):
            colour = FEATURE_COLOURS[feature.kind]
            for wavelength in feature.wavelengths:
                line = pg.InfiniteLine(wavelength, angle=90, pen=pg.mkPen(*colour, 110, style=Qt.PenStyle.DashLine))
                p.addItem(line, ignoreBounds=True)
                self.feature_lines.append(line)
                self.line_features.append((index, wavelength))
            label = ScreenLabel(feature.label, colour, anchor=(0.5, 0))
            label.setZValue(5)
            p.addItem(label, ignoreBounds=True)
            self.feature_labels.append(label)
        self.cross_v = pg.InfiniteLine(angle=90, pen=pg.mkPen(150, 150, 150))
        self.cross_h = pg.InfiniteLine(angle=0, pen=pg.mkPen(150, 150, 150))
        for line in (self.cross_v, self.cross_h):
            p.addItem(line, ignoreBounds=True)
            line.setVisible(False)

    def _layout(self) -> None:
        self.mode.addItems([LINEAR, LOG])
        reset = QPushButton("Reset view")
        reset.clicked.connect(self.reset_view)
        reset.clicked.connect(self.close_zoom)
        bar = QHBoxLayout()
        bar.addWidget(self.title, 1)
        menu = QMenu(self.families)
        for action in self.family_actions.values():
            menu.addAction(action)
        self.families.setMenu(menu)
        for widget in (self.mode, QLabel("Smooth"), self.smoothing, self.show_features, self.families, self.rest_frame, self.show_model, self.show_expected, self.show_saliency, reset):
            bar.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        stacked = QVBoxLayout()  # the plots that share the wavelength axis, one above the other
        stacked.setSpacing(0)
        stacked.addWidget(self.plot_widget, 1)
        stacked.addWidget(self.residual_widget)
        stacked.addWidget(self.saliency)
        plots = QHBoxLayout()
        plots.addLayout(stacked, 1)
        plots.addWidget(self.zoom_widget)
        layout.addLayout(plots, 1)
        footer = QHBoxLayout()
        footer.addWidget(self.readout, 1)
        footer.addWidget(QLabel(LEGEND))
        layout.addLayout(footer)

    def _connect(self) -> None:
        self.mode.currentTextChanged.connect(self._on_display_option_changed)
        self.smoothing.valueChanged.connect(self._on_display_option_changed)
        self.show_features.toggled.connect(self._on_display_option_changed)
        self.rest_frame.toggled.connect(self._place_feature_labels)
        self.rest_frame.toggled.connect(self._draw_zoom)
        self.show_saliency.toggled.connect(self._on_saliency_toggled)
        self.show_expected.toggled.connect(self._on_expected_toggled)
        self.saliency.explained.connect(self._on_explained)
        self.show_model.toggled.connect(self._on_display_option_changed)
        self.plot_item.getViewBox().sigRangeChanged.connect(self._place_feature_labels)
        self.plot_item.getViewBox().sigXRangeChanged.connect(self._update_band)
        self.plot_item.getViewBox().sigResized.connect(self._place_feature_labels)
        self.plot_widget.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.catalog.selectionChanged.connect(self._on_selection_changed)
        self.catalog.spectrumReady.connect(self._on_spectrum_ready)

    # -- settings -----------------------------------------------------------------------------

    @property
    def log_scaled(self) -> bool:
        return self.mode.currentText() == LOG

    def set_options(self, log_scaled: bool | None = None, smoothing: int | None = None, features: bool | None = None) -> None:
        with QSignalBlocker(self.mode), QSignalBlocker(self.smoothing), QSignalBlocker(self.show_features):
            if log_scaled is not None:
                self.mode.setCurrentText(LOG if log_scaled else LINEAR)
            if smoothing is not None:
                self.smoothing.setValue(int(smoothing))
            if features is not None:
                self.show_features.setChecked(bool(features))
        self._redraw()

    def _on_display_option_changed(self, *args) -> None:
        self._redraw()
        self.settingsChanged.emit()

    # -- following the catalog ----------------------------------------------------------------

    def _on_selection_changed(self, row: int) -> None:
        if row < 0:
            self.show_spectrum(None, "No star selected")
        else:
            self.title.setText(f"Loading {self.catalog.value(row, 'source')}…")

    def _on_spectrum_ready(self, row: int, spectrum: Spectrum | None, reason: str) -> None:
        if row == self.catalog.current:
            self.show_spectrum(spectrum, reason, rv=float(self.catalog.value(row, "rv")))

    def show_spectrum(self, spectrum: Spectrum | None, reason: str = "", rv: float = math.nan) -> None:
        """Show a spectrum; ``rv`` (km/s, the prediction) places its line markers, NaN at rest."""
        self.spectrum = spectrum
        self.rv = rv
        if self.wants_explanation:
            self.saliency.show_spectrum(spectrum)
        self.view = spectrum_view(spectrum) if spectrum is not None else None
        if spectrum is None:
            self.title.setText(reason or "No spectrum")
        else:
            where = f" [{spectrum.meta.hdu}]" if spectrum.meta.hdu else ""
            self.title.setText(f"<b>{spectrum.label}</b> — {spectrum.meta.file_format}{where}")
        self._redraw()
        self.reset_view()

    # -- drawing ------------------------------------------------------------------------------

    def _redraw(self) -> None:
        v = self.view
        if v is None:
            for item in (self.native, self.grid_curve, self.model_curve, self.residual_curve):
                item.setData([], [])
            self.residual_widget.setVisible(False)
            self._band = None
            self._update_band()
            self.mask_bars.setOpts(x0=[], x1=[], y0=[], height=[])
            for region in self.outside_regions:
                region.setVisible(False)
            self._place_feature_labels()
            return
        width = self.smoothing.value()
        flux, low, high = v.flux, v.flux - v.error, v.flux + v.error
        grid_values = v.network_input if self.log_scaled else v.grid_flux
        if self.log_scaled:
            flux, low, high = log_flux(flux), log_flux(low), log_flux(high)
        self.plot_item.setLabel("left", "ln flux (network input)" if self.log_scaled else "flux")
        self.native.setData(v.wavelength, smooth(flux, width))
        self._band = (v.wavelength, smooth(low, width), smooth(high, width))
        self._update_band()
        if v.grid is not None:
            self.grid_curve.setData(v.grid, smooth(grid_values, width))
        else:
            self.grid_curve.setData([], [])
        self._draw_shading(flux, grid_values)
        self._draw_model(width)
        self._draw_expected()
        self._place_feature_labels()
        self._draw_zoom()

    def _draw_model(self, width: int) -> None:
        """The survey's model over the spectrum and the residuals below it, when the file holds a model."""
        v = self.view
        shown = v is not None and v.model is not None and self.show_model.isChecked()
        self.residual_widget.setVisible(shown)
        if not shown:
            self.model_curve.setData([], [])
            self.residual_curve.setData([], [])
            return
        model = log_flux(v.model) if self.log_scaled else v.model
        self.model_curve.setData(v.wavelength, smooth(model, width))
        self.residual_curve.setData(v.wavelength, smooth(v.residual(), width))

    def _draw_expected(self) -> None:
        """The template at our parameters and the nearest training spectra, on the grid over the star's flux."""
        v, expected = self.view, self.expected
        shown = self.show_expected.isChecked() and expected is not None and v is not None and v.grid is not None
        neighbours = [values for _, values in expected.neighbours] if shown else []
        curves = [(self.expected_curve, expected.template if shown else None)]
        curves += [(curve, values) for curve, values in zip(self.neighbour_curves, neighbours + [None] * len(self.neighbour_curves))]
        width = self.smoothing.value()
        for curve, values in curves:
            if values is None:
                curve.setData([], [])
            else:
                curve.setData(expected.wavelength, smooth(log_flux(values) if self.log_scaled else values, width))

    def _update_band(self, *args) -> None:
        if self._band is None:
            self.band.setPath(QPainterPath())
            return
        x_range = self.plot_item.getViewBox().viewRange()[0]
        self.band.setPath(band_path(*self._band, x_range=x_range))

    def _draw_shading(self, flux: np.ndarray, grid_values: np.ndarray | None) -> None:
        values = np.concatenate([flux[np.isfinite(flux)], grid_values[np.isfinite(grid_values)] if grid_values is not None else []])
        lo, hi = (np.percentile(values, [0.5, 99.5]) if len(values) else (0.0, 1.0))
        pad = (hi - lo) * 2 + 1e-9
        masked = self.view.masked_ranges()
        self.mask_bars.setOpts(
            x0=[a for a, _ in masked], x1=[b for _, b in masked], y0=np.full(len(masked), lo - pad), height=np.full(len(masked), hi - lo + 2 * pad)
        )
        outside = self.view.outside_ranges()
        for region, extent in zip(self.outside_regions, outside + [None] * 2):
            region.setVisible(extent is not None)
            if extent is not None:
                region.setRegion(extent)

    def reset_view(self) -> None:
        v = self.view
        if v is None:
            return
        finite = v.wavelength[np.isfinite(v.flux)]
        lo, hi = (finite.min(), finite.max()) if len(finite) else (GRID_START, GRID_STOP)
        if v.grid is not None:
            lo, hi = min(lo, GRID_START), max(hi, GRID_STOP)
        flux = log_flux(v.flux) if self.log_scaled else v.flux
        shown = np.concatenate([flux[np.isfinite(flux)], (v.network_input if self.log_scaled else v.grid_flux) if v.grid is not None else []])
        y_lo, y_hi = np.percentile(shown, [0.2, 99.8]) if len(shown) else (0.0, 1.0)
        span = (y_hi - y_lo) or 1.0
        box = self.plot_item.getViewBox()
        box.setRange(xRange=(lo, hi), yRange=(y_lo - 0.05 * span, y_hi + 0.25 * span), padding=0.01)
        box.prepareForPaint()  # apply the new range now, so the next paint is the only one (else pyqtgraph repaints twice)

    def set_model(self, model) -> None:
        """The model whose reasons the saliency band shows."""
        self.saliency.set_model(model)
        if self.wants_explanation:
            self.saliency.show_spectrum(self.spectrum)

    @property
    def wants_explanation(self) -> bool:
        """Whether the shown star's explanation (its saliency band and expected spectra) is asked for."""
        return self.show_saliency.isChecked() or self.show_expected.isChecked()

    def _on_saliency_toggled(self, on: bool) -> None:
        self.saliency.setVisible(on)
        if self.wants_explanation:
            self.saliency.show_spectrum(self.spectrum)

    def _on_expected_toggled(self, on: bool) -> None:
        if on:
            self.saliency.show_spectrum(self.spectrum)  # from the cache when the band already explained this star
        self._draw_expected()
        self._draw_zoom()

    def _on_explained(self, explanation) -> None:
        self.expected = explanation.expected if explanation is not None else None
        if explanation is not None and explanation.expected is None and self.show_expected.isChecked():
            self.readout.setText("This model ships no training spectra: nothing expected to show")
        self._draw_expected()
        self._draw_zoom()

    # -- line markers -------------------------------------------------------------------------

    def _family_action(self, name: str) -> QAction:
        action = QAction(name, self, checkable=True, checked=True)
        action.toggled.connect(self._place_feature_labels)
        return action

    def _key_action(self, text: str, key: str, slot) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(key))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        return action

    def actions_for_menu(self) -> list[QAction]:
        return [self.next_feature, self.previous_feature]

    @property
    def marker_rv(self) -> float:
        """The velocity the markers are drawn at: the star's prediction, or 0 in the rest frame."""
        return 0.0 if self.rest_frame.isChecked() else self.rv

    def shown_features(self) -> list[int]:
        """Features of the switched-on families (all of them while markers are shown)."""
        if not (self.show_features.isChecked() and self.view is not None and self.view.grid is not None):
            return []
        return [i for i, f in enumerate(FEATURES) if self.family_actions[f.family].isChecked()]

    def feature_position(self, index: int) -> float:
        return float(doppler_shift(FEATURES[index].centre, self.marker_rv))

    def zoom_feature(self, step: int) -> int:
        """Show the next (+1) or previous (-1) marked line close up, in the panel beside the spectrum (the spectrum's
        own view stays), counting from the line shown there or else from the middle of the view; only lines the
        star's spectrum covers. Returns the line's index in FEATURES, or -1 when there is none that way (the panel
        keeps what it shows)."""
        if self.view is None:
            return -1
        finite = self.view.wavelength[np.isfinite(self.view.flux)]
        candidates = sorted((self.feature_position(i), i) for i in self.shown_features()
                            if len(finite) and finite[0] <= self.feature_position(i) <= finite[-1])
        here = self.feature_position(self.zoom_index) if self.zoom_index >= 0 else float(np.mean(self.plot_item.getViewBox().viewRange()[0]))
        ahead = [c for c in candidates if (c[0] > here + 1.0 if step > 0 else c[0] < here - 1.0)]
        if not ahead:
            return -1
        self.zoom_index = (ahead[0] if step > 0 else ahead[-1])[1]
        self._draw_zoom()
        return self.zoom_index

    def zoom_range(self, index: int) -> tuple[float, float]:
        """The wavelengths the close-up of FEATURES[index] shows, at the markers' velocity."""
        feature = FEATURES[index]
        half = max(40.0, 0.6 * (max(feature.wavelengths) - min(feature.wavelengths)) + 25.0)
        position = self.feature_position(index)
        return position - half, position + half

    def _draw_zoom(self) -> None:
        """The chosen line close up: native flux (and the survey's model) around it, its markers at the star's velocity."""
        shown = self.zoom_index >= 0 and self.view is not None and self.view.grid is not None
        self.zoom_widget.setVisible(shown)
        if not shown:
            return
        v, width = self.view, self.smoothing.value()
        low, high = self.zoom_range(self.zoom_index)
        near = (v.wavelength > low) & (v.wavelength < high)
        flux = smooth(log_flux(v.flux) if self.log_scaled else v.flux, width)
        self.zoom_native.setData(v.wavelength[near], flux[near])
        model = None if v.model is None or not self.show_model.isChecked() else smooth(log_flux(v.model) if self.log_scaled else v.model, width)
        self.zoom_model.setData(v.wavelength[near], model[near]) if model is not None else self.zoom_model.setData([], [])
        expected = self.expected.template if self.expected is not None and self.show_expected.isChecked() else None
        if expected is not None:
            close = (self.expected.wavelength > low) & (self.expected.wavelength < high)
            expected = smooth(log_flux(expected) if self.log_scaled else expected, width)
            self.zoom_expected.setData(self.expected.wavelength[close], expected[close])
        else:
            self.zoom_expected.setData([], [])
        rest = FEATURES[self.zoom_index].wavelengths
        for line, wavelength in zip(self.zoom_lines, list(rest) + [None] * 3):
            line.setVisible(wavelength is not None)
            if wavelength is not None:
                line.setPos(float(doppler_shift(wavelength, self.marker_rv)))
        item = self.zoom_widget.getPlotItem()
        item.setTitle(FEATURES[self.zoom_index].label)
        values = flux[near][np.isfinite(flux[near])]
        y_low, y_high = (values.min(), values.max()) if len(values) else (0.0, 1.0)
        span = (y_high - y_low) or 1.0
        item.getViewBox().setRange(xRange=(low, high), yRange=(y_low - 0.1 * span, y_high + 0.15 * span), padding=0.0)

    def close_zoom(self) -> None:
        self.zoom_index = -1
        self._draw_zoom()

    def _place_feature_labels(self, *args) -> None:
        """Put the markers at the star's velocity and the visible labels at the top of the view, in rows so that
        none overlap at this zoom."""
        shown = set(self.shown_features())
        rv = self.marker_rv
        for line, (index, rest) in zip(self.feature_lines, self.line_features):
            visible = index in shown
            if line.isVisible() != visible:
                line.setVisible(visible)
            if visible:
                line.setPos(float(doppler_shift(rest, rv)))
        self.label_rows = {}
        if shown:
            box = self.plot_item.getViewBox()
            (x0, x1), (y0, y1) = box.viewRange()
            px_w, px_h = box.viewPixelSize()
            inside = [i for i in sorted(shown) if x0 <= self.feature_position(i) <= x1]
            sizes = [self.feature_labels[i].pixel_size() for i in inside]
            rows = stack_labels([(self.feature_position(i) - x0) / px_w for i in inside], [w + 4 for w, _ in sizes])
            line_height = (max((h for _, h in sizes), default=12) + 1) * px_h
            self.label_rows = dict(zip(inside, rows))
            for i, row in self.label_rows.items():
                self.feature_labels[i].setPos(self.feature_position(i), y1 - row * line_height)
        for i, label in enumerate(self.feature_labels):
            if label.isVisible() != (i in self.label_rows):
                label.setVisible(i in self.label_rows)

    # -- crosshair ----------------------------------------------------------------------------

    def _on_mouse_moved(self, scene_pos) -> None:
        box = self.plot_item.getViewBox()
        inside = box.sceneBoundingRect().contains(scene_pos) and self.view is not None
        self.cross_v.setVisible(inside)
        self.cross_h.setVisible(inside)
        if not inside:
            return
        point = box.mapSceneToView(scene_pos)
        self.cross_v.setPos(point.x())
        self.cross_h.setPos(point.y())
        self.readout.setText(self.readout_text(point.x(), point.y()))

    def readout_text(self, wavelength: float, y: float) -> str:
        text = f"λ = {wavelength:,.1f} Å   cursor = {y:.4g}"
        x, values = self.native.getData()
        if x is not None and len(x) and x[0] <= wavelength <= x[-1]:
            text += f"   native = {np.interp(wavelength, x, values):.4g}"
        gx, gvalues = self.grid_curve.getData()
        if gx is not None and len(gx) and gx[0] <= wavelength <= gx[-1]:
            text += f"   grid = {np.interp(wavelength, gx, gvalues):.4g}"
        return text
