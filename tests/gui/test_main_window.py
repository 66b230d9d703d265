"""The main window end to end: opening files and folders (bad files among good), streaming results,
selection linking between table, Kiel diagram, spectrum and results, and screenshots."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from tests.gui.conftest import image_variation, lamost_files, save_screenshot, wait_for_run


def test_a_folder_with_bad_files_is_read_to_the_end(make_window, spectra_folder, qtbot):
    window = make_window()
    wait_for_run(qtbot, window, lambda: window.open_paths([spectra_folder]))
    frame = window.catalog.frame
    assert len(frame) == 9 and window.table.table_model.rowCount() == 9
    states = dict(zip(frame["source"].map(lambda s: Path(s).name), window.catalog.states()))
    assert states["empty.fits"] == "failed" and states["not_fits.fits"] == "failed"
    assert sum(s == "predicted" for s in states.values()) == 7  # the batch went on after the bad files
    empty_row = int(np.flatnonzero(frame["source"].str.endswith("empty.fits"))[0])
    assert "empty" in frame.at[empty_row, "status"]
    position = window.table.table_model.display_row(empty_row)
    state_cell = window.table.table_model.index(position, 0)
    assert state_cell.data() == "failed" and "empty" in state_cell.data(Qt.ItemDataRole.ToolTipRole)
    assert window.messages.isVisible() and any("empty" in m or "not_fits" in m for m in window.messages.history)
    assert "9 spectra" in window.windowTitle() and "official_tiny_boss" in window.windowTitle()


def test_first_result_streams_in_before_the_rest(make_window, qtbot):
    window = make_window(draws=5, batch_size=8)
    files = lamost_files(13)
    seen = []
    window.catalog.rowsChanged.connect(lambda rows: seen.append(len(rows)))
    wait_for_run(qtbot, window, lambda: window.open_paths(files))
    assert seen[:3] == [1, 4, 8]  # one star, then four, then full batches (bench/gui.py times them)
    assert window.catalog.current == 0  # the first star is shown without a click
    assert window.progress.bar.value() == 13 and window.progress.bar.maximum() == 13


def test_one_file_shows_its_result_and_spectrum_without_a_click(make_window, qtbot):
    window = make_window(draws=20)
    files = lamost_files(1)
    window.open_paths(files)
    qtbot.waitUntil(lambda: window.results.values["Teff"].text().endswith("K") and window.spectrum.spectrum is not None, timeout=10_000)
    assert window.catalog.current == 0 and window.spectrum.spectrum.meta.source == str(files[0])


def test_cancel_stops_within_one_batch(make_window, qtbot):
    window = make_window(draws=2, batch_size=4)
    batches = []
    window.runner.progressChanged.connect(lambda p: batches.append(p.done))
    window.catalog.rowsChanged.connect(lambda rows: len(batches) and window.runner.cancel())
    wait_for_run(qtbot, window, lambda: window.open_paths(lamost_files(40)))
    states = window.catalog.states()
    predicted = int((states == "predicted").sum())
    assert 1 <= predicted <= 1 + 4  # the batch running when Cancel came finished, nothing after it
    assert (window.catalog.frame["status"].str.startswith("cancelled")).sum() == 40 - predicted
    assert not window.runner.running and not window.cancel_action.isEnabled()


def test_selection_links_table_kiel_spectrum_and_results(make_window, qtbot):
    window = make_window()
    wait_for_run(qtbot, window, lambda: window.open_paths(lamost_files(6)))
    window.kiel.flush()
    catalog, table = window.catalog, window.table
    # a click on a table row selects that star everywhere
    target = 3
    rect = table.view.visualRect(table.table_model.index(table.table_model.display_row(target), 1))
    with qtbot.waitSignal(catalog.spectrumReady, timeout=10_000):
        qtbot.mouseClick(table.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert catalog.current == target
    x, y = catalog.frame.at[target, "logTeff"], catalog.frame.at[target, "logg"]
    assert window.kiel.highlight.data["x"][0] == pytest.approx(x) and window.kiel.highlight.data["y"][0] == pytest.approx(y)
    assert Path(window.spectrum.spectrum.meta.source).name == Path(catalog.frame.at[target, "source"]).name
    assert catalog.frame.at[target, "id"] in window.results.heading.text()
    # a click on a Kiel point selects its row in the table
    window.kiel.set_colour_scheme("S/N")
    other = 5
    window.kiel.view_box.setRange(xRange=(x - 0.02, x + 0.02), yRange=(y - 0.2, y + 0.2))  # zoom so points separate
    point = window.kiel.view_box.mapViewToScene(QPointF(catalog.frame.at[other, "logTeff"], catalog.frame.at[other, "logg"]))
    pos = window.kiel.plot_widget.mapFromScene(point)
    clicked = []
    window.kiel.scatter.sigClicked.connect(lambda item, points, ev: clicked.append([p.index() for p in points]))
    qtbot.mouseClick(window.kiel.plot_widget.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert clicked, "the click did not reach the scatter item"
    picked = catalog.current
    assert picked in window.kiel.rows[clicked[0]]
    assert table.table_model.catalog_row(table.view.currentIndex().row()) == picked
    assert window.results.values["Teff"].text().startswith(f"{catalog.frame.at[picked, 'Teff']:,.0f}")


def test_drop_files_on_the_window(make_window, qtbot):
    window = make_window()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in lamost_files(2)])
    event = QDropEvent(QPointF(100, 100), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    wait_for_run(qtbot, window, lambda: window.dropEvent(event))
    assert len(window.catalog) == 2 and window.catalog.predicted().all()


def test_screenshot_of_the_main_window_with_predictions(make_window, qtbot, spectra_folder):
    window = make_window(draws=5)
    window.resize(1500, 950)
    apogee = sorted((lamost_files(1)[0].parents[1] / "apogee" / "apStar").glob("*.fits"))[:1]
    wait_for_run(qtbot, window, lambda: window.open_paths([spectra_folder, *lamost_files(30), *apogee]))
    window.kiel.flush()
    with qtbot.waitSignal(window.catalog.spectrumReady, timeout=10_000):
        window.catalog.set_current(2)
    qtbot.wait(50)
    path = save_screenshot(window, "main_window.png")
    assert image_variation(window.kiel.plot_widget) > 5 and image_variation(window.spectrum.plot_widget) > 5
    assert len(window.kiel.scatter.data) == int(window.catalog.predicted().sum()) > 30
    assert path.stat().st_size > 50_000
