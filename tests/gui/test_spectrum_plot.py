"""The spectrum panel: the network's view of a spectrum (checked against the Predictor), shading of
masked pixels and of grid parts outside the native coverage, feature labels that never overlap,
log/linear, smoothing, crosshair, and APOGEE spectra on their native pixels."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF

from bossnet_gui.gui.catalog_model import CatalogModel
from bossnet_gui.gui.feature_lines import FEATURES, stack_labels
from bossnet_gui.gui.spectrum_plot import SpectrumPlot, band_path
from bossnet_gui.gui.spectrum_view import runs, smooth, spectrum_view
from bossnet_gui.io import read_spectra
from bossnet_gui.model import Predictor
from bossnet_gui.preprocess import GRID_SIZE
from bossnet_gui.spectrum import Spectrum, SpectrumMeta
from tests.conftest import DATA, require
from tests.gui.conftest import image_variation, lamost_files, save_screenshot


def synthetic(start=4000.0, stop=7000.0, n=3000, masked=(slice(100, 120), slice(2000, 2003))) -> Spectrum:
    wavelength = np.linspace(start, stop, n)
    flux = 10 + np.sin(wavelength / 50)
    mask = np.ones(n, bool)
    for part in masked:
        mask[part] = False
    return Spectrum(wavelength, flux, np.full(n, 0.5), mask, SpectrumMeta(source="/tmp/synthetic.fits", hdu="1", object_id="synthetic star"))


@pytest.fixture
def panel(qtbot):
    catalog = CatalogModel()
    plot = SpectrumPlot(catalog)
    qtbot.addWidget(plot)
    plot.resize(1400, 380)
    plot.show()
    qtbot.waitExposed(plot)
    return plot


def test_log_scaled_view_is_exactly_the_network_input(tiny_model):
    spectrum = read_spectra(lamost_files(1)[0])[0]
    expected, fraction = Predictor(tiny_model).network_input([spectrum])
    view = spectrum_view(spectrum)
    assert len(view.grid) == GRID_SIZE
    np.testing.assert_array_equal(view.network_input, expected[0].numpy().astype(float))
    assert view.outside.mean() == pytest.approx(fraction[0])


def test_runs_merge_neighbouring_pixels():
    x = np.arange(10.0)
    flags = np.array([0, 1, 1, 0, 0, 0, 1, 0, 0, 1], bool)
    assert runs(x, flags) == [(0.5, 2.5), (5.5, 6.5), (8.5, 9.0)]


def test_features_are_in_vacuum_and_inside_the_grid():
    by_label = {f.label: f for f in FEATURES}
    assert by_label["Hα"].wavelengths[0] == pytest.approx(6564.61, abs=0.02)
    assert by_label["Ca II K"].wavelengths[0] == pytest.approx(3934.78, abs=0.02)
    assert {"Hβ", "G band", "Mg b", "Na D", "TiO", "Ca II triplet", "Ca II H"} <= set(by_label)
    assert all(3800 <= w <= 8900 for f in FEATURES for w in f.wavelengths)


def test_stacked_labels_never_overlap():
    rng = np.random.default_rng(2)
    centres, widths = rng.uniform(0, 500, 60), rng.uniform(10, 60, 60)
    rows = stack_labels(centres, widths, gap_px=4)
    for row in set(rows):
        spans = sorted((c - w / 2, c + w / 2) for c, w, r in zip(centres, widths, rows) if r == row)
        assert all(a[1] + 4 <= b[0] + 1e-9 for a, b in zip(spans, spans[1:]))


def test_optical_spectrum_native_grid_band_and_shading(panel, qtbot):
    spectrum = synthetic()
    panel.show_spectrum(spectrum)
    x, y = panel.native.getData()
    assert len(x) == spectrum.n_pixels and y == pytest.approx(spectrum.flux)
    gx, gy = panel.grid_curve.getData()
    assert len(gx) == GRID_SIZE and gx[0] == pytest.approx(3800) and gx[-1] == pytest.approx(8900)
    assert len(panel.mask_bars.opts["x0"]) == 2  # two masked runs
    assert panel.mask_bars.opts["x0"][0] == pytest.approx(spectrum.wavelength[100], abs=1.0)
    outside = [r.getRegion() for r in panel.outside_regions if r.isVisible()]
    assert len(outside) == 2 and outside[0][1] == pytest.approx(4000, abs=2) and outside[1][0] == pytest.approx(7000, abs=2)
    assert not panel.band.path().isEmpty()
    assert "synthetic star" in panel.title.text()


def test_log_mode_shows_the_network_input_and_smoothing_is_display_only(panel):
    spectrum = synthetic()
    panel.show_spectrum(spectrum)
    panel.mode.setCurrentIndex(1)
    assert panel.log_scaled
    _, gy = panel.grid_curve.getData()
    np.testing.assert_allclose(gy, panel.view.network_input)
    panel.mode.setCurrentIndex(0)
    panel.smoothing.setValue(9)
    _, y = panel.native.getData()
    assert np.std(np.diff(y)) < np.std(np.diff(spectrum.flux))
    np.testing.assert_allclose(smooth(np.ones(20), 5), 1.0)


def test_feature_labels_do_not_overlap_on_screen(panel, qtbot):
    panel.show_spectrum(read_spectra(lamost_files(1)[0])[0])
    box = panel.plot_item.getViewBox()
    for x_range in ((3800, 9000), (3850, 4400), (5100, 5300)):
        box.setXRange(*x_range, padding=0)
        qtbot.wait(10)
        shown = [label for label in panel.feature_labels if label.isVisible()]
        assert shown, f"no labels in {x_range}"
        to_pixels = panel.plot_widget.viewportTransform()
        rects = [label.deviceTransform(to_pixels).mapRect(label.childrenBoundingRect()) for label in shown]
        assert all(r.width() > 10 and r.height() > 8 for r in rects)
        for i, a in enumerate(rects):
            for b in rects[i + 1 :]:
                assert not a.intersects(b), f"labels overlap at {x_range}"


def test_crosshair_readout(panel):
    spectrum = synthetic()
    panel.show_spectrum(spectrum)
    text = panel.readout_text(5000.0, 10.5)
    assert "λ = 5,000.0 Å" in text and "native = " in text and "grid = " in text
    scene_pos = panel.plot_item.getViewBox().mapViewToScene(QPointF(5000.0, 10.0))
    panel._on_mouse_moved(scene_pos)
    assert panel.cross_v.isVisible() and panel.cross_v.value() == pytest.approx(5000.0, abs=5)
    assert panel.readout.text().startswith("λ =")


def test_apogee_spectrum_on_its_native_pixels(panel):
    path = sorted(require(DATA / "apogee" / "apStar").glob("*.fits"))[0]
    spectrum = read_spectra(path)[0]
    panel.show_spectrum(spectrum)
    x, _ = panel.native.getData()
    assert len(x) == 8575
    assert panel.grid_curve.getData()[0] is None or len(panel.grid_curve.getData()[0]) == 0
    assert not any(label.isVisible() for label in panel.feature_labels)
    assert not any(region.isVisible() for region in panel.outside_regions)
    assert panel.plot_item.getViewBox().viewRange()[0][0] > 15000


def test_band_is_an_envelope_of_bounded_size():
    x = np.linspace(3800, 9000, 8000)
    path = band_path(x, np.full(8000, 1.0), np.full(8000, 2.0), max_vertices=500)
    assert path.elementCount() <= 2 * 500 + 2
    assert path.boundingRect().top() == pytest.approx(1.0) and path.boundingRect().bottom() == pytest.approx(2.0)


def test_screenshot_of_a_spectrum(panel, qtbot):
    panel.show_spectrum(read_spectra(require(DATA / "sdss" / "spec-0266-51602-0031.fits"))[0])
    qtbot.wait(20)
    save_screenshot(panel, "spectrum_sdss_white_dwarf.png")
    assert image_variation(panel.plot_widget) > 5


def _line_positions(panel, label):
    index = next(i for i, f in enumerate(FEATURES) if f.label == label)
    return [line.value() for line, (i, _) in zip(panel.feature_lines, panel.line_features) if i == index and line.isVisible()]


def test_line_markers_sit_at_the_stars_velocity_or_at_rest_by_family(panel, qtbot):
    spectrum = synthetic(3700.0, 9000.0, 6000, masked=())
    panel.show_spectrum(spectrum, rv=300.0)
    h_alpha = next(f for f in FEATURES if f.label == "Hα").wavelengths[0]
    assert _line_positions(panel, "Hα") == [pytest.approx(h_alpha * (1 + 300.0 / 299_792.458), abs=1e-3)]  # ~6.6 Å redward
    panel.rest_frame.setChecked(True)
    assert _line_positions(panel, "Hα") == [pytest.approx(h_alpha, abs=1e-6)]
    panel.family_actions["Balmer"].setChecked(False)
    assert _line_positions(panel, "Hα") == [] and len(_line_positions(panel, "Na D")) == 2
    assert not any(panel.feature_labels[i].isVisible() for i, f in enumerate(FEATURES) if f.family == "Balmer")
    panel.show_spectrum(spectrum)  # no prediction (NaN RV): markers at rest
    panel.rest_frame.setChecked(False)
    assert _line_positions(panel, "Na D")[0] == pytest.approx(FEATURES[[f.label for f in FEATURES].index("Na D")].wavelengths[0])


def test_keys_step_the_close_up_through_the_marked_lines_and_keep_the_view(panel, qtbot):
    spectrum = synthetic(3700.0, 9000.0, 6000, masked=())
    panel.show_spectrum(spectrum, rv=0.0)
    box = panel.plot_item.getViewBox()
    box.setXRange(3800, 3850, padding=0)
    view = box.viewRange()[0]
    labels = [FEATURES[panel.zoom_feature(+1)].label for _ in range(3)]
    assert labels == ["H8", "Ca II K", "Ca II H"]
    assert box.viewRange()[0] == pytest.approx(view)  # the spectrum's own view stays
    x0, x1 = panel.zoom_widget.getPlotItem().getViewBox().viewRange()[0]
    assert (x0 + x1) / 2 == pytest.approx(FEATURES[[f.label for f in FEATURES].index("Ca II H")].centre, abs=0.5) and x1 - x0 < 120
    shown_x, _ = panel.zoom_native.getData()
    assert panel.zoom_widget.isVisible() and shown_x.min() >= x0 and shown_x.max() <= x1 and len(shown_x) > 20
    assert FEATURES[panel.zoom_feature(-1)].label == "Ca II K"
    panel.show_spectrum(synthetic(3700.0, 9000.0, 6000, masked=()), rv=300.0)  # the next star: the same line, at its velocity
    k = FEATURES[panel.zoom_index]
    assert k.label == "Ca II K" and panel.zoom_lines[0].value() == pytest.approx(k.wavelengths[0] * (1 + 300.0 / 299_792.458))
    for _ in range(30):
        panel.zoom_feature(+1)
    assert panel.zoom_feature(+1) == -1 and FEATURES[panel.zoom_index].label == "Ca II triplet"  # nothing beyond, the last one stays
    panel.close_zoom()
    assert not panel.zoom_widget.isVisible()
    assert [a.shortcut().toString() for a in panel.actions_for_menu()] == ["]", "["]


def test_the_saliency_band_draws_where_the_answer_came_from(panel, qtbot):
    from bossnet_gui.gui.saliency_band import ROW_HEIGHT, ROWS, band_values
    from bossnet_gui.model import resolve_model
    from bossnet_gui.model.saliency import saliency

    model = resolve_model()
    spectrum = read_spectra(lamost_files(1)[0])[0]
    panel.set_model(model)
    panel.show_spectrum(spectrum)
    qtbot.waitUntil(lambda: panel.saliency.curves[0].getData()[0] is not None and len(panel.saliency.curves[0].getData()[0]) > 0, timeout=20_000)
    expected = saliency(Predictor(model), spectrum)
    for row, (curve, (label, _, _)) in enumerate(zip(panel.saliency.curves, ROWS)):
        x, y = curve.getData()
        np.testing.assert_allclose(x, expected.wavelength)
        np.testing.assert_allclose(y, row + ROW_HEIGHT * band_values(expected.share(label)), atol=1e-6)
        assert y.max() == pytest.approx(row + ROW_HEIGHT)
    assert panel.saliency.plot_widget.getViewBox().viewRange()[0] == pytest.approx(panel.plot_item.getViewBox().viewRange()[0])
    assert image_variation(panel.saliency.plot_widget) > 3
    save_screenshot(panel, "spectrum_with_saliency.png")
    panel.show_saliency.setChecked(False)
    assert not panel.saliency.isVisible()


def test_the_survey_model_is_overlaid_with_its_residuals(panel, qtbot):
    spectrum = read_spectra(require(DATA / "sdss" / "spec-0266-51602-0031.fits"))[0]
    wavelength, model = spectrum.meta.extra["survey_model"]
    panel.show_spectrum(spectrum)
    x, y = panel.model_curve.getData()
    np.testing.assert_allclose(x, spectrum.wavelength)
    np.testing.assert_allclose(y, np.interp(spectrum.wavelength, wavelength, model), rtol=1e-5)
    _, residual = panel.residual_curve.getData()
    good = spectrum.mask & (spectrum.error > 0)
    expected = (spectrum.flux[good] - y[good]) / spectrum.error[good]
    np.testing.assert_allclose(residual[good], expected, rtol=1e-4, atol=1e-4)
    assert abs(np.nanmedian(residual)) < 1.0 and panel.residual_widget.isVisible()  # the pipeline's fit is a fit
    save_screenshot(panel, "spectrum_with_survey_model.png")
    panel.show_model.setChecked(False)
    assert not panel.residual_widget.isVisible() and len(panel.model_curve.getData()[0] or []) == 0
    panel.show_model.setChecked(True)
    panel.show_spectrum(read_spectra(lamost_files(1)[0])[0])  # LAMOST files hold no model
    assert not panel.residual_widget.isVisible()


def test_a_saliency_result_arriving_after_the_panel_is_gone_is_dropped(qtbot):
    from bossnet_gui.gui.saliency_band import SaliencyBand
    from bossnet_gui.model import resolve_model

    band = SaliencyBand()
    band.set_model(resolve_model())
    band.show_spectrum(read_spectra(lamost_files(1)[0])[0])  # the worker starts
    key, running = band.key, set(band.running)
    band.deleteLater()
    qtbot.wait(50)  # the C++ widget is gone; the worker's answer still comes
    band._on_done(key, object())  # what the worker's "returned" signal calls: no RuntimeError
    band._on_failed(key, RuntimeError("late"))
    qtbot.waitUntil(lambda: all(not w.is_running for w in running), timeout=20_000)


def test_what_the_network_expects_is_drawn_over_the_star(panel, qtbot):
    """The template at our parameters and the nearest training spectra: off until asked, computed in the background
    (also with the saliency band off), drawn on the grid as ``explain`` computes them, close up too."""
    from bossnet_gui.bundled import DEMO_DIR
    from bossnet_gui.gui.spectrum_view import log_flux
    from bossnet_gui.model import resolve_model
    from bossnet_gui.model.explain import explain

    model = resolve_model()
    spectrum = read_spectra(DEMO_DIR / "spec-0000-00000-0015.fits")[0]  # a held-out DA white-dwarf model
    panel.show_saliency.setChecked(False)
    panel.set_model(model)
    panel.show_spectrum(spectrum)
    assert not panel.show_expected.isChecked() and len(panel.expected_curve.getData()[0] or []) == 0
    with qtbot.waitSignal(panel.saliency.explained, check_params_cb=lambda explanation: explanation is not None, timeout=30_000):
        panel.show_expected.setChecked(True)
    truth = explain(model, spectrum).expected
    x, y = panel.expected_curve.getData()
    np.testing.assert_allclose(x, truth.wavelength)
    np.testing.assert_allclose(y, truth.template, rtol=1e-5)
    assert all(name.startswith("KOESTER") for name in truth.template_stars)
    for curve, (_, values) in zip(panel.neighbour_curves, truth.neighbours):
        np.testing.assert_allclose(curve.getData()[1], values, rtol=1e-5)
    assert len(truth.neighbours) == len(panel.neighbour_curves) == 3
    hbeta = next(i for i, f in enumerate(FEATURES) if f.label == "Hβ")
    panel.zoom_index = hbeta
    panel._draw_zoom()
    zx, zy = panel.zoom_expected.getData()
    assert len(zx) > 20 and zx.min() > 4750 and zx.max() < 4980 and np.isfinite(zy).all()
    panel.plot_item.getViewBox().setXRange(3800, 5200, padding=0)
    qtbot.wait(50)
    assert image_variation(panel.plot_widget) > 5
    save_screenshot(panel, "spectrum_expected.png")
    panel.mode.setCurrentIndex(1)  # log-scaled: the curves on the same scale as the network input
    np.testing.assert_allclose(panel.expected_curve.getData()[1], log_flux(truth.template), rtol=1e-5)
    panel.show_expected.setChecked(False)
    assert all(len(c.getData()[0] or []) == 0 for c in (panel.expected_curve, *panel.neighbour_curves, panel.zoom_expected))
