"""SaliencyBand: under the spectrum, which wavelengths drove this star's Teff, log g and [Fe/H].

One row per label: each pixel's share of the label's integrated gradient (``model.saliency``),
smoothed over a few pixels and scaled to the row's peak. The star's ``model.explain.Explanation``
(saliency and nearest training spectra) is computed in a worker thread (torch is imported there,
never on the GUI thread) when a spectrum is shown, and cached per star and model; a result for a
star no longer shown is kept in the cache but not drawn. ``explained`` hands it to other views.
"""

from __future__ import annotations

from collections import OrderedDict
from functools import partial

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from shiboken6 import isValid
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget
from superqt.utils import create_worker

from ..spectrum import OPTICAL, Spectrum
from .spectrum_view import smooth

ROWS = (("logTeff", "Teff", (200, 40, 40)), ("logg", "log g", (30, 130, 60)), ("FeH", "[Fe/H]", (40, 90, 200)))
SMOOTH_PIXELS = 9
ROW_HEIGHT = 0.85
CACHE_SIZE = 256


def compute_explanation(model, spectrum: Spectrum):
    from ..model.explain import explain

    return explain(model, spectrum, labels=[label for label, _, _ in ROWS])


def band_values(share: np.ndarray) -> np.ndarray:
    """A label's pixel shares as drawn: smoothed, then scaled to peak 1."""
    smoothed = smooth(share, SMOOTH_PIXELS)
    peak = smoothed.max() if len(smoothed) else 0.0
    return smoothed / peak if peak > 0 else smoothed


class SaliencyBand(QWidget):
    explained = Signal(object)  # the shown star's Explanation, or None when there is none

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = None
        self.key: tuple | None = None  # the star (and model) shown or asked for
        self.cache: OrderedDict[tuple, object] = OrderedDict()
        self.running: set = set()  # workers not finished yet: referenced here until they are
        self.asked: set = set()  # the stars those workers explain
        self.plot_widget = pg.PlotWidget(background="w")
        self.plot_widget.setFixedHeight(64)
        self.plot_widget.setToolTip("Which wavelengths drove the answer: each pixel's share of the integrated gradient of Teff, "
                                    "log g and [Fe/H] (each row scaled to its peak)")
        item = self.plot_widget.getPlotItem()
        item.setMenuEnabled(False)
        item.hideButtons()
        item.getAxis("left").setWidth(64)  # as the spectrum's, so the wavelengths line up
        item.getAxis("left").setTicks([[(i + 0.4, name) for i, (_, name, _) in enumerate(ROWS)]])
        item.getAxis("bottom").setStyle(showValues=False)
        item.setYRange(0, len(ROWS), padding=0)
        item.getViewBox().setMouseEnabled(x=True, y=False)
        self.curves = []
        for row, (_, _, colour) in enumerate(ROWS):
            curve = pg.PlotDataItem(pen=pg.mkPen(*colour, width=1), fillLevel=row, brush=pg.mkBrush(*colour, 90))
            item.addItem(curve)
            self.curves.append(curve)
        self.status = QLabel("", styleSheet="color: #777", visible=False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.plot_widget)
        layout.addWidget(self.status)
        self.plot_widget.setVisible(False)  # until there is a band to show

    def set_model(self, model) -> None:
        self.model = model
        self.clear()

    def clear(self, reason: str = "") -> None:
        """No band (the plot hidden), with ``reason`` in its place."""
        self.key = None
        for curve in self.curves:
            curve.setData([], [])
        self.plot_widget.setVisible(False)
        self.status.setText(reason)
        self.status.setVisible(bool(reason))
        self.explained.emit(None)

    def show_spectrum(self, spectrum: Spectrum | None) -> None:
        if spectrum is None or self.model is None or self.model.domain != OPTICAL or spectrum.meta.domain != OPTICAL:
            why = "no model loaded" if self.model is None else "needs an optical model and spectrum"
            self.clear("" if spectrum is None else f"Which wavelengths drove the answer: {why}")
            return
        key = (spectrum.meta.source, spectrum.meta.hdu, self.model.content_hash)
        if key == self.key and key in self.asked:  # already on its way
            return
        self.key = key
        if key in self.cache:
            self.cache.move_to_end(key)
            self.draw(self.cache[key])
            return
        for curve in self.curves:
            curve.setData([], [])
        self.status.setText("Working out which wavelengths drove the answer…")
        self.status.setVisible(True)
        self.explained.emit(None)
        self.asked.add(key)
        worker = create_worker(compute_explanation, self.model, spectrum,
                               _connect={"returned": partial(self._on_done, self.key), "errored": partial(self._on_failed, self.key)})
        self.running.add(worker)
        worker.finished.connect(partial(self.running.discard, worker))

    def _on_done(self, key: tuple, result) -> None:
        if not isValid(self):  # the window closed while the worker ran
            return
        self.asked.discard(key)
        self.cache[key] = result
        while len(self.cache) > CACHE_SIZE:
            self.cache.popitem(last=False)
        if key == self.key:
            self.draw(result)

    def _on_failed(self, key: tuple, error: Exception) -> None:
        if isValid(self):
            self.asked.discard(key)
        if isValid(self) and key == self.key:
            self.clear(f"Saliency failed: {error}")

    def draw(self, explanation) -> None:
        result = explanation.saliency
        self.plot_widget.setVisible(True)
        for row, (curve, (label, _, _)) in enumerate(zip(self.curves, ROWS)):
            if label in result.attribution:
                curve.setData(result.wavelength, row + ROW_HEIGHT * band_values(result.share(label)))
            else:
                curve.setData([], [])
        self.status.setVisible(False)
        self.explained.emit(explanation)
