"""Catalogs written by `predict` open in the app as they are: no recomputation, verdicts from the store,
spectra read from `source` on selection; a 300,000-row catalog sorts, filters, and shows every star."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from bossnet_gui.catalog.export import provenance, read_catalog, write_catalog
from bossnet_gui.cli import main as predict
from bossnet_gui.gui.kiel_plot import DENSITY_ABOVE
from bossnet_gui.gui.select_viewbox import points_inside
from tests.catalog_factory import synthetic_catalog
from tests.gui.conftest import TINY_BOSS, image_variation, lamost_files, save_screenshot

pytest.importorskip("pyarrow")


def open_and_wait(qtbot, window, path, timeout=30_000):
    with qtbot.waitSignal(window.runner.catalogOpened, timeout=timeout):
        window.open_paths([path])


def test_a_predict_catalog_opens_as_it_is_and_reads_spectra_on_selection(make_window, qtbot, tmp_path):
    files = lamost_files(4)
    out = tmp_path / "run.parquet"
    assert predict([*map(str, files), "-o", str(out), "--model", str(TINY_BOSS), "-u", "3"]) == 0
    written, _ = read_catalog(out)
    window = make_window(model=None)
    window.store.set_vetting(str(files[2]), written.loc[2, "hdu"], user_flag="binary", note="double-lined")
    open_and_wait(qtbot, window, out)
    catalog = window.catalog
    assert len(catalog) == 4 and not window.runner.running and catalog.queued_sources() == []
    np.testing.assert_array_equal(catalog.column("Teff"), written["Teff"].to_numpy())  # shown as written, not recomputed
    np.testing.assert_array_equal(catalog.column("logg_err"), written["logg_err"].to_numpy())
    assert catalog.value(2, "user_flag") == "binary" and catalog.value(2, "note") == "double-lined"
    assert "catalog run.parquet" in window.windowTitle() and "4 spectra" in window.windowTitle()
    with qtbot.waitSignal(catalog.spectrumReady, timeout=10_000) as ready:
        catalog.set_current(1)
    row, spectrum, reason = ready.args
    assert row == 1 and spectrum is not None and spectrum.meta.source == str(files[1]), reason
    window.open_paths([files[0]])  # a file the catalog has: no second row
    qtbot.wait(300)
    assert len(catalog) == 4


def test_a_damaged_catalog_is_reported_and_the_rows_shown_stay(make_window, qtbot, tmp_path):
    window = make_window(model=None)
    good = tmp_path / "good.parquet"
    write_catalog(synthetic_catalog(50), good, provenance("m", "h", 1, 0))
    open_and_wait(qtbot, window, good)
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"PAR1 this is not parquet")
    with qtbot.waitSignal(window.runner.catalogFailed, timeout=10_000) as failed:
        window.open_paths([bad])
    assert "bad.parquet" in failed.args[0] and failed.args[1]
    assert "Could not open the catalog bad.parquet" in window.messages.history[-1] and len(window.catalog) == 50


def test_a_large_catalog_sorts_filters_and_shows_every_star(make_window, qtbot, tmp_path):
    n = 300_000
    frame = synthetic_catalog(n)
    path = tmp_path / "big.parquet"
    write_catalog(frame, path, provenance("bossnet-gui-boss-small", "ab4af0403674", 1, 0))
    window = make_window(model=None)
    open_and_wait(qtbot, window, path, timeout=60_000)
    catalog, table, kiel = window.catalog, window.table, window.kiel
    assert len(catalog) == n and table.table_model.rowCount() == n
    kiel.flush()
    predicted = int((frame["status"] == "ok").sum())
    assert len(kiel.rows) == predicted and kiel.density_shown and len(kiel.scatter.data) == 0  # every star, as density
    assert kiel.density.image.sum() > 0.5 * np.log1p(1) and f"{predicted:,} stars" in kiel.count.text()
    save_screenshot(window, "catalog_300k.png")
    assert image_variation(kiel.plot_widget) > 10

    kiel.view_box.setRange(xRange=(3.70, 3.705), yRange=(4.0, 4.4), padding=0)  # zoomed in: points again
    kiel.redraw()
    assert not kiel.density_shown and 0 < len(kiel.scatter.data) <= DENSITY_ABOVE
    kiel.reset_view()
    kiel.redraw()

    lasso = np.array([(3.75, 3.5), (3.6, 3.6), (3.55, 4.8), (3.72, 5.0), (3.8, 4.2)])
    rows = kiel.select_shape("lasso", lasso)
    x, y = frame["logTeff"].to_numpy(), frame["logg"].to_numpy()
    ok = np.flatnonzero((frame["status"] == "ok").to_numpy())
    assert list(rows) == list(ok[points_inside(x[ok], y[ok], lasso)]) and len(rows) > 1000
    assert table.table_model.rowCount() == len(rows)
    catalog.set_subset(None)

    teff = table.table_model.columns.index("Teff")
    table.view.sortByColumn(teff, table.view.horizontalHeader().sortIndicatorOrder())
    qtbot.waitUntil(lambda: table.table_model.sort_key is not None and table.table_model.order[0] != 0, timeout=10_000)
    shown = catalog.column("Teff")[table.table_model.order]
    finite = shown[np.isfinite(shown)]
    assert np.all(np.diff(finite) >= 0) or np.all(np.diff(finite) <= 0)
    assert np.isnan(shown[-1])  # failed rows last

    catalog.set_filter(text="j0012345")  # object ids J00123450 ... J00123459
    ids = [catalog.value(table.table_model.catalog_row(i), "id") for i in range(table.table_model.rowCount())]
    assert sorted(ids) == [f"J0012345{d}" for d in range(10)]

    catalog.set_filter(text="")
    row = kiel.click_at(x[ok[7]], y[ok[7]], within_px=12)
    assert row >= 0 and catalog.current == row
    assert abs(catalog.value(row, "logTeff") - x[ok[7]]) < 0.01

    assert kiel.density_shown  # a real click on the density image picks the star under the mouse
    star = ok[123]
    pos = kiel.plot_widget.mapFromScene(kiel.view_box.mapViewToScene(QPointF(x[star], y[star])))
    with qtbot.waitSignal(catalog.selectionChanged) as selected:
        qtbot.mouseClick(kiel.plot_widget.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    picked = selected.args[0]
    assert abs(catalog.value(picked, "logTeff") - x[star]) < 0.005 and abs(catalog.value(picked, "logg") - y[star]) < 0.05


def test_a_fits_catalog_is_told_from_a_spectrum_off_the_gui_thread(make_window, qtbot, tmp_path, monkeypatch):
    """A .fits file may be a spectrum or a catalog: its headers say which, and they are read in the worker."""
    import threading

    from bossnet_gui.gui import scan_job

    looked_on = []
    real = scan_job.is_catalog

    def recording(path, look_inside=True):
        looked_on.append(threading.current_thread() is threading.main_thread())
        return real(path, look_inside)

    monkeypatch.setattr(scan_job, "is_catalog", recording)
    path = tmp_path / "run.fits"
    write_catalog(synthetic_catalog(30), path, provenance("m", "h", 1, 0))
    window = make_window(model=None)
    messages = []
    window.statusBar().messageChanged.connect(messages.append)
    open_and_wait(qtbot, window, path)
    assert len(window.catalog) == 30 and looked_on == [False] and not window.runner.running
    qtbot.wait(100)
    assert not any("No new spectrum files" in m for m in messages)
    with qtbot.waitSignal(window.runner.scanFinished, timeout=30_000):  # a spectrum .fits still opens as one
        window.open_paths([lamost_files(1)[0]])
    assert looked_on == [False, False] and len(window.catalog) == 31
