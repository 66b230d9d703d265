"""Export round trips (catalog with verdicts and notes in every format; plots as PNG/SVG), settings that
persist between windows, recent files, no-model mode, and a corrupt session store reported."""

from __future__ import annotations

import numpy as np
import pytest

from bossnet_gui.catalog.export import read_catalog
from bossnet_gui.gui.prediction_runner import RunSettings
from bossnet_gui.gui.predict_job import NO_MODEL
from tests.gui.conftest import image_variation, lamost_files, wait_for_run


@pytest.fixture
def vetted_window(make_window, qtbot):
    window = make_window(draws=3)
    wait_for_run(qtbot, window, lambda: window.open_paths(lamost_files(5)))
    window.catalog.set_vetting(1, user_flag="binary", note="SB2, split lines, ünïcode")
    window.catalog.set_vetting(3, user_flag="good")
    return window


@pytest.mark.parametrize("suffix", [".fits", ".ecsv", ".csv", ".vot", ".parquet"])
def test_catalog_export_round_trip(vetted_window, qtbot, tmp_path, suffix):
    window = vetted_window
    path = tmp_path / f"catalog{suffix}"
    with qtbot.waitSignal(window.exports.export_catalog_to(path, "all").finished, timeout=20_000):
        pass
    frame, meta = read_catalog(path)
    assert len(frame) == 5
    expected = window.catalog.frame
    assert list(frame["user_flag"]) == list(expected["user_flag"])
    assert list(frame["note"]) == list(expected["note"])
    np.testing.assert_allclose(frame["Teff"].to_numpy(float), expected["Teff"].to_numpy(float))
    np.testing.assert_allclose(frame["Teff_err"].to_numpy(float), expected["Teff_err"].to_numpy(float))
    if suffix != ".csv":
        assert meta["MODEL"] == "official_tiny_boss" and int(meta["DRAWS"]) == 3


def test_export_filtered_and_selected_rows(vetted_window, qtbot, tmp_path):
    window = vetted_window
    window.table.unvetted_only.setChecked(True)
    with qtbot.waitSignal(window.exports.export_catalog_to(tmp_path / "unvetted.ecsv", "filtered").finished, timeout=20_000):
        pass
    assert list(read_catalog(tmp_path / "unvetted.ecsv")[0]["user_flag"]) == ["", "", ""]
    window.catalog.set_selected_rows([1, 4])
    with qtbot.waitSignal(window.exports.export_catalog_to(tmp_path / "picked.fits", "selected").finished, timeout=20_000):
        pass
    picked = read_catalog(tmp_path / "picked.fits")[0]
    assert list(picked["source"]) == [window.catalog.value(1, "source"), window.catalog.value(4, "source")]


def test_plots_export_as_png_and_svg(vetted_window, tmp_path):
    window = vetted_window
    window.kiel.flush()
    png = window.exports.export_plot(window.kiel.plot_item, tmp_path / "kiel.png")
    svg = window.exports.export_plot(window.spectrum.plot_item, tmp_path / "spectrum.svg")
    from PySide6.QtGui import QImage

    image = QImage(str(png))
    assert image.width() == 1600 and image_variation(image) > 5
    assert svg.read_text().lstrip().startswith("<?xml") and "<path" in svg.read_text()


def test_settings_persist_between_windows(make_window, qtbot):
    window = make_window(show=True)
    window.kiel.set_colour_scheme("S/N")
    window.spectrum.set_options(log_scaled=True, smoothing=5, features=False)
    window.spectrum.rest_frame.setChecked(True)
    window.spectrum.show_saliency.setChecked(False)
    window.spectrum.family_actions["TiO bands"].setChecked(False)
    window.table.set_hidden_columns(["snr", "note"])
    window.apply_settings(RunSettings(draws=7, batch_size=12, device="cpu", seed=3), "")
    window.resize(window.minimumSizeHint().width(), 640)
    window.main_splitter.setSizes([400, 200])
    sizes = window.main_splitter.sizes()
    window.close()
    again = make_window()
    assert again.kiel.scheme.label == "S/N" and again.kiel.colour_by.currentText() == "S/N"
    assert again.spectrum.log_scaled and again.spectrum.smoothing.value() == 5 and not again.spectrum.show_features.isChecked()
    assert again.spectrum.rest_frame.isChecked() and not again.spectrum.show_saliency.isChecked() and again.spectrum.show_model.isChecked()
    assert [n for n, a in again.spectrum.family_actions.items() if not a.isChecked()] == ["TiO bands"]
    assert set(again.table.hidden_columns()) >= {"snr", "note"} and "Teff" not in again.table.hidden_columns()
    assert again.height() == 640 and again.main_splitter.sizes() == sizes
    assert again.settings.run_settings() == RunSettings(draws=7, batch_size=12, device="cpu", seed=3)


def test_recent_files_and_last_folder(make_window, qtbot, spectra_folder):
    window = make_window()
    wait_for_run(qtbot, window, lambda: window.open_paths([spectra_folder]))
    assert window.settings.recent_files()[0] == str(spectra_folder)
    assert window.settings.last_folder == str(spectra_folder)
    window._fill_recent_menu()
    assert [a.text() for a in window.recent_menu.actions()][0] == str(spectra_folder)


def test_without_a_model_spectra_can_still_be_viewed(make_window, qtbot):
    window = make_window(model=None)
    window.runner.set_model(None, "no bundled weights in weights/; point it at a published BOSS Net model directory")
    assert any("no bundled weights" in m for m in window.messages.history)
    assert "none" in window.model_label.text()
    wait_for_run(qtbot, window, lambda: window.open_paths(lamost_files(2)))
    assert list(window.catalog.frame["status"]) == [NO_MODEL, NO_MODEL]
    assert window.catalog.frame["id"].str.startswith("LAMOST").all()
    with qtbot.waitSignal(window.catalog.spectrumReady, timeout=10_000):
        window.catalog.set_current(1)
    assert window.spectrum.spectrum is not None and len(window.kiel.scatter.data) == 0


def test_a_corrupt_session_store_is_reported_and_set_aside(make_window, tmp_path):
    store = tmp_path / "broken.sqlite"
    store.write_bytes(b"this is not an SQLite database" * 100)
    window = make_window(store_path=store)
    assert window.messages.isVisible()
    assert any("unreadable" in m and "corrupt" in m for m in window.messages.history)
    assert list(tmp_path.glob("broken.sqlite.corrupt-*"))
