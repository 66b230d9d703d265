"""The Kiel diagram: one scatter item holding the predicted stars at the right coordinates, clicks and
box/lasso selections written to the model, colour schemes, backdrop, and 100,000 stars."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPointF, Qt

from bossnet_gui.gui.catalog_model import CatalogModel, conform
from bossnet_gui.gui.colouring import SCHEMES, STEPS
from bossnet_gui.gui.fast_scatter import LutScatterPlotItem
from bossnet_gui.kiel import load_training_coverage
from bossnet_gui.gui.kiel_plot import KielPlot
from bossnet_gui.gui.select_viewbox import points_inside
from tests.conftest import DATA, require
from tests.gui.conftest import image_variation, save_screenshot


def star_rows(n: int, teff, logg, feh=None, status="ok", **more) -> pd.DataFrame:
    frame = pd.DataFrame({"source": [f"/stars/s{i:06d}.fits" for i in range(n)], "hdu": "1", "status": status, "id": [f"star {i}" for i in range(n)]})
    frame["Teff"], frame["logTeff"], frame["logg"] = teff, np.log10(teff), logg
    frame["FeH"] = 0.0 if feh is None else feh
    frame["logTeff_err"], frame["logg_err"], frame["snr"] = 0.01, 0.1, 30.0
    for name, values in more.items():
        frame[name] = values
    return conform(frame)


@pytest.fixture
def kiel(qtbot, tmp_path):
    catalog = CatalogModel()
    plot = KielPlot(catalog, coverage_path=tmp_path / "none.npz")
    qtbot.addWidget(plot)
    plot.resize(700, 600)
    plot.show()
    qtbot.waitExposed(plot)
    return catalog, plot


def test_one_scatter_item_holds_the_predicted_stars_at_their_coordinates(kiel, qtbot):
    catalog, plot = kiel
    teff = np.array([3500.0, 5800.0, 9000.0, 20000.0, 5000.0])
    logg = np.array([4.8, 4.4, 4.0, 8.0, 2.5])
    status = ["ok", "ok", "ok", "ok", "unreadable"]
    scatter_items = [i for i in plot.plot_item.items if isinstance(i, pg.ScatterPlotItem) and i not in (plot.highlight, plot.compared)]
    catalog.add_files(star_rows(5, teff, logg)["source"])
    catalog.apply_results(star_rows(5, teff, logg, status=status))
    qtbot.waitUntil(lambda: len(plot.scatter.data) == 4, timeout=2000)  # the timer-driven flush
    assert scatter_items == [plot.scatter]
    assert plot.scatter.data["x"] == pytest.approx(np.log10(teff[:4]))
    assert plot.scatter.data["y"] == pytest.approx(logg[:4])
    assert list(plot.rows) == [0, 1, 2, 3]
    # more results stream in: the same item, more points
    item = plot.scatter
    catalog.apply_results(star_rows(1, 6500.0, 4.2).assign(source="/stars/extra.fits"))
    plot.flush()
    assert plot.scatter is item and len(item.data) == 5 and item.data["x"][-1] == pytest.approx(np.log10(6500))


def test_axes_teff_decreases_to_the_right_and_logg_increases_down(kiel):
    catalog, plot = kiel
    box = plot.view_box
    hot, cool = box.mapViewToScene(QPointF(np.log10(20000), 4)), box.mapViewToScene(QPointF(np.log10(3000), 4))
    assert hot.x() < cool.x()
    low_g, high_g = box.mapViewToScene(QPointF(3.7, 1)), box.mapViewToScene(QPointF(3.7, 8))
    assert low_g.y() < high_g.y()
    ticks = plot.plot_item.getAxis("bottom").tickValues(np.log10(1700), np.log10(100000), 600)[0][1]
    labels = plot.plot_item.getAxis("bottom").tickStrings(ticks, 1, 1)
    assert "5,000" in labels and "10,000" in labels


def test_the_lut_scatter_draws_exactly_what_pyqtgraph_would(qtbot):
    brushes = SCHEMES["[Fe/H]"].brushes()
    rng = np.random.default_rng(1)
    x, y, index = rng.random(400), rng.random(400), rng.integers(0, len(brushes), 400)
    images = []
    for fast in (True, False):
        widget = pg.PlotWidget(background="w")
        qtbot.addWidget(widget)
        widget.resize(300, 300)
        if fast:
            item = LutScatterPlotItem(brushes, size=6, pen=None)
            item.set_points(x, y, index)
        else:
            item = pg.ScatterPlotItem(size=6, pen=None)
            item.setData(x=x, y=y, brush=[brushes[i] for i in index])
        widget.addItem(item)
        widget.setRange(xRange=(0, 1), yRange=(0, 1), padding=0)
        images.append(widget.grab().toImage())
    assert images[0] == images[1]


def test_clicking_a_point_makes_its_star_current(kiel, qtbot):
    catalog, plot = kiel
    teff, logg = np.array([4000.0, 6000.0, 12000.0]), np.array([4.6, 4.3, 8.1])
    catalog.add_files(star_rows(3, teff, logg)["source"])
    catalog.apply_results(star_rows(3, teff, logg))
    plot.flush()
    pos = plot.plot_widget.mapFromScene(plot.view_box.mapViewToScene(QPointF(np.log10(6000), 4.3)))
    with qtbot.waitSignal(catalog.selectionChanged) as selected:
        qtbot.mouseClick(plot.plot_widget.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert selected.args == [1]
    assert plot.highlight.data["x"][0] == pytest.approx(np.log10(6000)) and plot.error_bars.isVisible()


def test_box_and_lasso_select_rows(kiel, qtbot):
    catalog, plot = kiel
    teff = np.array([3500.0, 4500.0, 5500.0, 6500.0, 15000.0])
    logg = np.array([4.8, 4.6, 4.4, 4.2, 8.0])
    catalog.add_files(star_rows(5, teff, logg)["source"])
    catalog.apply_results(star_rows(5, teff, logg))
    plot.flush()
    box = np.array([(np.log10(6000), 4.0), (np.log10(4000), 4.0), (np.log10(4000), 5.0), (np.log10(6000), 5.0)])
    with qtbot.waitSignal(catalog.subsetChanged):
        rows = plot.select_shape("box", box)
    assert list(rows) == [1, 2] and list(np.flatnonzero(catalog.visible)) == [1, 2]
    triangle = np.array([(np.log10(20000), 7.0), (np.log10(10000), 9.0), (np.log10(30000), 9.0)])
    assert list(plot.select_shape("lasso", triangle)) == [4]
    catalog.set_subset(None)
    assert catalog.visible.all()


def test_a_shift_drag_draws_a_box_that_filters(kiel, qtbot):
    from PySide6.QtCore import QEvent, QPoint
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    catalog, plot = kiel
    teff, logg = np.array([4000.0, 5000.0, 20000.0]), np.array([4.5, 4.5, 8.0])
    catalog.add_files(star_rows(3, teff, logg)["source"])
    catalog.apply_results(star_rows(3, teff, logg))
    plot.flush()
    to_pixel = lambda t, g: plot.plot_widget.mapFromScene(plot.view_box.mapViewToScene(QPointF(np.log10(t), g)))
    start, end = to_pixel(6000, 3.5), to_pixel(3000, 5.5)
    viewport = plot.plot_widget.viewport()
    shift, left = Qt.KeyboardModifier.ShiftModifier, Qt.MouseButton.LeftButton

    def send(kind, pos, buttons):
        button = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseMove else left
        event = QMouseEvent(kind, QPointF(pos), QPointF(viewport.mapToGlobal(pos)), button, buttons, shift)
        QApplication.sendEvent(viewport, event)

    with qtbot.waitSignal(catalog.subsetChanged):
        send(QEvent.Type.MouseButtonPress, start, left)
        for f in np.linspace(0, 1, 8):
            qtbot.wait(15)  # pyqtgraph drops moves closer than 10 ms (mouseRateLimit)
            send(QEvent.Type.MouseMove, QPoint(int(start.x() + f * (end.x() - start.x())), int(start.y() + f * (end.y() - start.y()))), left)
        send(QEvent.Type.MouseButtonRelease, end, Qt.MouseButton.NoButton)
    assert list(catalog.subset) == [0, 1]
    assert not plot.view_box.outline.path().isEmpty()


def test_points_inside_polygon():
    square = np.array([(0, 0), (1, 0), (1, 1), (0, 1)], float)
    x, y = np.array([0.5, 1.5, 0.99, -0.1]), np.array([0.5, 0.5, 0.01, 0.5])
    assert list(points_inside(x, y, square)) == [True, False, True, False]


def test_colour_schemes_use_a_small_brush_table(kiel, qtbot):
    catalog, plot = kiel
    feh = np.array([-3.0, -2.5, -0.875, 0.75, np.nan])
    catalog.add_files(star_rows(5, 5000.0, 4.5)["source"])
    catalog.apply_results(star_rows(5, 5000.0, 4.5, feh=feh, result_flags=[0, 1 << 7, 1 << 4, 1 << 0, 0]))  # vet, warn, bad
    plot.flush()
    assert list(plot.scatter.lut_index) == [0, 0, STEPS // 2, STEPS - 1, STEPS]  # clipped, middle, top, grey for NaN
    assert len({id(b) for b in plot.scatter.data["brush"]}) <= 4  # shared brush objects, not one per point
    assert plot.colour_bar.isVisible() and not plot.legend.isVisible()
    plot.set_colour_scheme("Quality flag")
    assert list(plot.scatter.lut_index) == [0, 1, 2, 3, 0]
    assert plot.legend.isVisible() and not plot.colour_bar.isVisible()
    catalog.set_vetting(4, user_flag="white dwarf")
    plot.set_colour_scheme("User flag")
    assert plot.scatter.lut_index[4] == 3


def test_training_density_backdrop_when_the_file_exists(tmp_path, qtbot):
    counts, x_edges, y_edges = np.histogram2d(np.random.default_rng(0).normal(3.7, 0.1, 500), np.random.default_rng(1).normal(4, 1, 500), bins=(20, 15))
    path = tmp_path / "coverage.npz"
    np.savez(path, counts=counts, logteff_edges=x_edges, logg_edges=y_edges)
    coverage = load_training_coverage(path)
    assert coverage is not None and coverage.counts.shape == (20, 15)
    np.savez(tmp_path / "teff_in_k.npz", hist=counts.T, teff_edges=10**x_edges, yedges=y_edges)
    assert load_training_coverage(tmp_path / "teff_in_k.npz").logteff_edges == pytest.approx(x_edges)
    plot = KielPlot(CatalogModel(), coverage_path=path)
    qtbot.addWidget(plot)
    images = [i for i in plot.plot_item.items if isinstance(i, pg.ImageItem) and i is not plot.density]
    assert len(images) == 1 and images[0].image.shape == (20, 15)
    assert load_training_coverage(tmp_path / "missing.npz") is None


def test_one_hundred_thousand_stars(kiel, qtbot):
    """100,000 points (ASPCAP labels, repeated with jitter) in one scatter item, and a screenshot; bench/gui.py times it."""
    catalog, plot = kiel
    labels = pd.read_csv(require(DATA / "catalogs" / "apogee_dr12_aspcap_labels.csv"), usecols=["TEFF", "LOGG", "PARAM_M_H"]).dropna()
    labels = labels[(labels.TEFF > 2500) & (labels.LOGG > -1)]
    rng = np.random.default_rng(0)
    pick = rng.integers(0, len(labels), 100_000)
    teff = labels.TEFF.to_numpy()[pick] * rng.normal(1, 0.01, 100_000)
    logg = labels.LOGG.to_numpy()[pick] + rng.normal(0, 0.05, 100_000)
    feh = labels.PARAM_M_H.to_numpy()[pick]
    frame = star_rows(100_000, teff, logg, feh=feh)
    catalog.add_files(frame["source"])
    catalog.apply_results(frame)
    plot.flush()
    assert len(plot.scatter.data) == 100_000
    assert plot.scatter.data["y"][12345] == pytest.approx(logg[12345])
    catalog.set_current(777)
    plot.set_colour_scheme("[Fe/H]")
    save_screenshot(plot, "kiel_100k.png")
    assert image_variation(plot.plot_widget) > 10
