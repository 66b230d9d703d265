"""Launching: ``bossnet-gui FILES...`` and ``python -m bossnet_gui``, the demo set, the .desktop file and icon."""

from __future__ import annotations

from pathlib import Path

import configparser
import subprocess
import sys
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from bossnet_gui.gui import app as gui_app
from bossnet_gui.gui import main_window
from bossnet_gui.model.weights import DEFAULT_MODEL, WEIGHTS_ENV
from tests.conftest import REPO
from tests.gui.conftest import lamost_files, wait_for_run


def test_help(capsys):
    assert gui_app.main(["--help"]) == 0
    assert "FILE_OR_FOLDER" in capsys.readouterr().out


def test_python_dash_m_entry_point():
    result = subprocess.run([sys.executable, "-m", "bossnet_gui", "--help"], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert result.returncode == 0 and "bossnet-gui" in result.stdout


def run_app(argv, rows, tmp_path, monkeypatch) -> dict:
    """Run ``bossnet-gui ARGV`` until ``rows`` rows are loaded and no run is going; what the window showed."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path / "config"))
    seen = {}

    def inspect_and_close():
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, main_window.MainWindow) and w.isVisible() and w.built]
        window = windows[-1] if windows else None
        if window is None or window.runner.running or window.runner.loading_model or len(window.catalog) < rows:
            QTimer.singleShot(50, inspect_and_close)
            return
        seen.update(title=window.windowTitle(), rows=len(window.catalog), store=str(window.store.path), states=list(window.catalog.states()),
                    model=window.runner.model.name if window.runner.model else None)
        window.close()
        QApplication.instance().quit()

    app = QApplication.instance()
    app.setQuitOnLastWindowClosed(False)  # else a Quit event posted on close would end a later test's event loop
    QTimer.singleShot(50, inspect_and_close)
    try:
        assert gui_app.main(argv) == 0
    finally:
        app.setQuitOnLastWindowClosed(True)
    return seen


def test_main_opens_the_files_given(qtbot, tmp_path, monkeypatch):
    seen = run_app([str(p) for p in lamost_files(3)], 3, tmp_path, monkeypatch)
    assert seen["rows"] == 3 and "3 spectra" in seen["title"] and "3 paths" in seen["title"]
    assert seen["store"].startswith(str(tmp_path / "data"))
    assert (tmp_path / "config" / "bossnet-gui" / "bossnet-gui.conf").is_file()  # QSettings written on close


def test_a_file_opened_from_finder_is_opened_instead_of_the_demo(qtbot, tmp_path, monkeypatch):
    """macOS hands a double-clicked file over as a QFileOpenEvent, which arrives while the window is still starting."""
    from PySide6.QtGui import QFileOpenEvent

    star = str(lamost_files(1)[0])
    QApplication.postEvent(QApplication.instance(), QFileOpenEvent(star))
    seen = run_app([], 1, tmp_path, monkeypatch)
    assert seen["rows"] == 1 and Path(star).name in seen["title"]


def test_no_arguments_predicts_the_shipped_demo_set_with_the_bundled_model(qtbot, tmp_path, monkeypatch):
    monkeypatch.delenv(WEIGHTS_ENV, raising=False)
    demo_files = sorted(main_window.DEMO_DIR.glob("*.fits"))
    assert demo_files, "the demo set ships in resources/demo"
    seen = run_app([], len(demo_files), tmp_path, monkeypatch)
    assert seen["model"] == DEFAULT_MODEL and "demo set" in seen["title"]
    assert seen["rows"] == len(demo_files) and set(seen["states"]) == {"predicted"}


def test_demo_set_opens_when_present_and_is_reported_when_missing(make_window, qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(main_window, "DEMO_DIR", tmp_path / "no-demo")
    window = make_window()
    assert window.open_demo() is False
    assert "no demo set" in window.windowTitle() and "demo" in window.statusBar().currentMessage()
    demo = tmp_path / "demo"
    demo.mkdir()
    for path in lamost_files(2):
        (demo / path.name).symlink_to(path)
    monkeypatch.setattr(main_window, "DEMO_DIR", demo)
    wait_for_run(qtbot, window, window.open_demo)
    assert "demo set" in window.windowTitle() and len(window.catalog) == 2


def test_desktop_file_and_icon():
    desktop = configparser.ConfigParser(interpolation=None)
    desktop.optionxform = str
    desktop.read(REPO / "resources" / "bossnet-gui.desktop")
    entry = desktop["Desktop Entry"]
    assert entry["Type"] == "Application" and entry["Exec"].startswith("bossnet-gui") and entry["Icon"] == "bossnet-gui"
    assert "Science" in entry["Categories"]
    icon = QIcon(str(gui_app.ICON))
    assert not icon.isNull() and not icon.pixmap(64, 64).isNull()
