"""Fixtures for the GUI tests (offscreen Qt): the tiny published model, spectra folders with bad files
among genuine ones, and windows with their own settings file and session store in tmp_path."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import DATA, REFERENCE, REPO, require

TINY_BOSS = REFERENCE / "official_tiny_boss"
SCREENSHOTS = REPO / "test-output" / "screenshots"


@pytest.fixture(scope="session")
def tiny_model():
    from bossnet_gui.model import load_published

    return load_published(require(TINY_BOSS))


def lamost_files(n: int) -> list[Path]:
    return sorted(require(DATA / "lamost_dr1").glob("spec-*.fits"))[:n]


@pytest.fixture
def spectra_folder(tmp_path) -> Path:
    """Symlinks to 6 LAMOST DR1 files and the SDSS spec-lite file, plus an empty and a non-FITS '.fits'."""
    folder = tmp_path / "spectra"
    (folder / "sub").mkdir(parents=True)
    for path in lamost_files(6):
        (folder / path.name).symlink_to(path)
    (folder / "sub" / "spec-0266-51602-0031.fits").symlink_to(require(DATA / "sdss" / "spec-0266-51602-0031.fits"))
    (folder / "empty.fits").write_bytes(b"")
    (folder / "not_fits.fits").write_text("this is not a FITS file\n")
    return folder


@pytest.fixture(autouse=True)
def gui_tuning():
    """The app's thread settings (GIL switch interval, torch threads) for each GUI test, restored after."""
    from PySide6.QtCore import QThreadPool

    from bossnet_gui.gui.app import restore_tuning, tune_for_responsiveness

    QThreadPool.globalInstance().setMaxThreadCount(max(4, QThreadPool.globalInstance().maxThreadCount()))
    previous = tune_for_responsiveness()
    yield
    restore_tuning(previous)


@pytest.fixture
def make_window(qtbot, tmp_path, tiny_model):
    """MainWindow factory: tmp settings file and session store (shared by windows of one test, like a restart)."""
    from PySide6.QtCore import QSettings

    from bossnet_gui.catalog.session import SessionStore
    from bossnet_gui.gui.main_window import MainWindow
    from bossnet_gui.gui.prediction_runner import RunSettings
    from bossnet_gui.gui.settings import AppSettings

    def make(model=tiny_model, draws=2, batch_size=8, store_path=None, show=True, coverage_path=None):
        settings = AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
        window = MainWindow(settings, SessionStore(store_path or tmp_path / "session.sqlite"), coverage_path=coverage_path or tmp_path / "no_coverage.npz")
        qtbot.addWidget(window)
        window.runner.settings = RunSettings(draws=draws, batch_size=batch_size)
        window.runner.set_model(model)
        if show:
            window.show()
            qtbot.waitExposed(window)
        return window

    return make


def wait_for_run(qtbot, window, start, timeout=90_000):
    """Call ``start()`` and wait until the prediction run it starts has finished."""
    with qtbot.waitSignal(window.runner.runningChanged, check_params_cb=lambda running: not running, timeout=timeout):
        start()


def save_screenshot(widget, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    assert widget.grab().save(str(path)), f"could not save {path}"
    return path


def image_variation(widget_or_image) -> float:
    """Standard deviation of pixel values: ~0 for a blank plot."""
    from PySide6.QtGui import QImage

    image = widget_or_image if isinstance(widget_or_image, QImage) else widget_or_image.grab().toImage()
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    array = np.frombuffer(image.constBits(), dtype=np.uint8, count=image.sizeInBytes()).reshape(image.height(), image.bytesPerLine())
    return float(array.std())


os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
