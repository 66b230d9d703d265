"""``bossnet-gui [FILE_OR_FOLDER...]``: open spectra (or the bundled demo set) in the desktop app."""

from __future__ import annotations

import sys

from .kiel_backdrop import RESOURCES

ICON = RESOURCES / "bossnet-gui.svg"
USAGE = """usage: bossnet-gui [FILE_OR_FOLDER ...]
       bossnet-gui predict ...   (headless; see bossnet-gui predict --help)

Opens the given spectra files, folders (searched recursively) or list files; with no arguments,
the bundled demo set. Drag more files onto the window, or use File > Open."""


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if any(a in ("-h", "--help") for a in argv):
        print(USAGE)
        return 0
    from PySide6.QtCore import QThreadPool
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from .main_window import APP_NAME, MainWindow

    app = QApplication.instance() or QApplication([APP_NAME])
    app.setOrganizationName(APP_NAME)
    app.setApplicationName(APP_NAME)
    app.setDesktopFileName(APP_NAME)
    if ICON.is_file():
        app.setWindowIcon(QIcon(str(ICON)))
    QThreadPool.globalInstance().setMaxThreadCount(max(4, QThreadPool.globalInstance().maxThreadCount()))
    window = MainWindow()
    window.show()
    window.start(argv or None)
    return app.exec()
