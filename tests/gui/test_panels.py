"""Results panel (uncertainties in physical units, flags with reasons, ASPCAP values), the settings
dialog, and loading a published model directory from the settings."""

from __future__ import annotations

import numpy as np

from bossnet_gui.gui.catalog_model import CatalogModel
from bossnet_gui.gui.prediction_runner import RunSettings
from bossnet_gui.gui.results_panel import ResultsPanel, aspcap_values, with_error
from bossnet_gui.gui.settings_dialog import BUNDLED_DEFAULT, SettingsDialog
from bossnet_gui.io import read_spectra
from tests.conftest import DATA, require
from tests.gui.conftest import TINY_BOSS
from tests.gui.test_kiel_plot import star_rows


def test_values_with_uncertainties():
    assert with_error(5812.3, 45.4, "K", 0) == "5,812 ± 45 K"
    assert with_error(4.4321, 0.0004, "", 2) == "4.43 ± <0.01"
    assert with_error(float("nan"), 1.0, "", 2) == "—"
    assert with_error(12.34, None, "km/s", 1) == "12.3 km/s"


def test_results_panel_shows_the_current_star(qtbot):
    catalog = CatalogModel()
    panel = ResultsPanel(catalog)
    qtbot.addWidget(panel)
    frame = star_rows(2, np.array([5800.0, 3100.0]), np.array([4.4, 4.9]), feh=[-0.3, 0.1], Teff_err=[55.0, 20.0], rv=[12.5, -3.0], rv_err=[0.8, 0.5],
                      result_flags=[0, (1 << 3) | (1 << 7)], ood_score=[0.9, np.nan])
    catalog.add_files(frame["source"])
    catalog.apply_results(frame)
    catalog.set_current(0)
    assert panel.values["Teff"].text() == "5,800 ± 55 K" and panel.values["rv"].text() == "12.5 ± 0.8 km/s"
    assert panel.values["flags"].text() == "none" and panel.values["ood_score"].text().startswith("0.90")
    catalog.set_current(1)
    flags = panel.values["flags"].text()
    assert "unreliable_fe_h" in flags and "Teff &lt; 3,200 K" in flags.replace("<", "&lt;") or "Teff < 3,200 K" in flags
    assert "low_snr" in flags
    assert panel.values["ood_score"].text() == "not available for this model"
    assert "star 1" in panel.heading.text() and "predicted" in panel.heading.text()


def test_aspcap_values_from_the_file(qtbot):
    spectrum = read_spectra(sorted(require(DATA / "apogee" / "aspcapStar").glob("*.fits"))[0])[0]
    found = dict(aspcap_values(spectrum.meta.extra))
    assert any(label.startswith("ASPCAP Teff") for label in found) and any("[M/H]" in label for label in found)
    catalog = CatalogModel()
    panel = ResultsPanel(catalog)
    qtbot.addWidget(panel)
    panel._on_spectrum_ready(0, spectrum, "")
    assert "ASPCAP Teff" in panel.aspcap.text()


def test_settings_dialog_round_trip(qtbot):
    dialog = SettingsDialog(RunSettings(draws=20, batch_size=16, device="cpu", seed=0), "")
    qtbot.addWidget(dialog)
    assert dialog.model.currentText() == BUNDLED_DEFAULT and dialog.model_spec() == ""
    dialog.draws.setValue(50)
    dialog.batch_size.setValue(4)
    dialog.model.setCurrentText("/some/published/model_boss")
    assert dialog.run_settings() == RunSettings(draws=50, batch_size=4, device="cpu", seed=0)
    assert dialog.model_spec() == "/some/published/model_boss"
    assert dialog.device.itemText(0) == "cpu"


def test_a_published_model_directory_loads_off_the_gui_thread(make_window, qtbot):
    window = make_window(model=None)
    with qtbot.waitSignal(window.runner.modelChanged, timeout=30_000) as changed:
        window.apply_settings(RunSettings(draws=1, batch_size=4), str(require(TINY_BOSS)))
    assert changed.args[0].name == "official_tiny_boss"
    assert window.settings.model_spec == str(TINY_BOSS) and "official_tiny_boss" in window.model_label.text()
    with qtbot.waitSignal(window.runner.modelFailed, timeout=30_000) as failed:
        window.apply_settings(RunSettings(draws=1, batch_size=4), str(TINY_BOSS.parent / "no_such_model"))
    assert "still using official_tiny_boss" in failed.args[0]
    assert window.runner.model.name == "official_tiny_boss" and "official_tiny_boss" in window.model_label.text()
    assert any("Could not load that model" in m for m in window.messages.history)


def test_the_survey_values_sit_beside_ours(qtbot):
    catalog = CatalogModel()
    panel = ResultsPanel(catalog)
    qtbot.addWidget(panel)
    frame = star_rows(2, np.array([11800.0, 5800.0]), np.array([8.1, 4.4]), rv=[20.0, 5.0],
                      survey_teff=[9000.0, np.nan], survey_logg=[4.0, np.nan], survey_rv=[-11.1, np.nan], survey_class=["STAR WD", ""])
    catalog.add_files(frame["source"])
    catalog.apply_results(frame)
    catalog.set_current(0)
    assert "survey 9,000 K" in panel.values["Teff"].text() and "survey 4.00" in panel.values["logg"].text()
    assert "survey -11.1 km/s" in panel.values["rv"].text() and panel.values["survey_class"].text() == "STAR WD"
    catalog.set_current(1)
    assert "survey" not in panel.values["Teff"].text() and panel.values["survey_class"].text() == "—"


def test_the_nearest_training_spectra_are_listed_with_their_labels(qtbot):
    from bossnet_gui.model.explain import Explanation, Neighbour

    panel = ResultsPanel(CatalogModel())
    qtbot.addWidget(panel)
    panel.show_explanation(Explanation(None, [Neighbour("KOESTER da12000_800.dk.dat.txt", 12000.0, 8.0, float("nan"), 0.73)]))
    text = panel.neighbours.text()
    assert "KOESTER da12000_800:" in text and "12,000 K, 8.00, —" in text and "d 0.73" in text and ".dk.dat.txt" not in text
    panel.show_explanation(None)
    assert panel.neighbours.text() == ""
