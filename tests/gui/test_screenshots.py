"""Screenshots for docs/screenshots (copied from test-output/screenshots by hand after looking at them).

The main window (demo set, LAMOST DR1, a few unreadable files and the SDSS white dwarf) uses the
bundled model when it is there, else the tiny published checkpoint (whose predictions all sit near
6,100 K / log g 4). The Kiel close-up shows 100,000 stars placed at
APOGEE DR12 ASPCAP labels (a stand-in catalog, not predictions) over the training-set density.
"""

from __future__ import annotations

import numpy as np
import pytest
import pandas as pd

from bossnet_gui.errors import ModelLoadError
from bossnet_gui.gui.catalog_model import CatalogModel
from bossnet_gui.bundled import TRAINING_COVERAGE
from bossnet_gui.gui.kiel_plot import KielPlot
from bossnet_gui.bundled import DEMO_DIR
from bossnet_gui.model import resolve_model
from tests.conftest import DATA, require
from tests.gui.conftest import image_variation, lamost_files, save_screenshot, wait_for_run
from tests.gui.test_kiel_plot import star_rows


def test_main_window_screenshot(make_window, qtbot, tiny_model, spectra_folder):
    try:
        model = resolve_model()
    except ModelLoadError:
        model = tiny_model
    window = make_window(model=model, draws=10, batch_size=16, coverage_path=TRAINING_COVERAGE)
    window.resize(1500, 950)
    aspcap = sorted(require(DATA / "apogee" / "aspcapStar").glob("*.fits"))[:1]
    wait_for_run(qtbot, window, lambda: window.open_paths([spectra_folder, DEMO_DIR, *lamost_files(40), *aspcap]), timeout=240_000)
    window.kiel.set_colour_scheme("Quality flag")
    window.kiel.flush()
    white_dwarf = int(np.flatnonzero(window.catalog.column("source") == str(spectra_folder / "sub" / "spec-0266-51602-0031.fits"))[0])
    with qtbot.waitSignal(window.spectrum.saliency.explained, check_params_cb=lambda explanation: explanation is not None, timeout=30_000):
        window.catalog.set_current(white_dwarf)
    qtbot.wait(300)  # the vetting count refreshes at most every 200 ms
    save_screenshot(window, "docs_main_window.png")
    assert image_variation(window.spectrum.plot_widget) > 5 and len(window.kiel.scatter.data) >= 40


def test_kiel_screenshot(qtbot):
    catalog = CatalogModel()
    plot = KielPlot(catalog, coverage_path=TRAINING_COVERAGE)
    qtbot.addWidget(plot)
    plot.resize(760, 640)
    plot.show()
    labels = pd.read_csv(require(DATA / "catalogs" / "apogee_dr12_aspcap_labels.csv"), usecols=["TEFF", "LOGG", "PARAM_M_H"]).dropna()
    labels = labels[(labels.TEFF > 2500) & (labels.LOGG > -1)]
    rng = np.random.default_rng(0)
    pick = rng.integers(0, len(labels), 100_000)
    frame = star_rows(100_000, labels.TEFF.to_numpy()[pick] * rng.normal(1, 0.01, 100_000), labels.LOGG.to_numpy()[pick] + rng.normal(0, 0.05, 100_000),
                      feh=labels.PARAM_M_H.to_numpy()[pick])
    catalog.add_files(frame["source"])
    catalog.apply_results(frame)
    plot.flush()
    catalog.set_current(4242)
    qtbot.wait(20)
    save_screenshot(plot, "docs_kiel_100k.png")
    assert len(plot.scatter.data) == 100_000 and image_variation(plot.plot_widget) > 10


def test_white_dwarfs_screenshot(make_window, qtbot, tmp_path):
    """Held-out Koester DA models written as BOSS spec-lite files, opened and predicted by the app: they land on
    the white-dwarf sequence of the backdrop, not among the A and F dwarfs."""
    from bossnet_gui.training.demo import DemoTarget, write_spec_lite
    from bossnet_gui.training.library import KOESTER, WHITE_DWARF, load_koester_da
    from bossnet_gui.training.simulate import Augmentation
    from bossnet_gui.training.split import TEST, split_by_star
    from bossnet_gui.training.views import ViewMaker

    try:
        model = resolve_model()
    except ModelLoadError:
        pytest.skip("no bundled model")
    models = load_koester_da(require(DATA / "white_dwarfs" / "koester_da.fits"))
    split = split_by_star(models)
    test = [s for s in models if split[s.spectrum_id] == TEST][::3]
    views = ViewMaker(test, model.network)
    rng = np.random.default_rng(5)
    folder = tmp_path / "white_dwarfs"
    folder.mkdir()
    target = DemoTarget("DA white dwarf (held-out model)", np.nan, np.nan, np.nan, library=KOESTER, kind=WHITE_DWARF)
    for fiber, star in enumerate(test, start=1):
        conditions = Augmentation().clean(rv=float(rng.normal(0, 40)), snr=30.0)
        write_spec_lite(folder / f"spec-0000-00000-{fiber:04d}.fits", views.view(fiber - 1, conditions, rng, "shot"), star, target, conditions, fiber)
    window = make_window(model=model, draws=10, batch_size=16, coverage_path=TRAINING_COVERAGE)
    window.resize(1500, 950)
    wait_for_run(qtbot, window, lambda: window.open_paths([folder]), timeout=240_000)
    window.kiel.set_colour_scheme("σ log g")
    window.kiel.flush()
    window.catalog.set_current(0)
    qtbot.wait(50)
    save_screenshot(window.kiel, "docs_white_dwarfs_kiel.png")
    logg = window.catalog.column("logg").astype(float)
    assert len(logg) == len(test) and np.mean((logg > 7.0) & (logg < 9.7)) >= 0.8
    assert image_variation(window.kiel.plot_widget) > 5


def test_vetting_queue_screenshot(make_window, qtbot, tiny_model, tmp_path):
    """The queue at work: two models on the same files (the comparison here is the tiny published checkpoint, whose
    answers all sit near 6,100 K / log g 4, so every star has a segment), a target list imported, the table sorted
    most suspicious first, a few verdicts given, and the most suspicious star shown with what the network expects."""
    try:
        model = resolve_model()
    except ModelLoadError:
        pytest.skip("no bundled model")
    window = make_window(model=model, draws=10, batch_size=16, coverage_path=TRAINING_COVERAGE)
    window.resize(1500, 950)
    files = [*sorted(DEMO_DIR.glob("*.fits")), *lamost_files(24)]
    wait_for_run(qtbot, window, lambda: window.open_paths(files), timeout=240_000)
    wait_for_run(qtbot, window, lambda: window.runner.set_comparison(tiny_model), timeout=240_000)
    targets = tmp_path / "targets.csv"
    targets.write_text("file\n" + "\n".join(f.name for f in files[::4]) + "\n")
    with qtbot.waitSignal(window.catalog.filterChanged, timeout=10_000):
        window.import_targets(str(targets))
    window.table.targets_only.setChecked(False)
    window.vet_actions.queue.trigger()
    suspicion = window.catalog.suspicion()
    first = window.table.table_model.catalog_row(0)
    assert suspicion[first] == np.nanmax(suspicion)
    window.spectrum.show_saliency.setChecked(False)
    window.spectrum.show_expected.setChecked(True)
    window.catalog.set_current(first)
    for verdict in ("bad", "unsure"):  # two verdicts down the queue (each moves on), then back to its top
        window.vet_actions.set_verdict(verdict)
    with qtbot.waitSignal(window.spectrum.saliency.explained, check_params_cb=lambda explanation: explanation is not None, timeout=30_000):
        window.catalog.set_current(first)
    qtbot.wait(300)  # the vetting count refreshes at most every 200 ms
    save_screenshot(window, "docs_vetting_queue.png")
    assert window.vet_progress.text() == f"2 / {int(window.catalog.predicted().sum())} vetted"
    assert image_variation(window.kiel.plot_widget) > 5 and len(window.kiel.links.getData()[0]) >= 2 * 30
