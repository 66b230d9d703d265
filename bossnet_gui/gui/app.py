"""``bossnet-gui [FILE_OR_FOLDER...]``: open spectra (or the bundled demo set) in the desktop app."""

from __future__ import annotations

import sys

from ..bundled import ICON
USAGE = """usage: bossnet-gui [FILE_OR_FOLDER ...]
       bossnet-gui predict ...   (headless; see bossnet-gui predict --help)
       bossnet-gui install-desktop | uninstall-desktop   (the applications-menu launcher)

Opens the given spectra files, folders (searched recursively) or list files; with no arguments,
the bundled demo set. Drag more files onto the window, or use File > Open."""


GIL_SWITCH_S = 0.0001  # Python's default is 5 ms


def shorten_gil_switch() -> float:
    """Python's GIL switch interval drops from 5 ms to 0.1 ms; returns the previous interval.

    pyqtgraph paints through Python, and so does every table cell; with a worker thread running
    Python (FITS parsing, pre-processing) each hand-over of the GIL waited up to the interval. At 5 ms
    a spectrum repaint measured 48 ms instead of 12 ms; at 0.5 ms the longest stall while 10,000 files
    were listed was 70-75 ms, at 0.1 ms 55-60 ms (``bench/gui.py`` (e)). A switch is only forced while
    another thread waits, so an idle GUI costs the workers nothing.
    """
    previous = sys.getswitchinterval()
    sys.setswitchinterval(GIL_SWITCH_S)
    return previous


def tune_for_responsiveness() -> tuple[float, int]:
    """The app's thread settings once its model is loaded, in one call (for tests and benchmarks);
    returns the previous settings. The app itself shortens the GIL switch at start and leaves torch
    a core short when the model loads (``model_job.load_model``), so that torch is not imported first."""
    from .model_job import spare_a_core_for_the_gui

    return shorten_gil_switch(), spare_a_core_for_the_gui()


def restore_tuning(previous: tuple[float, int]) -> None:
    import torch

    sys.setswitchinterval(previous[0])
    torch.set_num_threads(previous[1])


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if any(a in ("-h", "--help") for a in argv):
        print(USAGE)
        return 0
    from PySide6.QtCore import QThreadPool
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from .file_open import FileOpenEvents
    from .main_window import APP_NAME, MainWindow
    app = QApplication.instance() or QApplication([APP_NAME])
    app.setOrganizationName(APP_NAME)
    app.setApplicationName(APP_NAME)
    app.setDesktopFileName(APP_NAME)
    if ICON.is_file():
        app.setWindowIcon(QIcon(str(ICON)))
    QThreadPool.globalInstance().setMaxThreadCount(max(4, QThreadPool.globalInstance().maxThreadCount()))
    shorten_gil_switch()
    window = MainWindow(build=False)
    opened = FileOpenEvents(window)
    app.installEventFilter(opened)
    window.show()
    when_imported(PANELS, lambda: _build_and_start(window, argv + opened.take()))
    return app.exec()


PANELS = "bossnet_gui.gui.panels"
IMPORT_POLL_MS = 15


def when_imported(module: str, then) -> None:
    """Import ``module`` in a thread while the event loop runs (the window answers meanwhile), then call ``then``."""
    import importlib
    import threading

    from PySide6.QtCore import QTimer

    failed: list[BaseException] = []

    def load() -> None:
        try:
            importlib.import_module(module)
        except BaseException as exc:  # re-raised on the GUI thread, where it is reported as usual
            failed.append(exc)

    loader = threading.Thread(target=load, name=f"import {module}", daemon=True)
    loader.start()

    def check() -> None:
        if loader.is_alive():
            QTimer.singleShot(IMPORT_POLL_MS, check)
        elif failed:
            raise failed[0]
        else:
            then()

    QTimer.singleShot(IMPORT_POLL_MS, check)


def _build_and_start(window, argv: list[str]) -> None:
    if window.isVisible():  # not closed while it was starting
        window.build()
        window.start(argv or None)
